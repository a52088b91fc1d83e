// Types for the generated bundle of tfjs-core's gradient registrations (scripts/bundle-gradients.mjs).
export {};
