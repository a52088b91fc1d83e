import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The built CLI's entry: the tests run it as a user would, after `pnpm build` (turbo builds before `test`). */
export const cliMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Runs `node dist/main.js ...args` to completion: its exit code and both streams, whatever the code. */
export async function convkit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [cliMain, ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
