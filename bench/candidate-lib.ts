/**
 * The library under test as second clients ("rx-websocket (candidate)", its resumable channel and its `request()`):
 * with `--candidate <dir>`, the bench bundles this module against the `index.ts` in `<dir>` (a scratch copy of lib/
 * with a change to try) instead of lib/, so that a proposed change is measured side by side with the current code in
 * the same run.
 */
export { fromWebSocket, json, multiplex, request } from '../lib/index';
