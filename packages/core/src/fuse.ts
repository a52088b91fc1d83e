import * as tf from '@tensorflow/tfjs-core';
import { type CallRecord, type Module, tensorsOf, traceCalls } from './module.js';
import { BatchNorm2d } from './layers/batch-norm2d.js';
import { Conv2d } from './layers/conv2d.js';
import { Linear } from './layers/linear.js';
import { ReLU } from './layers/relu.js';
import { modelEntryOf } from './registry.js';

/** What `fuseForInference` fused, counted over the calls of one traced forward pass. */
export interface FusionSummary {
  /** BatchNorm2d calls folded into the convolution before them, of `batchNorms` in the forward pass. */
  foldedBatchNorms: number;
  batchNorms: number;
  /** ReLU calls fused into the convolution (or linear layer) before them, of `relus`. */
  fusedRelus: number;
  relus: number;
}

/**
 * Prepares `model` for faster inference, leaving its parameters, buffers and state dict untouched: every
 * BatchNorm2d (with running statistics) that directly follows a Conv2d is folded into a copy of that
 * convolution's weights, and every ReLU directly after such a convolution (or its BatchNorm) or after a
 * Linear layer becomes the fused kernel's activation. The pairs are found by one forward pass in eval
 * mode on zeros of `inputShape` ([N, H, W, C]; by default [1, S, S, C] at a small side S the model's
 * registry entry allows, for models made by `createModel` or an entry's `create`): a layer's output
 * reaches the next layer as the same tensor object. A pair is fused only where both layers run once in
 * that pass and the output goes to nothing but the next layer, so a ReLU module shared by several
 * call sites (torchvision's BasicBlock) is fused at the sites that qualify and computes the others.
 *
 * The fusion applies only in eval mode and off the gradient tape: `train()` (or a tf.grads) runs the
 * layers apart again, and `eval()` brings the fusion back. The folded weights are recomputed on the next
 * forward whenever one of the variables they come from is assigned (`loadStateDict`, an optimizer step).
 * Links that happen outside module calls (a functional op on a convolution's output before its
 * BatchNorm) are invisible to the trace; convkit's registered models have none (their registry tests
 * compare fused and unfused outputs). Calling it again plans afresh; `unfuse` undoes it.
 */
export function fuseForInference(model: Module<tf.Tensor, unknown>, inputShape?: number[]): FusionSummary {
  const shape = inputShape ?? defaultInputShape(model);
  unfuse(model);
  // Restored module by module, as summary() does: a model may keep some layers in eval mode while training.
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    const { calls } = traceCalls(() => tf.tidy(() => {
      model.call(tf.zeros(shape));
    }));
    return planFusion(calls);
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

/** Undoes `fuseForInference`: every layer of `model` computes on its own again, and the folded weights are freed. */
export function unfuse(model: Module<any, any>): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) m.fold = null;
    if (m instanceof Linear) m.fusedRelu = false;
  }
}

function planFusion(calls: CallRecord[]): FusionSummary {
  const callCount = new Map<Module<any, any>, number>();
  const readers = new Map<tf.Tensor, CallRecord[]>();
  for (const call of calls) {
    callCount.set(call.module, (callCount.get(call.module) ?? 0) + 1);
    for (const t of new Set(tensorsOf(call.input))) readers.set(t, [...(readers.get(t) ?? []), call]);
  }
  // The outermost call is the model's: what it returns goes to the caller, a reader the trace cannot see.
  for (const t of tensorsOf(calls.at(-1)?.output)) readers.set(t, [...(readers.get(t) ?? []), calls.at(-1)!]);
  const onlyReader = (t: tf.Tensor): CallRecord | undefined => {
    const r = readers.get(t);
    return r?.length === 1 ? r[0] : undefined;
  };
  const once = (m: Module<any, any>) => callCount.get(m) === 1;

  const summary: FusionSummary = { foldedBatchNorms: 0, batchNorms: 0, fusedRelus: 0, relus: 0 };
  for (const call of calls) {
    if (call.module instanceof BatchNorm2d) summary.batchNorms++;
    if (call.module instanceof ReLU) summary.relus++;
    const layer = call.module;
    if (!(layer instanceof Conv2d || layer instanceof Linear) || !once(layer) || !(call.output instanceof tf.Tensor)) continue;
    let last: tf.Tensor = call.output;
    let batchNorm: BatchNorm2d | null = null;
    const next = onlyReader(last);
    if (layer instanceof Conv2d && next?.module instanceof BatchNorm2d && once(next.module) && next.module.runningMean && next.output instanceof tf.Tensor) {
      batchNorm = next.module;
      last = next.output;
    }
    const relu = onlyReader(last)?.module instanceof ReLU;
    if (layer instanceof Conv2d && (batchNorm || relu)) layer.fold = { batchNorm, relu };
    if (layer instanceof Linear) layer.fusedRelu = relu;
    if (batchNorm) summary.foldedBatchNorms++;
    if (relu) summary.fusedRelus++;
  }
  return summary;
}

/** [1, H, W, C] from the model's registry entry: its published size, capped at 32 but not below its smallest input. */
function defaultInputShape(model: Module<any, any>): number[] {
  const entry = modelEntryOf(model);
  if (!entry) {
    throw new Error(`fuseForInference needs the input shape [N, H, W, C] for ${model.typeName}, which was not made by createModel or a registry entry`);
  }
  const [height, width, channels] = entry.inputShape;
  const side = (published: number) => Math.max(entry.minInputSize, Math.min(32, published));
  return [1, side(height), side(width), channels];
}
