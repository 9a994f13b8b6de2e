/**
 * Published per-finding AUCs to put beside ours, each with the split it was measured on (from
 * /work/shared/research/chexnet.md): they are context, not comparable numbers, unless the split matches.
 */
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';

export interface PublishedColumn {
  name: string;
  split: string;
  /** per finding in CXR14_LABELS order; null where the source gives none */
  auc: (number | null)[];
  mean: number;
}

/** CheXNet (Rajpurkar et al. 2017, Table 2): DenseNet-121, random patient-level 70/10/20 split. */
export const CHEXNET: PublishedColumn = {
  name: 'CheXNet (DenseNet-121)',
  split: 'random patient-level 70/10/20',
  auc: [0.8094, 0.9248, 0.8638, 0.7345, 0.8676, 0.7802, 0.768, 0.8887, 0.7901, 0.8878, 0.9371, 0.8047, 0.8062, 0.9164],
  mean: 0.841,
};

const whitePaper: Partial<Record<(typeof CXR14_LABELS)[number], number>> = {
  Cardiomegaly: 0.892,
  Effusion: 0.873,
  Infiltration: 0.704,
  Pneumonia: 0.721,
  Pneumothorax: 0.872,
  Edema: 0.882,
  Emphysema: 0.876,
};

/** The seed's ResNet-50 (Dell/Intel notebook run; the white paper reports 0.801 mean): image-level random 70/30 split, patients leak. */
export const WHITE_PAPER_RESNET50: PublishedColumn = {
  name: 'Analytics Zoo ResNet-50 (seed)',
  split: 'random image-level 70/30 (patients on both sides)',
  auc: CXR14_LABELS.map((l) => whitePaper[l] ?? null),
  mean: 0.809,
};
