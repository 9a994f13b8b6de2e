/**
 * The in-memory image every reader returns and every transform takes: pixels in row-major HWC order
 * (row by row, each pixel's channels together), like PIL, OpenCV and Spark's image schema.
 */

/** Pixel storage: 8-bit, 16-bit (any bit depth up to 16) or float (DICOM modality values, normalized data). */
export type PixelArray = Uint8Array | Uint16Array | Float32Array;

/**
 * A decoded image in HWC order.
 *
 * @example
 * ```ts
 * const img: Image = { height: 2, width: 2, channels: 1, bitDepth: 8, data: new Uint8Array([0, 64, 128, 255]) };
 * ```
 */
export interface Image {
  readonly height: number;
  readonly width: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) */
  readonly channels: number;
  /**
   * Significant bits of integer data (8 for Uint8Array; 16, or 12 for a 12-bit DICOM, for Uint16Array),
   * 32 for Float32Array.
   */
  readonly bitDepth: number;
  readonly data: PixelArray;
}

/** The largest value an image's integer pixels can hold (1 for float images). */
export function maxValue(img: Image): number {
  if (img.data instanceof Float32Array) return 1;
  return 2 ** img.bitDepth - 1;
}

/** An image with the same pixel type as `like` and new geometry/data. */
export function withData(like: Image, height: number, width: number, channels: number, data: PixelArray): Image {
  return { height, width, channels, bitDepth: data instanceof Float32Array ? 32 : like.bitDepth, data };
}

/** A zero-filled pixel array of the same type as `data`. */
export function allocLike(data: PixelArray, length: number): PixelArray {
  if (data instanceof Uint8Array) return new Uint8Array(length);
  if (data instanceof Uint16Array) return new Uint16Array(length);
  return new Float32Array(length);
}

/** Throws unless `img` is a well-formed image (data length matches the geometry). */
export function checkImage(img: Image, who: string): void {
  const { height, width, channels, data } = img;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`${who}: bad image size ${height}x${width}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    throw new RangeError(`${who}: bad channel count ${channels}`);
  }
  if (data.length !== height * width * channels) {
    throw new RangeError(`${who}: data has ${data.length} values, expected ${height}x${width}x${channels}`);
  }
}
