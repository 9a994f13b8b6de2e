/**
 * TorchScript custom-class objects that operators take and return, such as the packed convolution of
 * `ops.mkldnn_prepacked.conv2d_prepack` (`__torch__.torch.classes.mkldnn.ConvOpContext`), passed to
 * `ops.mkldnn_prepacked.conv2d_run`. JS holds them as opaque handles; LibTorch owns their contents.
 */
import { native, type ObjectHandle } from './native.js';

/**
 * An opaque TorchScript object (torch.ScriptObject in PyTorch). Its memory is freed by `dispose()` or,
 * failing that, when it is garbage collected; a disposed object is refused by the operators that take it.
 */
export class ScriptObject {
  readonly #handle: ObjectHandle;
  /** the TorchScript class name, e.g. `__torch__.torch.classes.mkldnn.ConvOpContext` */
  readonly type: string;

  /** @internal wraps a handle the addon returned */
  constructor(handle: ObjectHandle) {
    const type = native.scriptObjectType(handle);
    if (type === null) throw new TypeError('ScriptObject: expected a live script object handle');
    this.#handle = handle;
    this.type = type;
  }

  /** @internal the addon's handle */
  get handle(): ObjectHandle {
    return this.#handle;
  }

  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return native.scriptObjectType(this.#handle) === null;
  }

  /** Frees the object now (idempotent). */
  dispose(): void {
    native.disposeScriptObject(this.#handle);
  }
}
