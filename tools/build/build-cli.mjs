#!/usr/bin/env node
// Builds the CLI and the packages it needs through turbo before `pnpm convkit`, `pnpm demo` and `pnpm bench`.
// A first build takes about a minute with nothing to show for it, so each package turbo has to build (a
// cache miss) is named on stderr as it starts; a cached run prints nothing, and stdout stays the command's
// own (scripts read `pnpm --silent convkit ... --json`). On a failure, turbo's whole output goes to stderr.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const args = ['run', 'build', '--filter=@convkit/cli...', '--output-logs=new-only', '--log-prefix=task'];
const turbo = spawn('turbo', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
const transcript = [];
let building = 0;

const lines = (stream) => createInterface({ input: stream, crlfDelay: Infinity });
const readLine = (line) => {
  transcript.push(line);
  const miss = /^(\S+):build: cache miss/.exec(line);
  if (!miss) return;
  if (building++ === 0) console.error('convkit: building what changed since the last build (the first build takes about a minute)');
  console.error(`convkit: building ${miss[1]}`);
};
lines(turbo.stdout).on('line', readLine);
lines(turbo.stderr).on('line', readLine);

turbo.on('error', (error) => {
  console.error(`convkit: could not start turbo (${error.message}); run pnpm install first`);
  process.exit(1);
});
turbo.on('close', (code) => {
  if (code !== 0) {
    console.error(transcript.join('\n'));
    console.error(`convkit: the build failed (turbo exited with ${code}); its output is above`);
  }
  process.exit(code ?? 1);
});
