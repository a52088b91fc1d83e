import type { Dataset, DatasetSpec } from './dataset.js';
import { IdxDataset } from './idx.js';
import { ImageFolder } from './image-folder.js';
import { CocoDataset } from './coco.js';
import { VocDataset } from './voc.js';

/** Rebuilds a data set from its plain-data spec (in a loader worker), without rescanning its files. */
export function datasetFromSpec(spec: DatasetSpec): Dataset {
  switch (spec.kind) {
    case 'ImageFolder':
      return new ImageFolder(spec);
    case 'Idx':
      return new IdxDataset(spec);
    case 'Voc':
      return new VocDataset(spec);
    case 'Coco':
      return new CocoDataset(spec);
  }
}
