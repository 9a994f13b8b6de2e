/**
 * The JPEG-family codecs for encapsulated DICOM pixel data: libjpeg-turbo (baseline/extended 8-bit), a JS
 * JPEG lossless decoder (process 14), CharLS (JPEG-LS) and OpenJPEG (JPEG 2000). Each decodes one frame's
 * bytes into interleaved samples; the wasm ones are loaded on first use.
 */
import { createRequire } from 'node:module';
import {
  type CodestreamInfo,
  checkEndMarker,
  readJ2kHeader,
  readJpegColourMarkers,
  readJpegHeader,
} from './codestream.js';
import { WasmCodec } from './wasm-codec.js';

const require = createRequire(import.meta.url);

/** One decoded frame. */
export interface CodecFrame {
  width: number;
  height: number;
  components: number;
  /** samples, components interleaved (HWC) */
  samples: Uint8Array | Uint16Array | Int16Array | Int8Array;
  /** true when the codec already turned YCbCr into RGB (libjpeg-turbo, OpenJPEG's inverse MCT) */
  rgb: boolean;
  /**
   * JPEG 2000 carries its own sign: 'signed' / 'unsigned' (with `precision`); 'raw' (the other codecs): bit
   * patterns that Bits Stored and Pixel Representation interpret
   */
  sign: 'signed' | 'unsigned' | 'raw';
  /** bits per sample in the stream */
  precision: number;
}

/** A codec for some transfer syntaxes. */
export interface DicomCodec {
  readonly name: string;
  /** loads the codec (once); decode needs it */
  load(): Promise<void>;
  /** the codestream header, checked before decoding */
  header(bytes: Uint8Array): CodestreamInfo;
  decode(bytes: Uint8Array, header: CodestreamInfo): CodecFrame;
  /** adjusts the stream to what the DICOM header says about it (libjpeg-turbo: untransformed RGB) */
  prepare?(bytes: Uint8Array, photometric: string): Uint8Array;
}

interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  delete(): void;
}
interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface LibJpegModule {
  JPEGDecoder: new () => EmbindDecoder & { getFrameInfo(): FrameInfo };
}
interface CharlsModule {
  JpegLSDecoder: new () => EmbindDecoder & { getFrameInfo(): FrameInfo; getInterleaveMode(): number };
  getExceptionMessage(e: unknown): string | [string, string];
}
interface OpenJpegModule {
  J2KDecoder: new () => EmbindDecoder & { getFrameInfo(): FrameInfo };
}

/** Runs `decode` on a new decoder holding a copy of `bytes`, copies the output out of wasm memory, frees it. */
function withDecoder<D extends EmbindDecoder, T>(
  make: () => D,
  bytes: Uint8Array,
  read: (decoder: D) => { info: FrameInfo; out: Uint8Array; extra?: T },
): { info: FrameInfo; out: Uint8Array; extra?: T } {
  const decoder = make();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const { info, out, extra } = read(decoder);
    return { info, out: new Uint8Array(out), extra }; // a copy: the view dies with the decoder
  } finally {
    decoder.delete();
  }
}

/** Sample array over decoded little-endian bytes. */
function samplesOf(out: Uint8Array, bits: number, signed: boolean): CodecFrame['samples'] {
  if (bits <= 8) return signed ? new Int8Array(out.buffer, out.byteOffset, out.length) : out;
  if (out.byteOffset % 2 !== 0 || out.length % 2 !== 0) throw new Error('decoded buffer is not 16-bit aligned');
  return signed
    ? new Int16Array(out.buffer, out.byteOffset, out.length / 2)
    : new Uint16Array(out.buffer, out.byteOffset, out.length / 2);
}

const libjpeg = new WasmCodec<LibJpegModule>(
  'libjpeg-turbo',
  '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
  '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
);

