/** Exit codes scripts can rely on. */
export const ExitCode = {
  ok: 0,
  /** Something inside convkit failed unexpectedly: a bug; the message says what. */
  internal: 1,
  /** The command line itself is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** An input was rejected: unreadable or malformed file, weights that do not fit, unknown model or backend. */
  badInput: 3,
} as const;

/** An error caused by what the user gave us: printed as one line, never with a stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.badInput) {
    super(message);
  }
}
