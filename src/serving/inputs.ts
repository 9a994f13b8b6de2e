/**
 * Turning what a client sends into model input samples: encoded image or DICOM bytes (decoded with the
 * model's decode options, then its transform), decoded images, tensors and JSON tensors.
 */

import type { DecodeImageOptions } from '../data/image/decode.js';
import { decodeImageBytes } from '../data/image/decode-file.js';
import { ImageDecodeError } from '../data/image/errors.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import { seededRandom } from '../data/sampler.js';
import * as torch from '../tensor/index.js';
import { InputError, isTensorPayload, payloadToFloat32, type TensorPayload } from './tensor-payload.js';

/**
 * One input of `predictOne`: PNG/JPEG/TIFF/WebP or DICOM bytes, a decoded image, a tensor of one sample
 * (no batch dimension) or its JSON form.
 */
export type ModelInput = Uint8Array | Image | torch.Tensor | TensorPayload;

/** One sample ready for the model: its shape (no batch dimension) and float32 values. */
export interface Sample {
  shape: number[];
  data: Float32Array;
}

/** How a model's inputs are prepared. */
export interface InputSpec {
  transform: Transform<Image, torch.Tensor> | null;
  decode: DecodeImageOptions;
  /** the sample shape the model takes, when known (inputs of another shape are refused) */
  inputShape: number[] | null;
  /** why there is no transform, when the saved one could not be rebuilt */
  transformNote?: string | null;
}

function isImage(v: unknown): v is Image {
  return typeof v === 'object' && v !== null && 'height' in v && 'width' in v && 'channels' in v && 'data' in v;
}

/** Throws an InputError unless the sample has the model's input shape. */
export function checkSampleShape(shape: readonly number[], spec: InputSpec, where: string): void {
  const want = spec.inputShape;
  if (want && (shape.length !== want.length || shape.some((d, i) => d !== want[i]))) {
    throw new InputError(
      `${where}: input shape [${shape}] does not match the model's [${want}] (one sample, no batch dimension)`,
    );
  }
}

/** An image through the model's transform. */
function imageSample(img: Image, spec: InputSpec, where: string): Sample {
  const transform = spec.transform;
  if (!transform) {
    throw new InputError(
      `${where}: this model has no image transform; send a tensor, or load the model with { transform }`,
    );
  }
  return torch.scope(() => {
    let t: torch.Tensor;
    try {
      t = transform.apply(img, seededRandom(0)).float().contiguous();
    } catch (e) {
      throw new InputError(
        `${where}: the model's transform ${transform.name} failed on the image: ${(e as Error).message}`,
      );
    }
    return { shape: [...t.shape], data: t.data() as Float32Array };
  });
}

/**
 * One input as a model sample, checked against the model's input shape.
 *
 * @throws {InputError} naming `where` and what is wrong (undecodable image, wrong shape or dtype).
 */
export async function toSample(input: ModelInput, spec: InputSpec, where = 'input'): Promise<Sample> {
  let sample: Sample;
  if (input instanceof Uint8Array) {
    let img: Image;
    try {
      img = await decodeImageBytes(input, { ...spec.decode, name: where });
    } catch (e) {
      if (e instanceof ImageDecodeError) throw new InputError(e.message);
      throw e;
    }
    sample = imageSample(img, spec, where);
  } else if (input instanceof torch.Tensor) {
    sample = torch.scope(() => {
      const t = input.float().contiguous();
      return { shape: [...t.shape], data: t.data() as Float32Array };
    });
  } else if (isImage(input)) {
    sample = imageSample(input, spec, where);
  } else if (isTensorPayload(input)) {
    sample = payloadToFloat32(input, where);
  } else {
    throw new InputError(`${where}: expected image bytes, an Image, a Tensor or { dtype, shape, data }`);
  }
  checkSampleShape(sample.shape, spec, where);
  return sample;
}

/** Splits a batch tensor [B, ...] (a Tensor or JSON tensor) into samples. */
export function splitBatch(batch: torch.Tensor | TensorPayload, spec: InputSpec, where = 'batch'): Sample[] {
  const { shape, data } =
    batch instanceof torch.Tensor
      ? torch.scope(() => {
          const t = batch.float().contiguous();
          return { shape: [...t.shape], data: t.data() as Float32Array };
        })
      : payloadToFloat32(batch, where);
  if (shape.length < 2) throw new InputError(`${where}: a batch needs shape [batch, ...sample], got [${shape}]`);
  const [b, ...rest] = shape as [number, ...number[]];
  checkSampleShape(rest, spec, where);
  const size = rest.reduce((x, y) => x * y, 1);
  return Array.from({ length: b }, (_, i) => ({ shape: rest, data: data.slice(i * size, (i + 1) * size) }));
}
