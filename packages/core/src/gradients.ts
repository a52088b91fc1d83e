// Training needs tfjs-core's gradient functions, which its Node entry never registers; see
// scripts/bundle-gradients.mjs for why they come from a generated bundle. tfjs-core itself must be
// evaluated first: the bundle carries its own copy of tfjs-core's internals, and whichever copy loads
// first publishes its Tensor class as the process-wide one.
import '@tensorflow/tfjs-core';
import './vendor/tfjs-gradients.js';
