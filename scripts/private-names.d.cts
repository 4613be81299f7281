/** The private member names of the library in `lib` (lib/ by default, or a copy of it) that may be renamed. */
export function privateNames(lib?: string): string[];
/** The esbuild `mangleProps` pattern for `names` (by default, what `privateNames()` gives for lib/). */
export function manglePattern(names?: readonly string[]): RegExp;
/** The short name of each renamable member of the library in `lib`, the same in every module. */
export function mangleCache(lib?: string, names?: readonly string[]): Promise<Record<string, string | false>>;
