// Bundles cuda-check.ts with everything it imports (tfjs, the convkit packages, the cuda backend)
// into .device/cuda-check.mjs, and copies what it needs beside it: tfjs-backend-wasm's .wasm files
// (wasm is the reference backend) and, when built, the addon. Run from the repository root after
// `pnpm --filter @convkit/backend-cuda... build`.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const pkg = join(repo, 'packages', 'backend-cuda');
const require = createRequire(join(pkg, 'package.json'));
const esbuild = require('esbuild');
const out = join(repo, '.device');
mkdirSync(join(out, 'wasm'), { recursive: true });

await esbuild.build({
  entryPoints: [join(here, 'cuda-check.ts')],
  outfile: join(out, 'cuda-check.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The tools folder is not a workspace package: resolve through the cuda package's dependencies.
  nodePaths: [join(pkg, 'node_modules')],
  alias: { '@convkit/backend-cuda': join(pkg, 'dist', 'index.js') },
  // The addon is found at run time through CONVKIT_CUDA_ADDON; tfjs-backend-wasm's Node glue needs require and __dirname.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; " +
      'const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
  },
  logLevel: 'error',
});

const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDist, f), join(out, 'wasm', f));
// N-API headers (a few hundred KB), so that the device can compile the addon itself if need be.
const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
mkdirSync(join(out, 'node-include'), { recursive: true });
for (const f of ['js_native_api.h', 'js_native_api_types.h', 'node_api.h', 'node_api_types.h']) copyFileSync(join(nodeInclude, f), join(out, 'node-include', f));
const addon = join(pkg, 'build', 'convkit_cuda.node');
if (existsSync(addon)) copyFileSync(addon, join(out, 'convkit_cuda.node'));
console.log(`bundled ${join(out, 'cuda-check.mjs')}${existsSync(addon) ? ' and the addon' : ' (no addon built here: the device script builds it)'}`);
