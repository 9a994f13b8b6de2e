/** The image codecs addon (native/image/png.cc, build/Release/tszoo_image.node): no LibTorch, quick to load in workers. */
import { loadAddon } from '../../../util/native-addon.js';

interface ImageBinding {
  /**
   * Inflates a PNG's concatenated IDAT data (a zlib stream, Adler-32 checked) with libdeflate and writes
   * the unfiltered rows into `out` (height * rowBytes bytes), on libuv's thread pool; resolves to `out`.
   * Rejects with the reason for a corrupt or short stream or an unknown filter type.
   */
  inflatePng(idat: Uint8Array, out: Uint8Array, height: number, rowBytes: number, bpp: number): Promise<Uint8Array>;
}

let binding: ImageBinding | undefined;

export function imageNative(): ImageBinding {
  binding ??= loadAddon<ImageBinding>('tszoo_image.node');
  return binding;
}
