import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jpegBytes, palettePngBytes, solid, tempDir, writeFile } from '../test/write-files.js';
import { VOC_CLASSES, VocDataset } from './voc.js';

// The layout and XML of VOCdevkit/VOC2012, as the devkit ships it (2007_000032.xml, abridged to two objects).
const XML = `<annotation>
	<folder>VOC2012</folder>
	<filename>2007_000032.jpg</filename>
	<source>
		<database>The VOC2007 Database</database>
		<annotation>PASCAL VOC2007</annotation>
		<image>flickr</image>
	</source>
	<size>
		<width>8</width>
		<height>6</height>
		<depth>3</depth>
	</size>
	<segmented>1</segmented>
	<object>
		<name>aeroplane</name>
		<pose>Frontal</pose>
		<truncated>0</truncated>
		<difficult>0</difficult>
		<bndbox>
			<xmin>2</xmin>
			<ymin>1</ymin>
			<xmax>7</xmax>
			<ymax>4</ymax>
		</bndbox>
	</object>
	<object>
		<name>person</name>
		<pose>Unspecified</pose>
		<truncated>1</truncated>
		<difficult>1</difficult>
		<bndbox>
			<xmin>1</xmin>
			<ymin>3</ymin>
			<xmax>2</xmax>
			<ymax>6</ymax>
		</bndbox>
	</object>
</annotation>
`;

function vocRoot(): string {
  const root = join(tempDir(), 'VOCdevkit', 'VOC2012');
  writeFile(join(root, 'JPEGImages', '2007_000032.jpg'), jpegBytes(solid(6, 8, [90, 120, 30]), 8, 6));
  writeFile(join(root, 'JPEGImages', '2007_000033.jpg'), jpegBytes(solid(6, 8, [0, 0, 0]), 8, 6));
  writeFile(join(root, 'Annotations', '2007_000032.xml'), XML);
  writeFile(join(root, 'Annotations', '2007_000033.xml'), XML.replace('<name>person</name>', '<name>unicorn</name>'));
  writeFile(join(root, 'ImageSets', 'Main', 'train.txt'), '2007_000032\n2007_000033\n');
  writeFile(join(root, 'ImageSets', 'Segmentation', 'val.txt'), '2007_000032\r\n2007_000033\r\n');
  const mask = new Uint8Array(6 * 8);
  mask.fill(1, 8, 16);
  mask.fill(255, 16, 18);
  mask[30] = 15;
  writeFile(join(root, 'SegmentationClass', '2007_000032.png'), palettePngBytes(mask, 8, 6));
  const wrong = mask.slice();
  wrong[0] = 40;
  writeFile(join(root, 'SegmentationClass', '2007_000033.png'), palettePngBytes(wrong, 8, 6));
  return root;
}

describe('VocDataset', () => {
  it('reads boxes (continuous coordinates), labels and difficult flags from Annotations XML', () => {
    const root = vocRoot();
    const set = VocDataset.open(root, { split: 'train' });
    expect(set.length).toBe(2);
    expect(set.classes).toEqual(VOC_CLASSES);
    const item = set.get(0);
    expect([item.image.height, item.image.width, item.image.channels]).toEqual([6, 8, 3]);
    expect(Array.from(item.boxes!)).toEqual([1, 0, 7, 4, 0, 2, 2, 6]);
    expect(Array.from(item.labels!)).toEqual([0, 14]);
    expect(Array.from(item.difficult!)).toEqual([0, 1]);
    expect(Array.from(VocDataset.open(root, { keepDifficult: false }).get(0).labels!)).toEqual([0]);
    const xml = join(root, 'Annotations', '2007_000033.xml');
    expect(() => set.get(1)).toThrow(`'${xml}' object 2 has class 'unicorn', not one of VOC's 20`);
  });

  it('reads SegmentationClass palette PNGs as class indices with 255 void', () => {
    const root = vocRoot();
    const set = VocDataset.open(root, { task: 'segmentation', split: 'val' });
    expect(set.classes[0]).toBe('background');
    const { mask } = set.get(0);
    expect([mask!.height, mask!.width, mask!.channels]).toEqual([6, 8, 1]);
    expect(Array.from(mask!.data.subarray(8, 19))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 255, 255, 0]);
    expect(mask!.data[30]).toBe(15);
    expect(() => set.get(1)).toThrow(`mask '${join(root, 'SegmentationClass', '2007_000033.png')}' holds class 40; VOC masks hold 0..20 and 255 (void)`);
  });

  it('names what is missing or broken', () => {
    const root = vocRoot();
    expect(() => VocDataset.open(join(root, '..'))).toThrow(`VOC folder '${join(root, '..')}' has no JPEGImages; did you mean '${root}'?`);
    expect(() => VocDataset.open(root, { split: 'test' })).toThrow(`VOC folder '${root}' has no split 'test' for detection`);
    writeFile(join(root, 'Annotations', '2007_000032.xml'), '<annotation><object><name>cat</name></object></annotation>');
    expect(() => VocDataset.open(root).get(0)).toThrow(`'${join(root, 'Annotations', '2007_000032.xml')}' object 1 ('cat') has no valid <bndbox>`);
    writeFile(join(root, 'Annotations', '2007_000032.xml'), '<annotation><object><name>cat</name></annotation>');
    expect(() => VocDataset.open(root).get(0)).toThrow(/is not valid XML/);
  });
});
