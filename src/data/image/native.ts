/**
 * The image addon (native/image/*.cc, build/Release/tszoo_image.node): PNG inflate and Pillow's resample
 * pass. No LibTorch, so it loads quickly in decode workers.
 */
import { loadAddon } from '../../util/native-addon.js';

interface ImageBinding {
  /**
   * Inflates a PNG's concatenated IDAT data (a zlib stream, Adler-32 checked) with libdeflate and writes
   * the unfiltered rows into `out` (height * rowBytes bytes), on libuv's thread pool; resolves to `out`.
   * Rejects with the reason for a corrupt or short stream or an unknown filter type.
   */
  inflatePng(idat: Uint8Array, out: Uint8Array, height: number, rowBytes: number, bpp: number): Promise<Uint8Array>;
  /**
   * One pass of Pillow's 8-bit resample (see resample.ts): output `xx` of line `l` is
   * `dst[outOffset + l * outLine + xx * outStep]`, from `bounds[2xx + 1]` inputs starting at
   * `src[inOffset + l * inLine + bounds[2xx] * tap]`, `tap` apart, with 22-bit fixed-point `weights`
   * (`ksize` per output). Throws a RangeError for any index outside `src` or `dst`.
   */
  resample8(
    src: Uint8Array,
    dst: Uint8Array,
    bounds: Int32Array,
    weights: Int32Array,
    ksize: number,
    outSize: number,
    tap: number,
    outStep: number,
    lines: number,
    inLine: number,
    outLine: number,
    inOffset: number,
    outOffset: number,
  ): void;
}

let binding: ImageBinding | undefined;

export function imageNative(): ImageBinding {
  binding ??= loadAddon<ImageBinding>('tszoo_image.node');
  return binding;
}
