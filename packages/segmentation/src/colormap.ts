/**
 * The PASCAL VOC colour map (VOCdevkit's labelcolormap): class c's RGB is built from c's bits, three at a time,
 * from the most significant bit of each channel down. 0 is black (background), 255 (the ignore label) is
 * (224, 224, 192). Returns [n * 3] uint8, RGB per class.
 */
export function vocColormap(n = 256): Uint8Array {
  const map = new Uint8Array(n * 3);
  for (let c = 0; c < n; c++) {
    let [r, g, b] = [0, 0, 0];
    let id = c;
    for (let bit = 7; bit >= 0; bit--) {
      r |= (id & 1) << bit;
      g |= ((id >> 1) & 1) << bit;
      b |= ((id >> 2) & 1) << bit;
      id >>= 3;
    }
    map.set([r, g, b], c * 3);
  }
  return map;
}
