/** Options and helpers shared by the model zoo. */
import { BatchNorm2d, Conv2d, init, Linear, type Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';

export interface VisionModelOptions {
  /** outputs of the classifier (1000 for ImageNet; 14 for ChestX-ray14) */
  numClasses?: number;
  /** input channels: 3 for RGB, 1 for grey X-rays (the stem is built for it) */
  inChannels?: number;
}

/**
 * torchvision's initialisation: He-normal convolutions (ResNet: fan out; DenseNet: fan in), batch
 * norm weight 1 and bias 0, and (DenseNet) zero classifier bias.
 */
export function initLikeTorchvision(
  model: Module,
  convMode: 'fanOut' | 'fanIn' = 'fanOut',
  zeroLinearBias = false,
): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: convMode, nonlinearity: 'relu' });
    else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Linear && m.bias && zeroLinearBias) init.zeros_(m.bias);
  }
}

/**
 * Adapts a pretrained RGB stem to grey input by summing its weights over the input channels, so a
 * grey image x gives the same response as the RGB image (x, x, x). Returns a new state dict.
 *
 * @example
 * ```ts
 * const rgb = loadSafetensors('resnet50.safetensors').tensors;
 * resnet50({ inChannels: 1 }).loadStateDict(sumStemToGrey(rgb, 'conv1.weight'));
 * ```
 */
export function sumStemToGrey(stateDict: Record<string, Tensor>, stemKey: string): Record<string, Tensor> {
  const w = stateDict[stemKey];
  if (!w) throw new Error(`sumStemToGrey: no '${stemKey}' in the state dict`);
  if (w.ndim !== 4 || w.size(1) !== 3) {
    throw new RangeError(`sumStemToGrey: '${stemKey}' must be [out, 3, kh, kw], got [${w.shape.join(', ')}]`);
  }
  return { ...stateDict, [stemKey]: torch.keep(torch.sum(w, [1], true)) };
}
