import { type StateDict, readSafetensors } from '@convkit/core';

export interface WeightsFile {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** A byte stream read whole, reporting the fraction read as it comes when the size is known (a 500 MB VGG file takes a while). */
async function readWithProgress(stream: ReadableStream<Uint8Array>, size: number | null, onProgress: (fraction: number) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    if (size) onProgress(Math.min(1, length / size));
  }
  onProgress(1);
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The tensors and metadata of a picked .safetensors file; WeightsFormatError (from core) when it is not one. */
export async function readWeightsFile(file: File, onProgress: (fraction: number) => void): Promise<WeightsFile> {
  return readSafetensors(await readWithProgress(file.stream(), file.size, onProgress));
}

/** The same for a file that ships with the demo. */
export async function fetchWeights(url: string, onProgress: (fraction: number) => void): Promise<WeightsFile> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`cannot fetch the bundled weights ${url}: HTTP ${response.status}`);
  const size = Number(response.headers.get('content-length')) || null;
  return readSafetensors(await readWithProgress(response.body, size, onProgress));
}
