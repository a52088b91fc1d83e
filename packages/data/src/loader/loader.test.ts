import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageFolder } from '../datasets/image-folder.js';
import { CocoDataset } from '../datasets/coco.js';
import { IdxDataset } from '../datasets/idx.js';
import { VocDataset } from '../datasets/voc.js';
import { Compose } from '../transforms/compose.js';
import { RandomHorizontalFlip } from '../transforms/random-horizontal-flip.js';
import { RandomResizedCrop } from '../transforms/random-resized-crop.js';
import { Resize } from '../transforms/resize.js';
import { ToTensor } from '../transforms/to-tensor.js';
import { idxBytes, jpegBytes, palettePngBytes, pngBytes, solid, tempDir, writeFile } from '../test/write-files.js';
import type { Batch } from './collate.js';
import { DataLoader, type LoaderOptions, type Progress } from './loader.js';

const COUNT = 23;

function idxSet(): IdxDataset {
  const dir = tempDir();
  const pixels = Uint8Array.from({ length: COUNT * 6 * 5 }, (_, i) => (i * 31 + (i >> 3)) & 255);
  writeFile(join(dir, 'train-images-idx3-ubyte'), idxBytes(2051, [COUNT, 6, 5], pixels));
  writeFile(join(dir, 'train-labels-idx1-ubyte'), idxBytes(2049, [COUNT], Uint8Array.from({ length: COUNT }, (_, i) => i % 10)));
  return IdxDataset.openFolder(dir, 'train');
}

const augment = () => new Compose([new RandomResizedCrop(4, [0.3, 1]), new RandomHorizontalFlip(), new ToTensor()]);

async function collect(loader: DataLoader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of loader.epoch(epoch)) out.push(batch);
  return out;
}

describe('DataLoader in this thread', () => {
  it('batches every example once, shuffled from the seed, the last batch short', async () => {
    const options: LoaderOptions = { batchSize: 5, shuffle: true, seed: 7, workers: 0, transform: augment() };
    const loader = new DataLoader(idxSet(), options);
    expect(loader.length).toBe(5);
    const epoch0 = await collect(loader, 0);
    expect(epoch0.map((b) => b.shape)).toEqual([...Array(4).fill([5, 4, 4, 1]), [3, 4, 4, 1]]);
    const seen = epoch0.flatMap((b) => Array.from(b.indices));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(Array.from(epoch0[0]!.labels!)).toEqual(Array.from(epoch0[0]!.indices, (i) => i % 10));
    // The same seed gives the same batches, pixel for pixel; another epoch another order.
    const again = await collect(new DataLoader(idxSet(), options), 0);
    expect(again.map((b) => Array.from(b.images!))).toEqual(epoch0.map((b) => Array.from(b.images!)));
    const epoch1 = await collect(loader, 1);
    expect(epoch1.flatMap((b) => Array.from(b.indices))).not.toEqual(seen);
    expect(new DataLoader(idxSet(), { ...options, dropLast: true }).length).toBe(4);
  });

  it('skips corrupt files when asked, counting them, and otherwise stops with the path', async () => {
    const root = tempDir();
    for (let i = 0; i < 4; i++) writeFile(join(root, 'a', `${i}.png`), pngBytes(solid(3, 3, [i, i, i]), 3, 3));
    writeFile(join(root, 'a', '2.png'), 'garbage');
    const set = ImageFolder.open(root);
    const progress: Progress[] = [];
    const loader = new DataLoader(set, { batchSize: 2, workers: 0, onCorrupt: 'skip', onProgress: (p) => progress.push(p) });
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.shape![0])).toEqual([2, 1]);
    const last = progress.at(-1)!;
    expect([last.done, last.images, last.total, last.batches]).toEqual([true, 3, 4, 2]);
    expect(last.skipped).toEqual([{ source: join(root, 'a', '2.png'), reason: `'${join(root, 'a', '2.png')}' is not a PNG or JPEG image (it starts with 67 61 72 62 61 67 65)` }]);
    expect(last.imagesPerSecond).toBeGreaterThan(0);
    await expect(collect(new DataLoader(set, { batchSize: 2, workers: 0 }), 0)).rejects.toThrow(`'${join(root, 'a', '2.png')}' is not a PNG or JPEG image`);
  });

  it('refuses to stack images of different sizes, saying what to add', async () => {
    const root = tempDir();
    writeFile(join(root, 'a', '0.png'), pngBytes(solid(3, 3, [0, 0, 0]), 3, 3));
    writeFile(join(root, 'a', '1.png'), pngBytes(solid(4, 3, [0, 0, 0]), 3, 4));
    const set = ImageFolder.open(root);
    await expect(collect(new DataLoader(set, { batchSize: 2, workers: 0 }), 0)).rejects.toThrow(/cannot stack a batch of 3x3x3 uint8 from .* and 4x3x3 uint8 from .*: add Resize and CenterCrop/);
    const listed = await collect(new DataLoader(set, { batchSize: 2, workers: 0, stack: false }), 0);
    expect(listed[0]!.list!.map((i) => i.height)).toEqual([3, 4]);
  });

  it('carries detection targets and segmentation masks, moved by the transform', async () => {
    const root = tempDir();
    const instances = {
      images: [{ id: 1, file_name: 'a.png', height: 4, width: 8 }, { id: 2, file_name: 'b.png', height: 4, width: 8 }],
      annotations: [{ id: 1, image_id: 1, category_id: 7, bbox: [0, 0, 2, 2], area: 4, iscrowd: 0 }],
      categories: [{ id: 7, name: 'box' }],
    };
    writeFile(join(root, 'annotations', 'instances_val.json'), JSON.stringify(instances));
    for (const f of ['a.png', 'b.png']) writeFile(join(root, 'val', f), pngBytes(solid(4, 8, [1, 2, 3]), 8, 4));
    const set = CocoDataset.open(join(root, 'annotations', 'instances_val.json'));
    const [batch] = await collect(new DataLoader(set, { batchSize: 2, workers: 0, transform: new Compose([new RandomHorizontalFlip(1), new Resize([8, 16]), new ToTensor()]) }), 0);
    expect(batch!.shape).toEqual([2, 8, 16, 3]);
    expect(batch!.labels).toBeUndefined();
    expect(batch!.targets!.map((t) => Array.from(t.boxes!))).toEqual([[12, 0, 16, 4], []]);
    expect(Array.from(batch!.targets![0]!.labels!)).toEqual([0]);
    expect(Array.from(batch!.targets![0]!.crowd!)).toEqual([0]);

    const voc = join(tempDir(), 'VOC2012');
    writeFile(join(voc, 'ImageSets', 'Segmentation', 'train.txt'), 'x\n');
    writeFile(join(voc, 'JPEGImages', 'x.jpg'), jpegBytes(solid(2, 4, [0, 0, 0]), 4, 2));
    writeFile(join(voc, 'SegmentationClass', 'x.png'), palettePngBytes(Uint8Array.from([1, 1, 0, 255, 2, 2, 0, 255]), 4, 2));
    const [segmented] = await collect(new DataLoader(VocDataset.open(voc, { task: 'segmentation' }), { batchSize: 1, workers: 0, transform: new RandomHorizontalFlip(1) }), 0);
    expect(Array.from(segmented!.masks!)).toEqual([255, 0, 1, 1, 255, 0, 2, 2]);
  });
});

