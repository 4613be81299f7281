// Renders the matrix's application (app/, compiled by ngc into app/out) on the server with Angular's own renderer, as
// @angular/ssr does for a request, then checks what rx-websocket/angular promises there: the page renders at once with
// the signals' initial values, no socket is made (although the application asks to connect from its first render),
// and no timer is left behind. Prints one JSON line; exits non-zero with the problems when a promise is broken.
// run.mjs copies it into the version's workspace and starts it there, so that Angular resolves to that version.
// Angular's own packages are partially compiled (the CLI links them when it bundles): the compiler finishes them here.
// The application is compiled ahead of time by ngc, and its templates were checked then.
import '@angular/compiler';
import { VERSION } from '@angular/core';
import { provideServerRendering, renderApplication } from '@angular/platform-server';
import bootstrap, { server } from './app/out/main.server.js';

const html = await renderApplication((context) => bootstrap(context, { providers: [provideServerRendering()] }), {
  document: '<!doctype html><html><head><title>matrix</title></head><body><app-root></app-root></body></html>',
  url: 'http://localhost/',
  allowedHosts: ['localhost'],
});

/** The text of the element with this id, as rendered. */
const text = (id) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1]?.trim();

// Timers Angular's renderer itself unref'ed keep nothing alive; any other is one the page left running.
const timers = process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout');
const problems = [];
if (text('status') !== 'idle') problems.push(`the status rendered as ${JSON.stringify(text('status'))}, not "idle"`);
if (text('open') !== 'no') problems.push(`isOpen() rendered as ${JSON.stringify(text('open'))}, not "no"`);
if (text('latest') !== 'none') problems.push(`the latest message rendered as ${JSON.stringify(text('latest'))}`);
if (server.connections.length > 0) problems.push(`${server.connections.length} socket(s) made on the server`);
if (timers.length > 0) problems.push(`${timers.length} timer(s) still pending after the render`);

console.log(
  JSON.stringify({
    angular: VERSION.full,
    status: text('status'),
    sockets: server.connections.length,
    timers: timers.length,
  }),
);
if (problems.length > 0) {
  console.error(`server rendering with Angular ${VERSION.full}: ${problems.join('; ')}`);
  process.exitCode = 1;
}
