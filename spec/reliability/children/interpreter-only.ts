/**
 * Imported first by the children that fit heap against a count: turns V8's compilers off (and the flushing of unused
 * bytecode), so that what the JIT allocates and frees in the old space as functions warm up, get optimised and
 * deoptimise (tens of KiB up and down between two checkpoints) does not drown a leak of a few bytes per cycle.
 * Everything compiled after this import runs in the interpreter: slower, and the heap after GC steady to a KiB.
 */
import { setFlagsFromString } from 'node:v8';

for (const flag of ['--no-opt', '--no-maglev', '--no-sparkplug', '--no-flush-bytecode']) setFlagsFromString(flag);
