/** Exit codes scripts can rely on; `convkit --help` lists them. */
export const ExitCode = {
  ok: 0,
  /** Something inside convkit failed unexpectedly: a bug; the message says what. */
  internal: 1,
  /** The command line is wrong: unknown command or option, missing argument, or an option value out of range. */
  usage: 2,
  /**
   * An input was rejected: a missing, unreadable, malformed or too large file, weights that do not fit,
   * an unknown model or backend, an output path that cannot be written, or a run that ran out of memory.
   */
  badInput: 3,
} as const;

/** An error caused by what the user gave us: printed as one line, never with a stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.badInput) {
    super(message);
  }
}
