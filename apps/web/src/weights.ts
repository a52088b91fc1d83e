import { type StateDict, readSafetensors } from '@convkit/core';
import { fetchAsset } from './fetch-asset.js';

export interface WeightsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** Bytes read so far of `total` (null when the size is not known). */
export type OnProgress = (loaded: number, total: number | null) => void;

/** A byte stream read whole, reporting bytes as they come (a 160 MB Faster R-CNN file takes a while). */
async function readWithProgress(stream: ReadableStream<Uint8Array>, size: number | null, onProgress: OnProgress): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  let length = 0;
  onProgress(0, size);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onProgress(length, size);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The tensors and metadata of a picked .safetensors file; WeightsFormatError (from core) when it is not one. */
export async function readWeightsFile(file: File, onProgress: OnProgress): Promise<WeightsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readWithProgress(file.stream(), file.size, onProgress);
  } catch (error) {
    throw new Error(`cannot read ${file.name}: ${(error as Error).message}; pick the file again`, { cause: error });
  }
  return readSafetensors(bytes);
}

/** The same for a file that ships with the demo, named `file` in errors (its URL carries a build hash). */
export async function fetchWeights(url: string, file: string, onProgress: OnProgress): Promise<WeightsFile> {
  const response = await fetchAsset(url, `the bundled weights ${file}`);
  if (!response.body) throw new Error(`cannot read the bundled weights ${file} (${url}): the response has no body`);
  const size = Number(response.headers.get('content-length')) || null;
  return readSafetensors(await readWithProgress(response.body, size, onProgress));
}
