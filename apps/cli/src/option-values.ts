import { CliError, ExitCode } from './cli-error.js';

/** An option's integer value in [min, max], or a one-line usage error (exit 2) naming the option. */
export function integerOption(value: string, option: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new CliError(`${option} takes an integer ${range}, got '${value}'`, ExitCode.usage);
  }
  return n;
}

/** An option's positive finite number, or a one-line usage error (exit 2). */
export function positiveOption(value: string, option: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`${option} takes a positive number, got '${value}'`, ExitCode.usage);
  return n;
}
