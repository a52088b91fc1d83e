import { formatSummary, metaSummary } from '@convkit/core';
import { CliError, ExitCode } from '../cli-error.js';
import { lookupModel } from '../lookup-model.js';
import { selectBackend } from '../setup.js';

export async function summaryCommand(name: string, options: { input?: string; json?: boolean; backend?: string }): Promise<void> {
  const entry = lookupModel(name);
  const [height, width, channels] = entry.inputShape;
  const side = options.input === undefined ? undefined : parseSize(options.input);
  const inputShape = [1, side?.[0] ?? height, side?.[1] ?? width, channels];
  if (inputShape[1]! < entry.minInputSize || inputShape[2]! < entry.minInputSize) {
    throw new CliError(`${name} needs an input of at least ${entry.minInputSize}x${entry.minInputSize}, got ${inputShape[1]}x${inputShape[2]}`);
  }
  await selectBackend(options.backend);
  // Built and traced on the meta backend: shapes only, no weights or activations (VGG-16's took 1 GB and 10 s).
  const result = await metaSummary(() => entry.create(), inputShape);
  console.log(options.json ? JSON.stringify({ ...result, model: name, reference: entry.reference ?? null }, null, 2) : formatSummary({ ...result, model: name }));
}

/** summary runs the model on a zero image; past this side its activations take gigabytes. */
const MAX_SUMMARY_SIDE = 2048;

/** '224' or '224x320' (height x width), each side from 1 to 2048. */
export function parseSize(text: string): [number, number] {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!match) throw new CliError(`--input takes a size like 224 or 224x320, got '${text}'`, ExitCode.usage);
  const h = Number(match[1]);
  const size: [number, number] = [h, match[2] === undefined ? h : Number(match[2])];
  if (size.some((side) => side < 1 || side > MAX_SUMMARY_SIDE)) {
    throw new CliError(`--input takes sides from 1 to ${MAX_SUMMARY_SIDE} pixels (summary runs the model on an image of that size), got '${text}'`, ExitCode.usage);
  }
  return size;
}
