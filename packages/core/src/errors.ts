/** A file that cannot be read as the format it claims: truncated, corrupt or unsupported. */
export class WeightsFormatError extends Error {
  override name = 'WeightsFormatError';
}

/** A state dict that does not fit a module: every offending key is named in the message. */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missingKeys: string[] = [],
    readonly unexpectedKeys: string[] = [],
    readonly mismatchedKeys: string[] = [],
  ) {
    super(message);
  }
}

/** An input a layer cannot take (wrong rank, wrong channel count, too small), with the layer's path. */
export class LayerInputError extends Error {
  override name = 'LayerInputError';
}
