import { type Module, type StateDict, StateDictError } from '@convkit/core';
import { CliError } from './cli-error.js';

/**
 * Loads `tensors` into `model`, or throws a one-line CliError: how many keys are missing, unexpected or
 * of another shape, with the first of each, which is enough to tell a wrong file from a wrong --model.
 * `what` names the file in the message, e.g. "weights 'w.safetensors'".
 */
export function loadWeights(model: Module<any, any>, tensors: StateDict, what: string, modelName: string): void {
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    if (!(error instanceof StateDictError)) throw error;
    const parts: string[] = [];
    const first = (keys: string[]) => `'${keys[0]}'${keys.length > 1 ? ` and ${keys.length - 1} more` : ''}`;
    if (error.mismatchedKeys.length) {
      const detail = error.message.split('\n').map((l) => l.trim()).find((l) => l.startsWith(`'${error.mismatchedKeys[0]}'`));
      parts.push(`${error.mismatchedKeys.length} of another shape or dtype (${detail ?? first(error.mismatchedKeys)})`);
    }
    if (error.missingKeys.length) parts.push(`${error.missingKeys.length} missing (${first(error.missingKeys)})`);
    if (error.unexpectedKeys.length) parts.push(`${error.unexpectedKeys.length} not in ${modelName} (${first(error.unexpectedKeys)})`);
    throw new CliError(`${what} do not fit ${modelName}: tensors ${parts.join('; ')}`);
  }
}