// Worker threads run the built worker (dist/loader/worker.js): the package's build runs before its tests.
const dist = new URL('../../dist/index.js', import.meta.url);

describe('DataLoader with worker threads (built package)', () => {
  it('delivers the same batches, in order, as the in-thread loader', async () => {
    const built = (await import(dist.href)) as typeof import('../index.js');
    const set = idxSet();
    const options = { batchSize: 4, shuffle: true, seed: 3, transform: augment() };
    const local = await collect(new DataLoader(set, { ...options, workers: 0 }), 2);
    const pooled = new built.DataLoader(new built.IdxDataset(set.spec), { ...options, workers: 3, transform: built.transformFromSpec(options.transform.spec) });
    const remote = await collect(pooled as unknown as DataLoader, 2);
    await pooled.close();
    expect(remote.map((b) => Array.from(b.indices))).toEqual(local.map((b) => Array.from(b.indices)));
    expect(remote.map((b) => Array.from(b.images!))).toEqual(local.map((b) => Array.from(b.images!)));
  });

  it('lets the process exit when an epoch is abandoned without close(), and reports a worker DataError with its path', () => {
    const root = tempDir();
    for (let i = 0; i < 6; i++) writeFile(join(root, 'a', `${i}.png`), pngBytes(solid(2, 2, [i, i, i]), 2, 2));
    writeFile(join(root, 'a', '5.png'), 'garbage');
    const script = `
      const { DataLoader, ImageFolder } = await import(${JSON.stringify(dist.href)});
      const loader = new DataLoader(ImageFolder.open(${JSON.stringify(root)}), { batchSize: 2, workers: 2 });
      for await (const batch of loader.epoch(0)) { console.log('batch', batch.shape.join('x')); break; }
      try { for await (const batch of loader.epoch(1)) console.log('batch', batch.shape.join('x')); } catch (e) { console.log(e.name + ': ' + e.message); }
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
    expect(out.trim().split('\n')).toEqual(['batch 2x2x2x3', 'batch 2x2x2x3', 'batch 2x2x2x3', `DataError: '${join(root, 'a', '5.png')}' is not a PNG or JPEG image (it starts with 67 61 72 62 61 67 65)`]);
  });
});
