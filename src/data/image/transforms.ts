/**
 * Preprocessing transforms (the seed's image operations with torchvision's semantics where both exist).
 *
 * Design: transforms work on decoded {@link Image}s (HWC typed arrays) in plain TypeScript, and
 * `ToTensor` ends a chain. Reasons, measured on this machine: one 1024² → 256² antialiased resize takes a
 * few ms in JS, less than a tensor round trip per image, and the JS port of Pillow's resampler equals
 * torchvision-on-PIL bit for bit for 8-bit images, which LibTorch's `_upsample_bilinear2d_aa` (float,
 * then rounded) does not. The heavy step, decoding, runs in sharp's thread pool (`decodeImage`, which can
 * also resize there); batch-level tensor augmentation can follow `ToTensor` with torch ops.
 *
 * The deterministic ops they are made of (`hflip`, `rotate`, `crop`, ...) are in `functional.ts`
 * (`data.functional`), as torchvision keeps them in `transforms.functional`.
 */
export {
  CenterCrop,
  HFlip,
  RandomCrop,
  RandomResizedCrop,
  type RandomResizedCropOptions,
  Resize,
  type ResizeOptions,
} from './geometric.js';
export { Brightness, ChannelNormalize, Contrast, GreyToRGB, ToFloat, ToTensor } from './photometric.js';
export { Rotation } from './rotate.js';
export { chain, RandomApply, type Rng, type Transform } from './transform.js';
