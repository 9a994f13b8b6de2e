/** Every ONNX op tszoo imports, by op type (default domain). */

import { convOps } from './conv.js';
import type { OpConverter } from './converter.js';
import { elementwiseOps } from './elementwise.js';
import { indexingOps } from './indexing.js';
import { mathOps } from './math.js';
import { nnOps } from './nn.js';
import { padResizeOps } from './pad-resize.js';
import { poolOps } from './pool.js';
import { shapeOps } from './shape.js';

export const CONVERTERS: Readonly<Record<string, OpConverter>> = {
  ...convOps,
  ...elementwiseOps,
  ...indexingOps,
  ...mathOps,
  ...nnOps,
  ...padResizeOps,
  ...poolOps,
  ...shapeOps,
};

/** The op types importOnnx understands, sorted. */
export function supportedOnnxOps(): string[] {
  return Object.keys(CONVERTERS).sort();
}
