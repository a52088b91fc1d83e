import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { jpegBytes, pngBytes, solid, tempDir, writeFile } from '../test/write-files.js';
import { ImageFolder } from './image-folder.js';

function folder() {
  const root = tempDir();
  writeFile(join(root, 'dog', 'b.png'), pngBytes(solid(4, 6, [10, 20, 30]), 6, 4));
  writeFile(join(root, 'dog', 'a.jpg'), jpegBytes(solid(8, 8, [200, 100, 50]), 8, 8));
  writeFile(join(root, 'cat', 'nested', 'c.PNG'), pngBytes(solid(3, 3, [1, 2, 3]), 3, 3));
  writeFile(join(root, 'cat', 'notes.txt'), 'not an image');
  writeFile(join(root, 'cat', 'd.bmp'), 'BM');
  writeFile(join(root, 'README'), 'a file at the top is not a class');
  return root;
}

describe('ImageFolder', () => {
  it('lists classes and files in torchvision order and decodes on demand', () => {
    const root = folder();
    const set = ImageFolder.open(root);
    expect(set.classes).toEqual(['cat', 'dog']);
    expect(set.spec.files.map((f) => f.slice(root.length + 1))).toEqual([join('cat', 'nested', 'c.PNG'), join('dog', 'a.jpg'), join('dog', 'b.png')]);
    expect(Array.from(set.spec.labels)).toEqual([0, 1, 1]);
    expect(set.skippedFormats).toEqual([join(root, 'cat', 'd.bmp')]);
    const png = set.get(2);
    expect([png.image.height, png.image.width, png.image.channels, png.label]).toEqual([4, 6, 3, 1]);
    expect(Array.from(png.image.data.subarray(0, 3))).toEqual([10, 20, 30]);
    const jpg = set.get(1);
    expect([jpg.image.height, jpg.image.width]).toEqual([8, 8]);
    // A JPEG of one flat colour decodes to within a level or two of it.
    expect(Math.abs(jpg.image.data[0]! - 200)).toBeLessThanOrEqual(2);
  });

  it('names the corrupt file, a missing root, an empty class and an oversized picture', () => {
    const root = folder();
    writeFile(join(root, 'dog', 'broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    writeFile(join(root, 'dog', 'text.jpg'), 'hello');
    const set = ImageFolder.open(root);
    const broken = set.spec.files.indexOf(join(root, 'dog', 'broken.png'));
    expect(() => set.get(broken)).toThrow(new RegExp(`^cannot decode '${join(root, 'dog', 'broken.png')}' as PNG`));
    const text = set.spec.files.indexOf(join(root, 'dog', 'text.jpg'));
    expect(() => set.get(text)).toThrow(`'${join(root, 'dog', 'text.jpg')}' is not a PNG or JPEG image (it starts with 68 65 6c 6c 6f)`);
    expect(() => ImageFolder.open(join(root, 'nope'))).toThrow(`image folder '${join(root, 'nope')}' does not exist`);
    writeFile(join(root, 'empty', 'x.txt'), '');
    expect(() => ImageFolder.open(root)).toThrow(/class folder 'empty' holds no PNG or JPEG files/);
    const big = tempDir();
    writeFile(join(big, 'a', 'big.png'), pngBytes(solid(20, 30, [0, 0, 0]), 30, 20));
    const capped = ImageFolder.open(big, { maxMegapixels: 0.0005 });
    expect(() => capped.get(0)).toThrow(DataError);
    expect(() => capped.get(0)).toThrow(/declares 30x20 pixels .* raise maxMegapixels/);
  });
});
