import type { Dataset, DatasetSpec } from './dataset.js';
import { IdxDataset } from './idx.js';
import { ImageFolder } from './image-folder.js';

/** Rebuilds a data set from its plain-data spec (in a loader worker), without rescanning its files. */
export function datasetFromSpec(spec: DatasetSpec): Dataset {
  switch (spec.kind) {
    case 'ImageFolder':
      return new ImageFolder(spec);
    case 'Idx':
      return new IdxDataset(spec);
    default:
      throw new Error(`no data set kind '${spec.kind}' in this build of @convkit/data`);
  }
}
