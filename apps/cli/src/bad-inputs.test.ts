import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { writeNpy } from '@convkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { convkit } from '../test/run-cli.js';
import { encodePng } from './images.js';

const work = mkdtempSync(join(tmpdir(), 'convkit-bad-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (...parts: string[]) => join(work, ...parts);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const image = join(repo, 'assets', 'images', 'coffee.png');

const npy = (name: string, shape: number[], fill = 0) =>
  writeFileSync(path(name), writeNpy({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) }));

// Small files that declare huge pictures: the header is patched after encoding, so only a header check stops them.
function hugePng(side = 20000): Buffer {
  const bytes = Buffer.from(encodePng(new Uint8Array(4 * 4 * 4), 4, 4));
  bytes.writeUInt32BE(side, 16);
  bytes.writeUInt32BE(side, 20);
  return bytes;
}
function hugeJpeg(): Buffer {
  const bytes = Buffer.from(jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, 90).data);
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  bytes.writeUInt16BE(30000, sof + 5);
  bytes.writeUInt16BE(30000, sof + 7);
  return bytes;
}

mkdirSync(path('out'));
mkdirSync(path('out', 'folder'));
writeFileSync(path('out', 'mask.png'), 'the mask of an earlier run');
writeFileSync(path('out', 'a-file'), 'not a folder');
npy('x.npy', [1, 32, 32, 1]);
npy('small.npy', [1, 8, 8, 1]);
npy('empty.npy', [0, 32, 32, 1]);
npy('nan.npy', [1, 32, 32, 1], Number.NaN);
npy('inf.npy', [2, 32, 32, 1], Number.POSITIVE_INFINITY);
writeFileSync(path('huge.png'), hugePng());
writeFileSync(path('8000.png'), hugePng(8000));
writeFileSync(path('30000.png'), hugePng(30000));
writeFileSync(path('huge.jpg'), hugeJpeg());
writeFileSync(path('notes.png'), 'not an image at all');
// 1.5 GB of zeros that take no disk: refused from their first bytes, never read whole.
writeFileSync(path('sparse.bin'), '');
truncateSync(path('sparse.bin'), 1.5 * 2 ** 30);

// Data sets from files, each wrong in one way.
mkdirSync(path('no-classes'));
mkdirSync(path('bad-idx'));
writeFileSync(path('bad-idx', 'train-images-idx3-ubyte'), 'not an IDX file at all');
writeFileSync(path('bad-idx', 'train-labels-idx1-ubyte'), 'nor this');
mkdirSync(path('half-idx'));
writeFileSync(path('half-idx', 'train-images-idx3-ubyte.gz'), 'the labels are missing');
for (const [name, bytes] of [['a/1.png', readFileSync(join(repo, 'assets', 'images', 'digit-1.png'))], ['b/2.png', 'a text file named .png']] as const) {
  mkdirSync(dirname(path('corrupt-folder', name)), { recursive: true });
  writeFileSync(path('corrupt-folder', name), bytes);
}
writeFileSync(path('notes.txt'), 'not a data set');
// Detection and segmentation data sets, each wrong in one way: a VOC root without ImageSets, JSON that is not COCO's.
for (const folder of ['Annotations', 'JPEGImages']) mkdirSync(path('voc-no-splits', folder), { recursive: true });
for (const folder of ['Annotations', 'JPEGImages', 'ImageSets/Segmentation']) mkdirSync(path('voc-seg', folder), { recursive: true });
writeFileSync(path('voc-seg', 'ImageSets', 'Segmentation', 'val.txt'), '2007_000032\n');
writeFileSync(path('not-coco.json'), JSON.stringify({ type: 'FeatureCollection', features: [] }));
writeFileSync(path('broken.json'), '{"images": [');
const lenetWeights = join(repo, 'assets', 'weights', 'lenet5-digits.safetensors');

const out = (name: string) => path('out', name);
const segment = (...more: string[]) => ['segment', image, '--model', 'fcn_tiny', '--backend', 'cpu', ...more];
const trainLenet = (...more: string[]) => ['train', '--model', 'lenet5', '--data', 'digits', '--epochs', '1', '--backend', 'cpu', ...more];
const trainOn = (data: string, ...more: string[]) => ['train', '--model', 'lenet5', '--data', data, '--epochs', '1', '--backend', 'cpu', '--out', out('t'), ...more];
const evalOn = (data: string, ...more: string[]) => ['eval', '--model', 'lenet5', '--weights', lenetWeights, '--data', data, '--backend', 'cpu', ...more];

