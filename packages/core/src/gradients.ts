// Training needs tfjs-core's gradient functions, which its Node entry never registers; see
// scripts/bundle-gradients.mjs for why they come from a generated bundle.
import './vendor/tfjs-gradients.js';
