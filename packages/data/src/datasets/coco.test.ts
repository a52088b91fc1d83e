import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jpegBytes, solid, tempDir, writeFile } from '../test/write-files.js';
import { CocoDataset } from './coco.js';

// An instances_val2017.json in COCO's layout, abridged: category ids with gaps, a crowd region, an image without objects.
const instances = {
  info: { description: 'COCO 2017 Dataset' },
  licenses: [],
  images: [
    { id: 397133, file_name: '000000397133.jpg', height: 6, width: 8, license: 4 },
    { id: 37777, file_name: '000000037777.jpg', height: 6, width: 8, license: 1 },
  ],
  annotations: [
    { id: 1768, image_id: 397133, category_id: 18, bbox: [1.5, 0.5, 4, 3], area: 9.5, iscrowd: 0, segmentation: [[1.5, 0.5, 5.5, 0.5, 5.5, 3.5]] },
    { id: 900100397133, image_id: 397133, category_id: 1, bbox: [0, 2, 8, 4], area: 30, iscrowd: 1, segmentation: { counts: [0, 48], size: [6, 8] } },
  ],
  categories: [
    { supercategory: 'person', id: 1, name: 'person' },
    { supercategory: 'animal', id: 18, name: 'dog' },
    { supercategory: 'vehicle', id: 3, name: 'car' },
  ],
};

function cocoRoot(json: unknown = instances): string {
  const root = tempDir();
  writeFile(join(root, 'annotations', 'instances_val2017.json'), JSON.stringify(json));
  writeFile(join(root, 'val2017', '000000397133.jpg'), jpegBytes(solid(6, 8, [10, 10, 10]), 8, 6));
  writeFile(join(root, 'val2017', '000000037777.jpg'), jpegBytes(solid(6, 8, [10, 10, 10]), 8, 6));
  return root;
}

describe('CocoDataset', () => {
  it('maps category ids to contiguous labels, boxes to corners, and keeps crowd flags', () => {
    const root = cocoRoot();
    const set = CocoDataset.open(join(root, 'annotations', 'instances_val2017.json'));
    expect(set.classes).toEqual(['person', 'car', 'dog']);
    expect(set.length).toBe(2);
    const item = set.get(0);
    expect(Array.from(item.boxes!)).toEqual([1.5, 0.5, 5.5, 3.5, 0, 2, 8, 6]);
    expect(Array.from(item.labels!)).toEqual([2, 0]);
    expect(Array.from(item.crowd!)).toEqual([0, 1]);
    expect(set.get(1).boxes).toHaveLength(0);
    const gt = set.groundTruth();
    expect(gt.categories).toEqual([{ id: 1 }, { id: 3 }, { id: 18 }]);
    expect(gt.annotations[0]).toEqual({ id: 1, image_id: 397133, category_id: 18, bbox: [1.5, 0.5, 4, 3], area: 9.5, iscrowd: 0 });
  });

  it('names the file and the annotation at fault', () => {
    const path = (root: string) => join(root, 'annotations', 'instances_val2017.json');
    let root = cocoRoot({ ...instances, annotations: [{ ...instances.annotations[0], category_id: 99 }] });
    expect(() => CocoDataset.open(path(root))).toThrow(`COCO annotations '${path(root)}': annotation 1768 has category 99, which "categories" does not list`);
    root = cocoRoot({ ...instances, annotations: [{ ...instances.annotations[0], bbox: [1, 2, -3, 4] }] });
    expect(() => CocoDataset.open(path(root))).toThrow('annotation 1768 has bbox [1,2,-3,4]; COCO boxes are [x, y, width, height], width and height >= 0');
    root = cocoRoot({ images: [] });
    expect(() => CocoDataset.open(path(root))).toThrow('need "images", "annotations" and "categories" arrays');
    root = cocoRoot();
    writeFile(path(root), '{"images": [');
    expect(() => CocoDataset.open(path(root))).toThrow(new RegExp(`^COCO annotations '${path(root)}' are not valid JSON`));
    expect(() => CocoDataset.open(path(root), { imageDir: join(root, 'nowhere') })).toThrow(/not valid JSON/);
    root = cocoRoot();
    expect(() => CocoDataset.open(path(root), { imageDir: join(root, 'train2017') })).toThrow(`COCO images folder '${join(root, 'train2017')}' does not exist`);
  });
});
