/**
 * Loading an Emscripten-built codec (the @cornerstonejs packages) lazily, once, and calling it safely: its
 * console output is captured, a failed call never leaves the process exit code set, and an instance that
 * failed is dropped (its memory may hold a leaked C++ exception or be aborted) so the next call gets a fresh one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of the WebAssembly global used here (the project's lib settings do not declare it). */
type CompiledWasm = object;
type WasmInstance = object;
interface WasmApi {
  compile(bytes: Uint8Array): Promise<CompiledWasm>;
  Instance: new (module: CompiledWasm, imports: object) => WasmInstance;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What every Emscripten module factory takes. */
interface EmscriptenOptions {
  print: (s: string) => void;
  printErr: (s: string) => void;
  instantiateWasm: (imports: object, receive: (instance: WasmInstance, module: CompiledWasm) => void) => object;
}

/**
 * One codec package: the factory is imported and its wasm compiled on first use; each instance is made from
 * the compiled module (about a millisecond), so dropping a broken instance is cheap.
 *
 * @example
 * ```ts
 * const charls = new WasmCodec<CharlsModule>('CharLS', '@cornerstonejs/codec-charls/decodewasmjs', '@cornerstonejs/codec-charls/decodewasm');
 * await charls.load();
 * const info = charls.call((m) => { const d = new m.JpegLSDecoder(); try { ... } finally { d.delete(); } });
 * ```
 */
export class WasmCodec<M> {
  #compiled: Promise<CompiledWasm> | null = null;
  #instance: M | null = null;
  #pending: Promise<M> | null = null;
  #log: string[] = [];
  /** instances made so far (a new one after each failure) */
  instances = 0;

  constructor(
    readonly name: string,
    private readonly factoryModule: string,
    private readonly wasmModule: string,
  ) {}

  /** Makes an instance ready for {@link call}; concurrent callers share one load. */
  async load(): Promise<void> {
    if (this.#instance) return;
    this.#pending ??= this.#instantiate().finally(() => {
      this.#pending = null;
    });
    this.#instance = await this.#pending;
  }

  async #instantiate(): Promise<M> {
    this.#compiled ??= wasm.compile(readFileSync(require.resolve(this.wasmModule)));
    const compiled = await this.#compiled;
    const factory = require(this.factoryModule) as (options: EmscriptenOptions) => Promise<M>;
    const log = this.#log;
    const instance = await factory({
      print: (s) => log.push(s),
      printErr: (s) => log.push(s),
      instantiateWasm: (imports, receive) => {
        // synchronous, so that a failure rejects the factory's promise instead of going unhandled
        receive(new wasm.Instance(compiled, imports), compiled);
        return {};
      },
    });
    this.instances++;
    return instance;
  }

  /**
   * Runs `fn` on the loaded instance. On any throw the instance is dropped and the error is rethrown as
   * `<message> (<the codec's own error lines>)` when it printed any.
   */
  call<T>(fn: (module: M) => T, describe: (thrown: unknown, module: M) => string = defaultMessage): T {
    const module = this.#instance;
    if (!module) throw new Error(`${this.name} codec is not loaded (await load() first)`);
    const exitCode = process.exitCode;
    this.#log.length = 0;
    try {
      return fn(module);
    } catch (e) {
      this.#instance = null;
      let message: string;
      try {
        message = describe(e, module);
      } catch {
        message = defaultMessage(e);
      }
      const errors = this.#log.filter((l) => /error/i.test(l)).map((l) => l.replace(/^\[ERROR\]\s*/, '').trim());
      throw new Error(`${message}${errors.length ? ` (${errors.join('; ')})` : ''}`);
    } finally {
      process.exitCode = exitCode; // Emscripten's exit() sets it before throwing
    }
  }
}

function defaultMessage(e: unknown): string {
  if (typeof e === 'number') return 'the stream is corrupt or not supported';
  if (e instanceof Error) return e.message;
  return String(e);
}
