/** A fixed pseudo-random image in [-1, 1), `[1, side, side, 3]` NHWC: the same for every runtime and run. */
export function benchImage(side: number): Float32Array {
  const out = new Float32Array(side * side * 3);
  let s = 1;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** `[1, H, W, C]` host data in `[1, C, H, W]` order, for the ONNX exports (PyTorch's layout). */
export function nhwcToNchw(data: Float32Array, side: number, channels: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < channels; c++) {
    out[(c * side + y) * side + x] = data[(y * side + x) * channels + c]!;
  }
  return out;
}
