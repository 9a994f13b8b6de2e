/**
 * Writing a file so that a crash leaves either the old file or the whole new one: the one helper for
 * safetensors, ONNX export, checkpoints, saved models and run reports.
 */

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** create the parent folders first (default false: a missing folder is an error) */
  mkdir?: boolean;
}

let sequence = 0;

/**
 * Writes `data` (bytes, or a string as UTF-8) to a temporary file beside `path`, fsyncs it, renames it
 * over `path` and fsyncs the folder. On failure the temporary file is removed and `path` is untouched.
 * The temporary file is named `.<name>.<pid>.<thread>.<n>.tmp`, so that leftovers of a killed process
 * can be recognised.
 *
 * @example
 * ```ts
 * writeFileAtomic('model.onnx', bytes);
 * writeFileAtomic('runs/cxr/report.html', html, { mkdir: true });
 * ```
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (options.mkdir) mkdirSync(dir, { recursive: true });
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${threadId}.${sequence++}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/**
 * Fsyncs a folder, so that renames and new entries in it survive a crash. Throws when the folder cannot
 * be opened; a file system that cannot fsync folders is not an error (the renames stay atomic there).
 *
 * @example
 * ```ts
 * renameSync(tmpDir, finalDir);
 * fsyncDir(dirname(finalDir));
 * ```
 */
export function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory
  } finally {
    closeSync(fd);
  }
}
