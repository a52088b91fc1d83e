import { getModelEntry, type ModelEntry } from '@convkit/core';
import { CliError } from './cli-error.js';

/** The registry's entry for `name`; an unknown name becomes a CliError (exit code and message, no stack). */
export function lookupModel(name: string): ModelEntry {
  try {
    return getModelEntry(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
