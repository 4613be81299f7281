/**
 * Bootstraps the example in the browser, hydrating what the server rendered. Zoneless by default; `?zone=1` loads
 * zone.js first and uses zone-based change detection instead, to show the socket behaves the same there.
 */
import { mergeApplicationConfig, provideZoneChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { AppComponent } from './app/app.component';
import { appConfig, zonelessConfig } from './app/app.config';

async function main(): Promise<void> {
  const zone = new URLSearchParams(location.search).get('zone') === '1';
  if (zone) await import('zone.js');
  const changeDetection = zone ? { providers: [provideZoneChangeDetection()] } : zonelessConfig;
  await bootstrapApplication(AppComponent, mergeApplicationConfig(appConfig, changeDetection));
}

main().catch((error: unknown) => console.error(error));
