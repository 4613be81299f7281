/**
 * Flags the package build sets with esbuild's `define`, read where they are used as
 * `typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__`, so that a minifier drops the code they turn off in the one
 * module that holds it. Unset (TypeScript sources, tests, Node builds) means development and not a browser build.
 */

/** False in the production browser build: option checks and full error messages are left out. */
declare const __RXWS_DEV__: boolean | undefined;

/** True in the browser builds: the Node (`ws` EventEmitter) code path is left out. */
declare const __RXWS_BROWSER__: boolean | undefined;
