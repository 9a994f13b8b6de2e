/**
 * The classifier: a backbone cut at its last convolutional block, global average pooling, dropout and
 * a 14-way linear head with L2 on weight and bias (the seed's recipe). `featureMap` exposes the cut,
 * which Grad-CAM needs.
 */
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { nn, torch } from '../../src/index.js';
import { loadSafetensors } from '../../src/interop/safetensors.js';
import {
  densenet121,
  inceptionV3,
  mobilenetV2,
  resnet18,
  resnet34,
  resnet50,
  sumStemToGrey,
} from '../../src/models/index.js';

/** Backbones the application can build. 'small-cnn' is the quick one `npm start` trains on synthetic images. */
export const BACKBONES = [
  'small-cnn',
  'resnet18',
  'resnet34',
  'resnet50',
  'densenet121',
  'inception_v3',
  'mobilenet_v2',
] as const;
export type Backbone = (typeof BACKBONES)[number];

export interface CxrNetOptions {
  backbone: Backbone;
  /** 1 for grey input, 3 for the grey image repeated as RGB (ImageNet weights) */
  inChannels: 1 | 3;
  dropout: number;
  /** L2 on the head's weight and bias (BigDL's W_regularizer / b_regularizer) */
  l2: number;
  /** small-cnn: channels of its first block (doubled three times) */
  width?: number;
  /** a safetensors file with the backbone's ImageNet weights (torchvision names); summed to grey when inChannels is 1 */
  pretrained?: string | undefined;
}

type Trunk = {
  module: nn.Module;
  channels: number;
  map: (x: torch.Tensor) => torch.Tensor;
  /**
   * the trunk cut at earlier points and the rest of it, where the backbone has such cuts, from the last
   * block backwards (the last one is the finest feature map)
   */
  cuts?: Split[];
};

/** A trunk cut in two: `map` to a feature map, `rest` from it to the last block's output. */
export interface Split {
  map: (x: torch.Tensor) => torch.Tensor;
  rest: (a: torch.Tensor) => torch.Tensor;
}

