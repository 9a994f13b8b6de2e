/**
 * The worker_threads entry of {@link DecodePool}: decodes files with decodeImageFile and posts the pixels
 * back, moving (not copying) their memory when it is the image's alone.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodeImageOptions } from './decode.js';
import { decodeImageFile } from './decode-file.js';
import type { DecodeReply, DecodeRequest } from './decode-pool.js';
import { ImageDecodeError, reasonOf } from './errors.js';

const port = parentPort;
if (!port) throw new Error('decode-worker: run as a worker thread');

port.on('message', async (req: DecodeRequest) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const img = await decodeImageFile(req.path, req.options as DecodeImageOptions);
    let data = img.data;
    // a view into a shared buffer (Node's Buffer pool, a native allocation) is copied before it is moved
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || !(data.buffer instanceof ArrayBuffer)) {
      data = data.slice();
    }
    reply = { id: req.id, image: { ...img, data } };
    transfer = [data.buffer as ArrayBuffer];
  } catch (e) {
    const reason = e instanceof ImageDecodeError ? e.reason : reasonOf(e);
    reply = { id: req.id, error: { source: req.path, reason } };
  }
  port.postMessage(reply, transfer);
});
