import * as tf from '@tensorflow/tfjs-core';
import { type HostTensor, fuseForInference, readNpy, readSafetensors, toFloat32Array, writeNpy } from '@convkit/core';
import { CliError } from '../cli-error.js';
import { checkOutputFile, writeOutputFile } from '../files.js';
import { readNpyFile, readWeightsFile } from '../weights.js';
import { selectBackend } from '../setup.js';
import { lookupModel } from '../lookup-model.js';

export interface RunOptions {
  weights?: string;
  input: string;
  output: string;
  layout: string;
  backend?: string;
  /** false (--no-fuse): every layer on its own, without fuseForInference. */
  fuse?: boolean;
}

/** One eval-mode forward pass: weights (safetensors, PyTorch names) + input (.npy) -> output (.npy). */
export async function runCommand(name: string, options: RunOptions): Promise<void> {
  if (options.layout !== 'nchw' && options.layout !== 'nhwc') throw new CliError(`--layout is nchw or nhwc, got '${options.layout}'`);
  const entry = lookupModel(name);
  await checkOutputFile(options.output, '--output');
  const input = parseFile(readNpy, await readNpyFile(options.input), options.input);
  const weights = options.weights
    ? parseFile((b) => readSafetensors(b).tensors, await readWeightsFile(options.weights), options.weights)
    : null;
  const nhwcShape = options.layout === 'nchw' && input.shape.length === 4 ? [input.shape[0]!, input.shape[2]!, input.shape[3]!, input.shape[1]!] : input.shape;
  const channels = entry.inputShape[2];
  if (nhwcShape.length !== 4 || nhwcShape[3] !== channels) {
    const expected = options.layout === 'nchw' ? `[N, ${channels}, H, W]` : `[N, H, W, ${channels}]`;
    throw new CliError(`input '${options.input}' has shape [${input.shape.join(', ')}]; ${name} takes ${expected} with --layout ${options.layout}`);
  }
  if (input.dtype === 'bool' || input.dtype === 'bfloat16') throw new CliError(`input '${options.input}' has dtype ${input.dtype}; expected float32`);
  const [batch, height, width] = nhwcShape as [number, number, number, number];
  if (batch === 0) throw new CliError(`input '${options.input}' is an empty batch (shape [${input.shape.join(', ')}]); give at least one image`);
  if (height < entry.minInputSize || width < entry.minInputSize) {
    throw new CliError(`input '${options.input}' is ${height}x${width} pixels; ${name} needs at least ${entry.minInputSize}x${entry.minInputSize}`);
  }
  const values = toFloat32Array(input);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    // tfjs-wasm's XNNPACK kernels turn NaN into finite logits, so a non-finite input would give a confident wrong answer.
    throw new CliError(`input '${options.input}' holds ${values.filter((v) => !Number.isFinite(v)).length} non-finite values (the first, ${values[bad]}, at flat index ${bad}); convkit takes finite inputs only`);
  }
  await selectBackend(options.backend);
  const model = entry.create();
  try {
    if (weights) {
      try {
        model.loadStateDict(weights);
      } catch (error) {
        throw new CliError(`weights '${options.weights}' do not fit ${name}: ${(error as Error).message}`);
      }
    }
    model.eval();
    if (options.fuse !== false) fuseForInference(model);
    const result = tf.tidy(() => {
      let x = tf.tensor(values, input.shape, 'float32');
      if (options.layout === 'nchw') x = tf.transpose(x, [0, 2, 3, 1]);
      const y = model.call(x);
      if (!(y instanceof tf.Tensor)) throw new CliError(`${name} returned several outputs in eval mode; run supports single-output models`);
      return options.layout === 'nchw' && y.rank === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
    const output: HostTensor = { dtype: 'float32', shape: result.shape.slice(), data: (await result.data()) as Float32Array };
    result.dispose();
    await writeOutputFile(options.output, writeNpy(output));
    console.error(`wrote ${options.output}: [${output.shape.join(', ')}] float32`);
  } finally {
    model.dispose();
  }
}

function parseFile<T>(parse: (bytes: Uint8Array) => T, bytes: Uint8Array, path: string): T {
  try {
    return parse(bytes);
  } catch (error) {
    throw new CliError(`cannot read '${path}': ${(error as Error).message}`);
  }
}