/** libjpeg-turbo 8-bit: baseline (process 1) and 8-bit extended (process 2) DCT JPEG. */
export const LIBJPEG_TURBO: DicomCodec = {
  name: 'libjpeg-turbo',
  load: () => libjpeg.load(),
  header(bytes) {
    const h = readJpegHeader(bytes);
    if (h.precision !== 8) {
      throw new Error(`${h.precision}-bit DCT JPEG is not supported (this codec decodes 8-bit only)`);
    }
    checkEndMarker(bytes);
    if (h.marker === 0xffc3 || h.marker === 0xffc7 || h.marker === 0xfff7) {
      throw new Error('the stream is lossless JPEG, not DCT (wrong transfer syntax?)');
    }
    return h;
  },
  decode(bytes) {
    const { info, out } = libjpeg.call((m) =>
      withDecoder(
        () => new m.JPEGDecoder(),
        bytes,
        (d) => ({ info: d.getFrameInfo(), out: d.getDecodedBuffer() }),
      ),
    );
    return { ...dims(info), samples: out, rgb: info.componentCount === 3, sign: 'raw', precision: 8 };
  },
  prepare: (bytes, photometric) => (photometric === 'RGB' ? markUntransformedRgb(bytes) : bytes),
};

/**
 * libjpeg assumes YCbCr for 3 components unless a JFIF or Adobe marker or the component ids 'R','G','B' say
 * otherwise. A DICOM RGB stream with neither marker and ids other than the JFIF ones (1, 2, 3) holds RGB as
 * coded (PS3.5 8.2.1): an Adobe marker with transform 0 is put in front so that libjpeg leaves it alone.
 */
export function markUntransformedRgb(bytes: Uint8Array): Uint8Array {
  const { jfif, adobe, ids } = readJpegColourMarkers(bytes);
  if (jfif || adobe || ids.length !== 3 || (ids[0] === 1 && ids[1] === 2 && ids[2] === 3)) return bytes;
  const adobeRgb = [0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 0];
  const out = new Uint8Array(bytes.length + adobeRgb.length);
  out.set(bytes.subarray(0, 2));
  out.set(adobeRgb, 2);
  out.set(bytes.subarray(2), 2 + adobeRgb.length);
  return out;
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
  stream: { index: number } | null;
  xDim: number;
  yDim: number;
  numComp: number;
}
let losslessDecoder: (new () => LosslessDecoder) | null = null;

