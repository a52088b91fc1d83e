/**
 * A data problem the user can fix: a missing folder, a file that is not what its name says, a label
 * outside the class list. The message is one line naming the file and what to do; the CLI prints it
 * without a stack.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** The file or folder at fault, when there is one. */
  readonly path: string | undefined;

  constructor(message: string, path?: string) {
    super(message);
    this.path = path;
  }
}
