import * as tf from '@tensorflow/tfjs-core';

/** Gradient kernels a backend does not have: a case needing one is skipped, and only when the error names that kernel and backend. */
export const MISSING_GRADIENT_KERNELS: Readonly<Record<string, readonly string[]>> = {
  wasm: ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
};

export interface WrongGradientKernel {
  /** The layer whose gradient goes through the kernel. */
  layer: string;
  kernel: string;
  bug: string;
  /** True while the bug is there: a test pins it, so the entry goes once the backend is fixed. */
  stillWrong(): Promise<boolean>;
}

/** Kernels that give wrong gradients on a backend: gradient checks through the layer that fail are skipped on that backend. */
export const WRONG_GRADIENT_KERNELS: Readonly<Record<string, readonly WrongGradientKernel[]>> = {
  wasm: [{
    layer: 'MaxPool2d',
    kernel: 'MaxPoolGrad',
    bug: 'a window whose values are all negative sends its gradient to the wrong element, or nowhere',
    async stillWrong() {
      const x = tf.tensor4d([-2, -1, -3, -4], [1, 2, 2, 1]);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
      const values = Array.from(await grad.data());
      tf.dispose([x, grad]);
      return values.join() !== '0,1,0,0';
    },
  }],
};
