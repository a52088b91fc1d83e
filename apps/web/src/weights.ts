import { type StateDict, readSafetensors } from '@convkit/core';

/** Reads a picked file whole, reporting bytes read as they come (a 500 MB VGG file takes a while). */
async function readWithProgress(file: File, onProgress: (fraction: number) => void): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.set(value, offset);
    offset += value.length;
    onProgress(file.size ? offset / file.size : 1);
  }
  return bytes;
}

/** The tensors of a .safetensors file; WeightsFormatError (from core) when it is not one. */
export async function readWeightsFile(file: File, onProgress: (fraction: number) => void): Promise<StateDict> {
  return readSafetensors(await readWithProgress(file, onProgress)).tensors;
}
