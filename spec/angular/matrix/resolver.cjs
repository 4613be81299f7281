/* global __dirname */
// A jest resolver for the version matrix: Angular's packages come from the workspace of the version under test
// (RXWS_ANGULAR_WORKSPACE, set by run.mjs) whoever imports them, so the specs, the library and Angular's own modules
// share one copy of that version; rxjs comes from the project, so the specs' TestScheduler drives the library's timers.
// Everything else resolves as usual.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function workspace() {
  const dir = process.env.RXWS_ANGULAR_WORKSPACE;
  if (!dir) throw new Error('RXWS_ANGULAR_WORKSPACE is not set: run the matrix with node spec/angular/matrix/run.mjs');
  return dir;
}

module.exports = (request, options) => {
  if (request.startsWith('@angular/')) return options.defaultResolver(request, { ...options, basedir: workspace() });
  if (request === 'rxjs' || request.startsWith('rxjs/'))
    return options.defaultResolver(request, { ...options, basedir: ROOT });
  return options.defaultResolver(request, options);
};
