// A jest transformer for Angular's packages, which ship ES modules only: esbuild turns each into CommonJS.
import { transformSync } from 'esbuild';

export default {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'es2022',
      sourcefile: filename,
      sourcemap: 'external',
      logLevel: 'silent',
    });
    return { code, map };
  },
};
