import { mergeApplicationConfig, provideZonelessChangeDetection } from '@angular/core';
import { provideServerRendering, RenderMode, withRoutes } from '@angular/ssr';
import { appConfig } from './app.config';

/** The server renders every page on request; the sockets stay idle there (rx-websocket/angular connects nothing). */
export const serverConfig = mergeApplicationConfig(appConfig, {
  providers: [
    provideZonelessChangeDetection(),
    provideServerRendering(withRoutes([{ path: '**', renderMode: RenderMode.Server }])),
  ],
});
