/** Round half to even: Python's `round` and `torch.round`, which torchvision's crop offsets and uint8 casts use. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
