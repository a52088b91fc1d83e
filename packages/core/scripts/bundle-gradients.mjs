// tfjs-core registers its gradient functions only from dist/register_all_gradients.js, an ES module with
// extensionless imports that Node cannot load. This bundles it (with the tfjs-core internals it uses)
// into one file that Node and browsers can import (src/vendor/ for the tests, dist/vendor/ for users;
// generated, not committed); the engine, kernel and gradient registries are
// process-wide globals in tfjs-core, so the bundled copy registers into the same registries.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
await build({
  entryPoints: [join(core, 'dist/register_all_gradients.js')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  minify: true,
  legalComments: 'eof',
  outfile: 'src/vendor/tfjs-gradients.js',
  logLevel: 'warning',
});
mkdirSync('dist/vendor', { recursive: true });
copyFileSync('src/vendor/tfjs-gradients.js', 'dist/vendor/tfjs-gradients.js');
