// Images per second through the DataLoader for 0..N worker threads, on JPEG photos the script writes:
// decode + RandomResizedCrop(224) + flip + ToTensor + Normalize, batches of 32. Build first
// (pnpm exec tsc -p tsconfig.json), then: node scripts/loader-throughput.mjs [images=256] [maxWorkers=4]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { Compose, DataLoader, ImageFolder, Normalize, RandomHorizontalFlip, RandomResizedCrop, ToTensor } from '@convkit/data';

const count = Number(process.argv[2] ?? 256);
const maxWorkers = Number(process.argv[3] ?? 4);
const root = mkdtempSync(join(tmpdir(), 'convkit-loader-'));
const [width, height] = [500, 375];
for (let i = 0; i < count; i++) {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([(p * 7 + i) & 255, (p >> 5) & 255, (i * 13) & 255, 255], 4 * p);
  const dir = join(root, `class${i % 4}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${i}.jpg`), jpeg.encode({ data, width, height }, 90).data);
}
const set = ImageFolder.open(root);
const transform = new Compose([new RandomResizedCrop(224), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]);
console.log(`${count} JPEGs of ${width}x${height}, ${availableParallelism()} cores`);
for (let workers = 0; workers <= maxWorkers; workers++) {
  let last;
  const loader = new DataLoader(set, { batchSize: 32, shuffle: true, workers, transform, onProgress: (p) => (last = p) });
  // Epoch 0 starts the workers and warms the JIT; epoch 1 is timed.
  for (const epoch of [0, 1]) for await (const _ of loader.epoch(epoch)) void _;
  console.log(`workers ${workers}: ${last.imagesPerSecond.toFixed(1)} images/s`);
  await loader.close();
}
rmSync(root, { recursive: true });
