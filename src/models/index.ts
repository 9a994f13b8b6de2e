/**
 * The model zoo, with torchvision's parameter names: a torchvision state dict converted to
 * safetensors loads one to one (see README for the one-line conversion).
 */
export { sumStemToGrey, type VisionModelOptions } from './common.js';
export { DenseNet, type DenseNetOptions, densenet121, densenet169 } from './densenet.js';
export { InceptionV3, type InceptionV3Options, inceptionV3 } from './inception.js';
export { MobileNetV2, type MobileNetV2Options, mobilenetV2 } from './mobilenet.js';
export { ResNet, resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet.js';