/** jpeg-lossless-decoder-js: lossless JPEG, process 14 (any predictor) and its first-order form (SV1). */
export const JPEG_LOSSLESS: DicomCodec = {
  name: 'jpeg-lossless-decoder-js',
  async load() {
    losslessDecoder ??= (require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder;
  },
  header(bytes) {
    const h = readJpegHeader(bytes);
    checkEndMarker(bytes);
    if (h.marker !== 0xffc3 && h.marker !== 0xffc7) {
      throw new Error(`the stream is not lossless JPEG (SOF marker ${h.marker.toString(16).toUpperCase()})`);
    }
    if (h.components !== 1 && h.components !== 3) {
      throw new Error(`${h.components} components (1 or 3 supported)`);
    }
    if (h.components === 3 && h.precision > 8) throw new Error('colour above 8 bits per sample is not supported');
    return h;
  },
  decode(bytes, header) {
    if (!losslessDecoder) throw new Error('jpeg-lossless-decoder-js is not loaded');
    const decoder = new losslessDecoder();
    const copy = new Uint8Array(bytes); // a real copy (Buffer.slice would be a view)
    let out: Uint8Array | Uint16Array;
    try {
      out = decoder.decode(copy.buffer, 0, copy.length);
    } catch (e) {
      throw new Error(e instanceof Error ? e.message : String(e));
    }
    // the decoder reads past the end of a truncated stream instead of failing
    if ((decoder.stream?.index ?? 0) > copy.length) throw new Error('the stream is truncated');
    return {
      width: decoder.xDim,
      height: decoder.yDim,
      components: decoder.numComp,
      samples: out,
      rgb: false,
      sign: 'raw',
      precision: header.precision,
    };
  },
};

const charls = new WasmCodec<CharlsModule>(
  'CharLS',
  '@cornerstonejs/codec-charls/decodewasmjs',
  '@cornerstonejs/codec-charls/decodewasm',
);

/** CharLS: JPEG-LS lossless and near-lossless. */
export const CHARLS: DicomCodec = {
  name: 'CharLS',
  load: () => charls.load(),
  header(bytes) {
    const h = readJpegHeader(bytes);
    checkEndMarker(bytes);
    if (h.marker !== 0xfff7) throw new Error('the stream is not JPEG-LS (no SOF55 marker FFF7)');
    return h;
  },
  decode(bytes) {
    const { info, out, extra } = charls.call(
      (m) =>
        withDecoder(
          () => new m.JpegLSDecoder(),
          bytes,
          (d) => ({ info: d.getFrameInfo(), out: d.getDecodedBuffer(), extra: d.getInterleaveMode() }),
        ),
      (e, m) => {
        const msg = m.getExceptionMessage(e);
        return Array.isArray(msg) ? msg.join(': ') : msg;
      },
    );
    let samples = samplesOf(out, info.bitsPerSample, false);
    // interleave mode 0 (none): one component after another
    if (extra === 0 && info.componentCount > 1) samples = interleave(samples, info.componentCount);
    return { ...dims(info), samples, rgb: false, sign: 'raw', precision: info.bitsPerSample };
  },
};

const openjpeg = new WasmCodec<OpenJpegModule>(
  'OpenJPEG',
  '@cornerstonejs/codec-openjpeg/decodewasmjs',
  '@cornerstonejs/codec-openjpeg/decodewasm',
);

/** OpenJPEG: JPEG 2000 lossless and lossy (bare codestream or JP2), inverse colour transform applied. */
export const OPENJPEG: DicomCodec = {
  name: 'OpenJPEG',
  load: () => openjpeg.load(),
  header(bytes) {
    const h = readJ2kHeader(bytes);
    checkEndMarker(bytes);
    return h;
  },
  decode(bytes) {
    const { info, out } = openjpeg.call((m) =>
      withDecoder(
        () => new m.J2KDecoder(),
        bytes,
        (d) => {
          const info = d.getFrameInfo();
          // OpenJPEG reports a failure by printing it and leaving an empty frame
          if (info.width === 0 || info.height === 0) throw new Error('the stream could not be decoded');
          return { info, out: d.getDecodedBuffer() };
        },
      ),
    );
    return {
      ...dims(info),
      samples: samplesOf(out, info.bitsPerSample, info.isSigned === true),
      rgb: info.componentCount === 3,
      sign: info.isSigned ? 'signed' : 'unsigned',
      precision: info.bitsPerSample,
    };
  },
};

function dims(info: FrameInfo): { width: number; height: number; components: number } {
  return { width: info.width, height: info.height, components: info.componentCount };
}

function interleave<A extends CodecFrame['samples']>(planar: A, components: number): A {
  const out = new (planar.constructor as new (n: number) => A)(planar.length);
  const n = planar.length / components;
  for (let c = 0; c < components; c++)
    for (let i = 0; i < n; i++) out[i * components + c] = planar[c * n + i] as number;
  return out;
}

/** The codec of each JPEG-family transfer syntax. */
export const CODEC_OF_SYNTAX: Readonly<Record<string, DicomCodec>> = {
  '1.2.840.10008.1.2.4.50': LIBJPEG_TURBO,
  '1.2.840.10008.1.2.4.51': LIBJPEG_TURBO,
  '1.2.840.10008.1.2.4.57': JPEG_LOSSLESS,
  '1.2.840.10008.1.2.4.70': JPEG_LOSSLESS,
  '1.2.840.10008.1.2.4.80': CHARLS,
  '1.2.840.10008.1.2.4.81': CHARLS,
  '1.2.840.10008.1.2.4.90': OPENJPEG,
  '1.2.840.10008.1.2.4.91': OPENJPEG,
};

/** How many instances each wasm codec has made (a new one after each failed decode); for tests. */
export function codecInstances(): Record<string, number> {
  return { [libjpeg.name]: libjpeg.instances, [charls.name]: charls.instances, [openjpeg.name]: openjpeg.instances };
}
