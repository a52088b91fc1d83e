// Compiles native/*.cc into build/convkit_onednn.node with the system C++ compiler, or records why it
// did not, in build/status.json (read by isAvailable()). It never fails the package build unless
// CONVKIT_ONEDNN_BUILD=always: a machine without a compiler or oneDNN's headers still builds and tests convkit.
//
// CONVKIT_ONEDNN_BUILD: auto (default), always, never.
// CXX: the compiler (default g++, then c++). CONVKIT_ONEDNN_INCLUDE: the folder holding oneapi/dnnl/dnnl.h
// (default /usr/include, where Debian's libdnnl-dev puts it).
// The addon links no oneDNN: it opens libdnnl.so.2 at run time, so only the headers are needed here.
// The build is skipped when build/status.json records the same sources, compiler and Node.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const buildDir = join(root, 'build');
const output = join(buildDir, 'convkit_onednn.node');
const statusFile = join(buildDir, 'status.json');
const mode = process.env.CONVKIT_ONEDNN_BUILD ?? 'auto';
const include = process.env.CONVKIT_ONEDNN_INCLUDE ?? '/usr/include';

function record(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2) + '\n');
  console.log(`@convkit/backend-onednn addon: ${status.built ? `built ${output} in ${status.seconds} s` : `not built: ${status.reason}`}`);
  if (!status.built && mode === 'always') process.exit(1);
}

if (!['auto', 'always', 'never'].includes(mode)) {
  console.error(`CONVKIT_ONEDNN_BUILD must be auto, always or never, not '${mode}'`);
  process.exit(1);
}
if (mode === 'never') {
  record({ built: false, reason: 'the build was skipped (CONVKIT_ONEDNN_BUILD=never)' });
  process.exit(0);
}

const compiler = [process.env.CXX, 'g++', 'c++'].filter(Boolean).map((cxx) => ({ cxx, probe: spawnSync(cxx, ['--version'], { encoding: 'utf8' }) })).find((c) => c.probe.status === 0);
if (!compiler) {
  record({ built: false, reason: 'no C++ compiler was found (CXX, g++ or c++); install one (Debian: apt-get install g++) and rebuild' });
  process.exit(0);
}
const compilerVersion = compiler.probe.stdout.split('\n')[0].trim();

if (!existsSync(join(include, 'oneapi', 'dnnl', 'dnnl.h'))) {
  record({ built: false, reason: `oneDNN's headers are not in ${include}/oneapi/dnnl (Debian/Ubuntu: apt-get install libdnnl-dev, or set CONVKIT_ONEDNN_INCLUDE) ; rebuild after` });
  process.exit(0);
}

const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
if (!existsSync(join(nodeInclude, 'node_api.h'))) {
  record({ built: false, reason: `Node's N-API headers are not at ${nodeInclude}` });
  process.exit(0);
}

const sources = readdirSync(nativeDir).filter((f) => /\.(cc|h)$/.test(f)).sort();
const hash = createHash('sha256');
for (const file of sources) hash.update(file).update(readFileSync(join(nativeDir, file)));
hash.update(compilerVersion).update(process.versions.modules).update(readFileSync(join(include, 'oneapi', 'dnnl', 'dnnl_version.h')));
const key = hash.digest('hex');

if (existsSync(output) && existsSync(statusFile)) {
  try {
    const previous = JSON.parse(readFileSync(statusFile, 'utf8'));
    if (previous.built && previous.key === key) {
      console.log('@convkit/backend-onednn addon: up to date');
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
  '-shared', '-fPIC', '-O2', '-std=c++17', '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=convkit_onednn',
  '-I', nodeInclude, '-I', include, '-o', partial,
  ...sources.filter((f) => f.endsWith('.cc')).map((f) => join(nativeDir, f)),
  '-ldl',
];
try {
  execFileSync(compiler.cxx, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  renameSync(partial, output);
  record({ built: true, key, compiler: compilerVersion, node: process.version, seconds: Math.round((Date.now() - started) / 100) / 10 });
} catch (error) {
  const stderr = String(error.stderr ?? error.message).trim().split('\n').slice(-15).join('\n');
  record({ built: false, reason: `${compiler.cxx} failed (${compilerVersion}):\n${stderr}` });
}
