/**
 * TFRecord framing, as TensorFlow writes event files:
 *
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
 */
import { maskedCrc32c } from './crc32c.js';

/** Frames one record. */
export function encodeRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The records of a file, and whether it ended inside a record (a writer still writing, or killed). */
export interface DecodedRecords {
  records: Uint8Array[];
  /** bytes after the last complete record (0 for a clean end) */
  truncatedBytes: number;
}

/**
 * Splits TFRecord data into records, checking both CRCs of each. A mismatch throws an Error naming
 * `source` and the record's byte offset; an incomplete last record is reported, not thrown, since a
 * reader may look at a file while it is being written.
 *
 * @example
 * ```ts
 * const { records } = decodeRecords(readFileSync(path), path);
 * ```
 */
export function decodeRecords(bytes: Uint8Array, source = 'data'): DecodedRecords {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 12) break;
    const header = buf.subarray(offset, offset + 8);
    if (buf.readUInt32LE(offset + 8) !== maskedCrc32c(header)) {
      throw new Error(`${source}: record at byte ${offset}: length CRC mismatch (corrupt or not a TFRecord file)`);
    }
    const length = buf.readBigUInt64LE(offset);
    if (length > BigInt(buf.length - offset - 16)) break;
    const start = offset + 12;
    const data = buf.subarray(start, start + Number(length));
    if (buf.readUInt32LE(start + data.length) !== maskedCrc32c(data)) {
      throw new Error(`${source}: record at byte ${offset} (${data.length} bytes): data CRC mismatch`);
    }
    records.push(data);
    offset = start + data.length + 4;
  }
  return { records, truncatedBytes: buf.length - offset };
}
