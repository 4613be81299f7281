// The server's entry, as an application with server rendering has it: `renderApplication` calls it with its context.
// The server's own providers (`provideServerRendering()`) come in from the renderer's script.
import { type ApplicationConfig, type ApplicationRef, mergeApplicationConfig } from '@angular/core';
import { type BootstrapContext, bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app.component.js';
import { appConfig } from './feed.js';

export { server } from './feed.js';

export default function bootstrap(context: BootstrapContext, serverConfig: ApplicationConfig): Promise<ApplicationRef> {
  return bootstrapApplication(AppComponent, mergeApplicationConfig(appConfig, serverConfig), context);
}
