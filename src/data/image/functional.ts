/**
 * Functional image ops (torchvision's `transforms.functional`): deterministic `Image -> Image`
 * functions with explicit parameters, for writing your own transforms. The transforms beside them in
 * `data` (`HFlip`, `Rotation`, `RandomResizedCrop`, ...) draw their parameters and call these.
 *
 * @example
 * ```ts
 * import { data } from 'tszoo';
 * const F = data.functional;
 * const flipped = F.hflip(img);
 * const patch = F.crop(F.rotate(img, 15), 16, 16, 224, 224);
 * const myTransform: data.Transform = { name: 'Rotate90', apply: (img) => F.rotate(img, 90) };
 * ```
 */
export { convertColour, toGrey, toRGB } from './colour.js';
export { crop, hflip, randomResizedCropParams, resizeOutputSize } from './geometric.js';
export { resizeBilinear } from './resample.js';
export { rotate } from './rotate.js';
