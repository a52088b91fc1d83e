import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The built CLI's entry: the tests run it as a user would, after `pnpm build` (turbo builds before `test`). */
export const cliMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const reportPeakRss = fileURLToPath(new URL('./report-peak-rss.cjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The CLI process's peak resident set size in MiB; NaN when it died before its exit handlers ran (a signal, an abort). */
  peakRssMiB: number;
}

/** Runs `node dist/main.js ...args` to completion: its exit code, both streams and its peak memory, whatever the code. */
export async function convkit(...args: string[]): Promise<CliResult> {
  const folder = mkdtempSync(join(tmpdir(), 'convkit-rss-'));
  const rssFile = join(folder, 'kib');
  const peak = () => {
    try {
      return Number(readFileSync(rssFile, 'utf8')) / 1024;
    } catch {
      return Number.NaN;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  const options = { encoding: 'utf8' as const, env: { ...process.env, CONVKIT_TEST_PEAK_RSS: rssFile } };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['-r', reportPeakRss, cliMain, ...args], options);
    return { code: 0, stdout, stderr, peakRssMiB: peak() };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, peakRssMiB: peak() };
  }
}