/** args, exit code, what stderr says. */
const CASES: [string[], 2 | 3, RegExp][] = [
  [['run', 'lenet5', '--input', path('small.npy'), '--output', out('y.npy')], 3, /is 8x8 pixels; lenet5 needs at least 32x32/],
  [['run', 'lenet5', '--input', path('empty.npy'), '--output', out('y.npy')], 3, /is an empty batch/],
  [['run', 'lenet5', '--input', path('nan.npy'), '--output', out('y.npy')], 3, /nan\.npy' holds 1024 non-finite values \(the first, NaN, at flat index 0\)/],
  [['run', 'lenet5', '--input', path('inf.npy'), '--output', out('y.npy')], 3, /inf\.npy' holds 2048 non-finite values \(the first, Infinity/],
  [['run', 'lenet5', '--input', path('x.npy'), '--output', out('folder')], 3, /--output '.*folder' is a directory; give a file name/],
  [['run', 'lenet5', '--input', path('x.npy'), '--output', out('y.npy'), '--weights', '/dev/zero'], 3, /cannot read weights '\/dev\/zero': it is a device, not a file/],
  [['run', 'lenet5', '--input', path('x.npy'), '--output', out('y.npy'), '--weights', path('sparse.bin')], 3, /cannot read weights '.*sparse\.bin': not a safetensors file \(its header does not start with '\{'\)/],
  [['run', 'lenet5', '--input', path('x.npy'), '--output', out('y.npy'), '--weights', image], 3, /not a safetensors file \(it starts with a header length of \d+ bytes, and the file has \d+\)/],
  [['run', 'lenet5', '--input', path('sparse.bin'), '--output', out('y.npy')], 3, /cannot read input '.*sparse\.bin': not a \.npy file/],
  [['run', 'lenet5', '--input', work, '--output', out('y.npy')], 3, /cannot read input '.*': it is a directory, not a file/],
  [['run', 'lenet5', '--input', path('x.npy'), '--output', out('nope/y.npy')], 3, /the folder '.*nope' does not exist/],
  [['summary', 'lenet5', '--input', '99999'], 2, /--input takes sides from 1 to 2048 pixels/],
  [['summary', 'lenet5', '--input', '0'], 2, /--input takes sides from 1 to 2048 pixels/],
  [['summary', 'lenet5', '--input', 'big'], 2, /--input takes a size like 224 or 224x320/],
  [['summary', 'lenet5', '--backend', 'cuda'], 3, /backend 'cuda' cannot run from the CLI: .*NVIDIA GPU/],
  [['summary', 'lenet5', '--backend', 'tensorflow'], 3, /backend 'tensorflow' cannot run from the CLI: .*@convkit\/backend-tfjs-node/],
  [segment('--out', out('m.png'), '--num-classes', '100000'), 2, /--num-classes takes an integer from 1 to 1000, got '100000'/],
  [segment('--out', out('m.png'), '--num-classes', '0'), 2, /--num-classes takes an integer from 1 to 1000/],
  [segment('--out', out('mask.png'), '--overlay', out('nope/overlay.png')), 3, /--overlay '.*nope\/overlay\.png': the folder '.*nope' does not exist/],
  [segment('--out', out('mask.png'), '--overlay', out('mask.png')), 2, /--out and --overlay are the same file/],
  [segment('--out', out('folder')), 3, /--out '.*folder' is a directory/],
  [['segment', path('huge.png'), '--model', 'fcn_tiny', '--out', out('m.png')], 3, /declares 20000x20000 pixels \(400\.0 megapixels\), more than the 100 convkit decodes; pass --max-megapixels 400/],
  [segment('--out', out('m.png'), '--max-megapixels', '0'), 2, /--max-megapixels takes a positive number/],
  [['segment', path('8000.png'), '--model', 'fcn_tiny', '--out', out('m.png')], 3, /is 8000x8000 pixels; fcn_tiny's forward pass on it needs [\d.]+ GiB of tensors, more than the 4\.0 GiB a backend can hold \(wasm's heap\); resize it to \d+x\d+ or smaller first/],
  [['segment', path('8000.png'), '--model', 'fcn8s_vgg16', '--out', out('m.png')], 3, /fcn8s_vgg16's forward pass on it needs [\d.]+ GiB of tensors, .*; resize it to \d+x\d+ or smaller first/],
  [['detect', path('30000.png'), '--model', 'fasterrcnn_small', '--json', '--max-megapixels', '1000'], 3, /is 30000x30000 pixels; fasterrcnn_small's forward pass on it needs [\d.]+ GiB of tensors, .*; resize it to \d+x\d+ or smaller first/],
  [['classify', path('huge.jpg'), '--model', 'lenet5'], 3, /declares 30000x30000 pixels \(900\.0 megapixels\)/],
  [['classify', '/dev/zero', '--model', 'lenet5'], 3, /cannot read image '\/dev\/zero': it is a device, not a file/],
  [['classify', path('sparse.bin'), '--model', 'lenet5'], 3, /cannot read image '.*sparse\.bin': it is 1\.5 GiB, more than the 1\.0 GiB convkit reads/],
  [['classify', path('notes.png'), '--model', 'lenet5'], 3, /is not a PNG or JPEG image \(it starts with 6e 6f 74/],
  [['classify', image, '--model', 'lenet5', '--top', '0'], 2, /--top takes a positive integer/],
  [['detect', image, '--model', 'fasterrcnn_small', '--out', out('folder')], 3, /--out '.*folder' is a directory/],
  [trainLenet('--out', out('a-file')), 3, /--out '.*a-file' is a file, not a folder/],
  [trainLenet('--out', out('a-file/run')), 3, /--out '.*a-file\/run': cannot create or write into that folder: a file stands in its path/],
  [trainLenet('--out', '/sys/convkit-run'), 3, /--out '\/sys\/convkit-run': cannot create or write into that folder/],
  [trainLenet('--out', out('t'), '--batch-size', '0'), 2, /--batch-size takes an integer of at least 1, got '0'/],
  [trainLenet('--out', out('t'), '--batch-size', '2000'), 2, /digits has 1438 training images; pass --batch-size 1438 or less/],
  [trainLenet('--out', out('t'), '--seed', '1.5'), 2, /--seed takes an integer of at least 0/],
  [trainOn(path('nowhere')), 3, /--data '.*nowhere' is neither a bundled data set \(digits, shapes-segmentation, shapes-detection\) nor a file or folder/],
  [trainOn(path('notes.txt')), 3, /--data '.*notes\.txt' is a file but not a COCO annotations \.json/],
  [trainOn(path('no-classes')), 3, /image folder '.*no-classes' has no class folders/],
  [trainOn(path('bad-idx')), 3, /IDX images file '.*train-images-idx3-ubyte' starts with magic number \d+, not IDX's 2051/],
  [trainOn(path('half-idx')), 3, /IDX folder '.*half-idx' lacks train-labels-idx1-ubyte/],
  [trainOn(path('corrupt-folder'), '--batch-size', '1'), 3, /'.*b\/2\.png' is not a PNG or JPEG image/],
  [trainOn(path('corrupt-folder')), 3, /the default batch size is 32, but .*corrupt-folder has 2 training images; pass --batch-size 2 or less/],
  [trainOn(path('corrupt-folder'), '--val', path('no-classes')), 3, /image folder '.*no-classes' has no class folders/],
  [['train', '--model', 'fcn_tiny', '--data', path('corrupt-folder'), '--epochs', '1'], 3, /is a classification data set; fcn_tiny is a segmentation model/],
  [trainLenet('--out', out('t'), '--val', path('corrupt-folder')), 2, /--val is for data sets from files; digits is bundled/],
  [evalOn(path('nowhere')), 3, /--data '.*nowhere': no such file or folder/],
  [evalOn(path('corrupt-folder'), '--split', 'dev'), 2, /--split takes train, val or test, got 'dev'/],
  [evalOn(path('corrupt-folder'), '--batch-size', '0'), 2, /--batch-size takes an integer of at least 1, got '0'/],
  [evalOn(path('corrupt-folder')), 3, /'.*b\/2\.png' is not a PNG or JPEG image/],
  [evalOn(path('bad-idx')), 3, /starts with magic number \d+, not IDX's 2051/],
  [['eval', '--model', 'lenet5', '--weights', path('notes.txt'), '--data', path('corrupt-folder')], 3, /cannot read weights '.*notes\.txt': not a safetensors file/],
  [['eval', '--model', 'fcn_tiny', '--weights', lenetWeights, '--data', path('corrupt-folder')], 3, /fcn_tiny is a segmentation model/],
  [['eval', '--model', 'fasterrcnn_small', '--weights', lenetWeights, '--data', path('voc-no-splits')], 3, /VOC folder '.*voc-no-splits' has no split 'train' for detection \(.*ImageSets\/Main\/train\.txt is missing\)/],
  [['eval', '--model', 'fasterrcnn_small', '--weights', lenetWeights, '--data', path('not-coco.json')], 3, /COCO annotations '.*not-coco\.json': need "images", "annotations" and "categories" arrays/],
  [['eval', '--model', 'fasterrcnn_small', '--weights', lenetWeights, '--data', path('broken.json')], 3, /COCO annotations '.*broken\.json' are not valid JSON/],
  [['eval', '--model', 'fasterrcnn_small', '--weights', lenetWeights, '--data', path('not-coco.json'), '--split', 'val'], 2, /--split is for folders; a COCO annotations file is one split by itself/],
  [['eval', '--model', 'fasterrcnn_small', '--weights', lenetWeights, '--data', path('voc-no-splits'), '--images', work], 2, /--images is for a COCO annotations file/],
  [['eval', '--model', 'fcn_tiny', '--weights', join(repo, 'assets', 'weights', 'fcn_tiny-shapes.safetensors'), '--data', path('voc-seg')], 3, /weights '.*fcn_tiny-shapes\.safetensors' are for 4 classes \(background, disc, square, triangle, \.\.\.\), but the data set has 21 \(background, aeroplane, .*\); train fcn_tiny on it first/],
  [['eval', '--model', 'fcn_tiny', '--weights', lenetWeights, '--data', path('not-coco.json')], 3, /is a COCO annotations file, read for detection boxes; a segmentation model trains and is scored on a VOC root/],
  [['train', '--model', 'yolo_tiny', '--data', path('voc-no-splits'), '--epochs', '1', '--out', out('t')], 3, /has no split 'train' for detection \(.*ImageSets\/Main\/train\.txt is missing\)/],
  [['train', '--model', 'fcn_tiny', '--data', path('voc-no-splits'), '--epochs', '1', '--out', out('t')], 3, /has no split 'train' for segmentation \(.*ImageSets\/Segmentation\/train\.txt is missing\)/],
  [['train', '--model', 'fasterrcnn_small', '--data', path('not-coco.json'), '--epochs', '1', '--out', out('t')], 3, /not-coco\.json': need "images", "annotations" and "categories" arrays/],
  [['train', '--model', 'fasterrcnn_small', '--data', path('corrupt-folder'), '--epochs', '1', '--out', out('t')], 3, /is a classification data set; fasterrcnn_small is a detection model/],
  [['demo', '--out', out('a-file')], 3, /--out '.*a-file' is a file, not a folder/],
  [['bench', '--models', 'lenet5', '--no-peers', '--repeats', '0', '--out', out('bench')], 2, /--repeats takes an integer of at least 1, got '0'/],
  [['bench', '--models', 'lenet5', '--no-peers', '--warmup', 'x', '--out', out('bench')], 2, /--warmup takes an integer of at least 0, got 'x'/],
];

function listing(folder: string): string[] {
  return readdirSync(folder, { recursive: true }).map(String).sort().map((f) => `${f} ${statSync(join(folder, f)).size}`);
}

/** The peak resident set size of the CLI's process in every case: Node and a backend alone take about 120 MiB. */
const MAX_PEAK_RSS_MIB = 1024;

describe('every command refuses bad input in one line, with the documented exit code, writing nothing, in bounded memory', () => {
  it.each(CASES.map(([args, code, message]) => [args.join(' ').replaceAll(work, '$TMP'), args, code, message] as const))('%s', async (_, args, code, message) => {
    const before = listing(path('out'));
    const r = await convkit(...args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help')).length).toBeLessThanOrEqual(2);
    expect(listing(path('out'))).toEqual(before);
    expect(readFileSync(path('out', 'mask.png'), 'utf8')).toBe('the mask of an earlier run');
    expect(r.peakRssMiB, 'peak resident set size in MiB').toBeLessThan(MAX_PEAK_RSS_MIB);
  }, 60_000);

  it('documents the exit codes in --help', async () => {
    const r = await convkit('--help');
    expect(r.stdout).toMatch(/2 +bad command line: .*option value out of range/);
    expect(r.stdout).toMatch(/3 +bad input: /);
    expect(r.stdout).toContain('convkit classify assets/images/digit-*.png');
    expect(readdirSync(join(repo, 'assets', 'images')).filter((f) => /^digit-\d\.png$/.test(f))).toHaveLength(10);
  });
});
