// Compiles native/*.cu into build/convkit_cuda.node with nvcc, or records why it did not, in
// build/status.json (read by isAvailable()). It never fails the package build unless
// CONVKIT_CUDA_BUILD=always: a machine without nvcc still builds and tests convkit.
//
// CONVKIT_CUDA_BUILD: auto (default: build when nvcc is found), always, never.
// CONVKIT_NVCC: the nvcc to use, and only that one (default: nvcc on PATH, then /usr/local/cuda/bin/nvcc).
// CONVKIT_CUDA_BUILD_DIR: where the addon and status.json go (default: build/ in the package).
// The build is skipped when build/status.json records the same sources, nvcc and Node: one
// compile costs about 20 s of CPU, so CI pays it once per change to native/.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const buildDir = process.env.CONVKIT_CUDA_BUILD_DIR ?? join(root, 'build');
const output = join(buildDir, 'convkit_cuda.node');
const statusFile = join(buildDir, 'status.json');
const mode = process.env.CONVKIT_CUDA_BUILD ?? 'auto';

function record(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2) + '\n');
  const line = status.built ? `built ${output} in ${status.seconds} s` : `not built: ${status.reason}`;
  console.log(`@convkit/backend-cuda addon: ${line}`);
  if (!status.built && mode === 'always') process.exit(1);
}

function findNvcc() {
  const candidates = process.env.CONVKIT_NVCC ? [process.env.CONVKIT_NVCC] : ['nvcc', '/usr/local/cuda/bin/nvcc'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return { path: candidate, version: probe.stdout.trim().split('\n').pop() };
  }
  return null;
}

if (!['auto', 'always', 'never'].includes(mode)) {
  console.error(`CONVKIT_CUDA_BUILD must be auto, always or never, not '${mode}'`);
  process.exit(1);
}
if (mode === 'never') {
  record({ built: false, reason: 'the build was skipped (CONVKIT_CUDA_BUILD=never)' });
  process.exit(0);
}

const nvcc = findNvcc();
if (!nvcc) {
  record({ built: false, reason: 'nvcc was not found (on PATH, in CONVKIT_NVCC or at /usr/local/cuda/bin/nvcc); install the CUDA 12/13 toolkit and rebuild' });
  process.exit(0);
}

const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
if (!existsSync(join(nodeInclude, 'node_api.h'))) {
  record({ built: false, reason: `Node's N-API headers are not at ${nodeInclude}` });
  process.exit(0);
}

const sources = readdirSync(nativeDir).filter((f) => /\.(cu|h)$/.test(f)).sort();
const hash = createHash('sha256');
for (const file of sources) hash.update(file).update(readFileSync(join(nativeDir, file)));
hash.update(nvcc.version).update(process.versions.modules);
const key = hash.digest('hex');

if (existsSync(output) && existsSync(statusFile)) {
  try {
    const previous = JSON.parse(readFileSync(statusFile, 'utf8'));
    if (previous.built && previous.key === key) {
      console.log('@convkit/backend-cuda addon: up to date');
      process.exit(0);
    }
  } catch {
    // an unreadable status file means: build again
  }
}

mkdirSync(buildDir, { recursive: true });
const started = Date.now();
const partial = `${output}.partial`;
const args = [
  '-shared', '-Xcompiler', '-fPIC', '-cudart', 'static', '-O2', '-std=c++17',
  '-gencode', 'arch=compute_90,code=sm_90', '-gencode', 'arch=compute_90,code=compute_90',
  '-I', nodeInclude, '-o', partial,
  ...sources.filter((f) => f.endsWith('.cu')).map((f) => join(nativeDir, f)),
  '-ldl',
];
try {
  execFileSync(nvcc.path, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  renameSync(partial, output);
  record({ built: true, key, nvcc: nvcc.version, node: process.version, seconds: Math.round((Date.now() - started) / 100) / 10 });
} catch (error) {
  const stderr = String(error.stderr ?? error.message).trim().split('\n').slice(-15).join('\n');
  record({ built: false, reason: `nvcc failed (${nvcc.path}, ${nvcc.version}):\n${stderr}` });
}
