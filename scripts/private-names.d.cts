/** The private member names of the library in `lib` (lib/ by default, or a copy of it) that may be renamed. */
export function privateNames(lib?: string): string[];
/** The esbuild `mangleProps` pattern for `names` (by default, what `privateNames()` gives for lib/). */
export function manglePattern(names?: readonly string[]): RegExp;
