/** The recipe's preprocessing: decode options (grey, resize, centre crop) and the train/eval transform chains. */
import type { DecodeImageOptions } from '../../src/data/image/decode.js';
import {
  Brightness,
  ChannelNormalize,
  chain,
  GreyToRGB,
  HFlip,
  ToFloat,
  ToTensor,
  type Transform,
} from '../../src/data/image/transforms.js';
import type { Image } from '../../src/data/image/types.js';
import type { torch } from '../../src/index.js';
import type { CxrRecipe } from './config.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Grey decode, resized to resize x resize and centre-cropped (RGBA and RGB PNGs become grey too). */
export function decodeOptions(r: CxrRecipe): DecodeImageOptions {
  return { colour: 'grey', resize: [r.resize, r.resize], centerCrop: r.crop };
}

function tail(r: CxrRecipe): Transform[] {
  const t: Transform[] = [ToFloat()];
  if (r.inChannels === 3) t.push(GreyToRGB());
  if (r.normalize === 'imagenet') {
    t.push(
      r.inChannels === 3
        ? ChannelNormalize(IMAGENET_MEAN, IMAGENET_STD)
        : ChannelNormalize(IMAGENET_MEAN.reduce((a, b) => a + b) / 3, IMAGENET_STD.reduce((a, b) => a + b) / 3),
    );
  }
  return t;
}

/** Training: random flip and brightness (on 8-bit values, as BigDL), then float, channels, normalisation. */
export function trainTransform(r: CxrRecipe): Transform<Image, torch.Tensor> {
  const random: Transform[] = [];
  if (r.flip > 0) random.push(HFlip(r.flip));
  if (r.brightnessP > 0 && r.brightness > 0) random.push(Brightness(0, r.brightness, r.brightnessP));
  return chain<torch.Tensor>(...random, ...tail(r), ToTensor());
}

/** Evaluation and inference: the deterministic part only. */
export function evalTransform(r: CxrRecipe): Transform<Image, torch.Tensor> {
  return chain<torch.Tensor>(...tail(r), ToTensor());
}

/** The part of the image the model sees (the centre crop of the resized image), normalised [x0, y0, x1, y1]. */
export function inputRegion(r: CxrRecipe): [number, number, number, number] {
  const off = Math.round((r.resize - r.crop) / 2) / r.resize;
  const end = off + r.crop / r.resize;
  return [off, off, end, end];
}
