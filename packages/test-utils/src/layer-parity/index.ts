/**
 * The one layer-parity harness: core's PyTorch layer fixtures on any backend, in Node or in a browser
 * page (nothing here imports node:). Load the fixtures with `loadLayerFixtures(read)` (in Node,
 * `readLayerFixtures()` of `@convkit/test-utils/layer-parity/node` does it from the folder), then call
 * `runLayerParity(backendName, fixtures)` or the per-case checks, and assert on `parityFailures()`.
 */
export { type Closeness, closeness, expectClose, nchwToNhwc, nhwcShape } from './closeness.js';
export { type LayerCase, type LayerFixtures, type LossCase, caseTensors, loadLayerFixtures } from './fixtures.js';
export { MISSING_GRADIENT_KERNELS, WRONG_GRADIENT_KERNELS, type WrongGradientKernel } from './kernel-gaps.js';
export { type ModuleSpec, buildModule, moduleTypes } from './pytorch-modules.js';
export {
  LAYER_TOLERANCE, type LayerParityOptions, type ParityMeasurement, type ParitySummary, checkForward, checkInputGradient, checkLoss,
  checkParameterGradients, failed, lossAndGradients, parityFailures, runLayerParity, summarizeParity,
} from './run.js';