function convBlock(inC: number, outC: number): nn.Module[] {
  return [new nn.Conv2d(inC, outC, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(outC), new nn.ReLU()];
}

/**
 * Each image scaled to zero mean and unit variance (over its pixels and channels): removes the exposure
 * (gain and offset) that differs between scanners before the first convolution.
 */
export class PerImageStandardize extends nn.Module {
  forward(x: torch.Tensor): torch.Tensor {
    return torch.scope(() => {
      const dims = Array.from({ length: x.ndim - 1 }, (_, k) => k + 1);
      const mean = torch.mean(x, dims, true);
      const std = torch.std(x, dims, false, true).clamp(1e-5);
      return torch.div(torch.sub(x, mean), std);
    });
  }
}

/**
 * Per-image standardisation, then seven 3x3 conv-BN-ReLU layers with two 2x2 max pools; the last layer is
 * dilated (2) instead of pooled first, so it sees as far as after a third pool but keeps a stride-4 grid
 * (16x16 at 64 px) for Grad-CAM. About 150k weights.
 */
function smallCnn(inChannels: number, w: number): Trunk {
  const module = new nn.Sequential(
    new PerImageStandardize(),
    ...convBlock(inChannels, w),
    ...convBlock(w, w),
    new nn.MaxPool2d(2),
    ...convBlock(w, 2 * w),
    ...convBlock(2 * w, 2 * w),
    new nn.MaxPool2d(2),
    ...convBlock(2 * w, 4 * w),
    ...convBlock(4 * w, 4 * w),
    new nn.Conv2d(4 * w, 8 * w, 3, { padding: 2, dilation: 2, bias: false }),
    new nn.BatchNorm2d(8 * w),
    new nn.ReLU(),
  );
  const kids = module.children();
  const run = (from: number, to: number, h: torch.Tensor) =>
    torch.scope(() => {
      let out = h;
      for (let k = from; k < to; k++) out = (kids[k] as nn.Module).forward(out);
      return out;
    });
  const split = (cut: number): Split => ({ map: (x) => run(0, cut, x), rest: (a) => run(cut, kids.length, a) });
  // after every earlier conv block, from the last backwards: stride 4 (21, 18), 2 (14, 11), 1 (7, 4)
  const cuts = [21, 18, 14, 11, 7, 4].map(split);
  return { module, channels: 8 * w, map: (x) => module.forward(x), cuts };
}

function zooTrunk(backbone: Exclude<Backbone, 'small-cnn'>, inChannels: number): Trunk {
  // numClasses 1: the zoo model's own classifier is never used, keep it tiny
  const o = { numClasses: 1, inChannels };
  switch (backbone) {
    case 'resnet18':
    case 'resnet34':
    case 'resnet50': {
      const m = { resnet18, resnet34, resnet50 }[backbone](o);
      const map = (x: torch.Tensor) =>
        torch.scope(() => {
          let h = m.maxpool.forward(m.relu.forward(m.bn1.forward(m.conv1.forward(x))));
          for (const layer of [m.layer1, m.layer2, m.layer3, m.layer4]) h = layer.forward(h);
          return h;
        });
      return { module: m, channels: m.numFeatures, map };
    }
    case 'densenet121': {
      const m = densenet121(o);
      return { module: m, channels: m.numFeatures, map: (x) => torch.scope(() => m.features.forward(x).relu()) };
    }
    case 'mobilenet_v2': {
      const m = mobilenetV2(o);
      return { module: m, channels: m.numFeatures, map: (x) => m.features.forward(x) };
    }
    case 'inception_v3': {
      const m = inceptionV3({ ...o, auxLogits: false } as Parameters<typeof inceptionV3>[0]);
      const sub = (n: string, h: torch.Tensor) => m.getSubmodule(n).forward(h);
      const map = (x: torch.Tensor) =>
        torch.scope(() => {
          let h = x;
          for (const n of ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3']) h = sub(n, h);
          h = torch.maxPool2d(h, 3, 2);
          h = torch.maxPool2d(sub('Conv2d_4a_3x3', sub('Conv2d_3b_1x1', h)), 3, 2);
          for (const n of [
            'Mixed_5b',
            'Mixed_5c',
            'Mixed_5d',
            'Mixed_6a',
            'Mixed_6b',
            'Mixed_6c',
            'Mixed_6d',
            'Mixed_6e',
          ])
            h = sub(n, h);
          for (const n of ['Mixed_7a', 'Mixed_7b', 'Mixed_7c']) h = sub(n, h);
          return h;
        });
      return { module: m, channels: 2048, map };
    }
  }
}

const STEM_KEY: Record<Exclude<Backbone, 'small-cnn'>, string> = {
  resnet18: 'conv1.weight',
  resnet34: 'conv1.weight',
  resnet50: 'conv1.weight',
  densenet121: 'features.conv0.weight',
  inception_v3: 'Conv2d_1a_3x3.conv.weight',
  mobilenet_v2: 'features.0.0.weight',
};

/**
 * Backbone + global average pooling + dropout + linear head; forward gives 14 logits.
 *
 * @example
 * ```ts
 * const net = new CxrNet({ backbone: 'resnet50', inChannels: 3, dropout: 0.2, l2: 0.1, pretrained: 'resnet50.safetensors' });
 * const logits = net.forward(batch); // [N, 14]
 * ```
 */
export class CxrNet extends nn.Module {
  readonly backbone: nn.Module;
  readonly dropout: nn.Dropout;
  readonly head: nn.Linear;
  readonly #map: (x: torch.Tensor) => torch.Tensor;
  readonly #cuts: readonly Split[];

  constructor(readonly options: CxrNetOptions) {
    super();
    const trunk =
      options.backbone === 'small-cnn'
        ? smallCnn(options.inChannels, options.width ?? 16)
        : zooTrunk(options.backbone, options.inChannels);
    if (options.pretrained) {
      if (options.backbone === 'small-cnn') throw new Error('CxrNet: small-cnn has no pretrained weights');
      const key = STEM_KEY[options.backbone];
      let weights = loadSafetensors(options.pretrained).tensors;
      if (options.inChannels === 1 && weights[key]?.shape[1] === 3) weights = sumStemToGrey(weights, key);
      const own = trunk.module.stateDict();
      // the zoo model's 1000-way classifier is not part of the cut
      const kept = Object.fromEntries(
        Object.entries(weights).filter(([k, t]) => own[k]?.shape.join() === t.shape.join()),
      );
      if (Object.keys(kept).length === 0)
        throw new Error(`CxrNet: no tensor of ${options.pretrained} fits ${options.backbone}`);
      trunk.module.loadStateDict(kept, { strict: false });
    }
    this.backbone = this.registerModule('backbone', trunk.module);
    this.dropout = this.registerModule('dropout', new nn.Dropout(options.dropout));
    const reg = options.l2 > 0 ? nn.l2(options.l2) : undefined;
    this.head = this.registerModule(
      'head',
      new nn.Linear(trunk.channels, CXR14_LABELS.length, { wRegularizer: reg, bRegularizer: reg }),
    );
    this.#map = trunk.map;
    this.#cuts = trunk.cuts ?? [];
  }

  /**
   * The trunk cut at earlier points, from the last block backwards (small-cnn: after each of its six
   * earlier conv blocks, strides 4, 4, 2, 2, 1, 1), for Grad-CAM on finer grids; empty for backbones
   * without such cuts.
   */
  get camCuts(): readonly Split[] {
    return this.#cuts;
  }

  /** The finest of `camCuts` (small-cnn: after its first conv block, stride 1); undefined without cuts. */
  get earlierCut(): Split | undefined {
    return this.#cuts.at(-1);
  }

  /** The last convolutional block's output [N, C, h, w] (the Grad-CAM layer). */
  featureMap(x: torch.Tensor): torch.Tensor {
    return this.#map(x);
  }

  /** Logits [N, 14] from a feature map. */
  headOf(map: torch.Tensor): torch.Tensor {
    return torch.scope(() => this.head.forward(this.dropout.forward(torch.adaptiveAvgPool2d(map, [1, 1]).flatten(1))));
  }

  forward(x: torch.Tensor): torch.Tensor {
    return torch.scope(() => this.headOf(this.featureMap(x)));
  }
}
