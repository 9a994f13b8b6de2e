/**
 * What the CPU offers for low-precision math, read from the CPU rather than assumed: the kernel's
 * /proc/cpuinfo flags, and the instruction set oneDNN (LibTorch's convolution and matmul library)
 * actually dispatches to, which also honours ONEDNN_MAX_CPU_ISA.
 */
import { readFileSync } from 'node:fs';
import { native } from './native.js';

/** The CPU features that decide the speed of bfloat16 and float32 math. */
export interface CpuCapability {
  /** /proc/cpuinfo flags of the first CPU (false where the file is missing, e.g. not Linux). */
  flags: { avx2: boolean; avx512f: boolean; avx512Bf16: boolean; amxBf16: boolean };
  /** The instruction set oneDNN uses, as oneDNN names it, or null without oneDNN. */
  onednnIsa: string | null;
  /**
   * Whether bfloat16 runs natively (AMX or AVX512-BF16): the CPU has the instructions and oneDNN uses
   * them. Elsewhere bfloat16 is emulated and slower than float32.
   */
  nativeBf16: boolean;
  /** One line for logs: oneDNN's ISA and the CPU flags, e.g. 'oneDNN ISA avx512_core_bf16; cpu flags: avx512_bf16 avx512f avx2'. */
  summary: string;
}

/** The flags that matter, from the text of /proc/cpuinfo (its first `flags` line). */
export function parseCpuFlags(cpuinfo: string): CpuCapability['flags'] {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  const set = new Set(line.trim().split(/\s+/));
  return {
    avx2: set.has('avx2'),
    avx512f: set.has('avx512f'),
    avx512Bf16: set.has('avx512_bf16'),
    amxBf16: set.has('amx_bf16'),
  };
}

/**
 * Whether oneDNN's ISA name says it uses bfloat16 instructions. oneDNN 2.6 (dnnl_cpu_isa2str) names them
 * 'cpu_isa_avx512_core_bf16' and 'cpu_isa_avx512_core_amx'; 'cpu_isa_avx2', 'cpu_isa_avx512_core' and
 * 'cpu_isa_avx512_core_vnni' have no bfloat16 units.
 */
export function onednnIsaHasBf16(isa: string): boolean {
  return /bf16|bfloat16|amx/i.test(isa);
}

/** Combines the flags and oneDNN's ISA into a capability (pure: tests feed it other CPUs). */
export function describeCapability(flags: CpuCapability['flags'], onednnIsa: string | null): CpuCapability {
  const hasInstructions = flags.amxBf16 || flags.avx512Bf16;
  const nativeBf16 = hasInstructions && (onednnIsa === null || onednnIsaHasBf16(onednnIsa));
  const named = Object.entries({
    amx_bf16: flags.amxBf16,
    avx512_bf16: flags.avx512Bf16,
    avx512f: flags.avx512f,
    avx2: flags.avx2,
  })
    .filter(([, on]) => on)
    .map(([name]) => name);
  const cpu = named.length > 0 ? named.join(' ') : 'none of avx2/avx512';
  const summary = `${onednnIsa === null ? 'oneDNN absent' : `oneDNN ISA ${onednnIsa.replace(/^cpu_isa_/, '')}`}; cpu flags: ${cpu}`;
  return { flags, onednnIsa, nativeBf16, summary };
}

let cached: CpuCapability | undefined;

/**
 * The CPU's low-precision capability (cached; the CPU does not change under a process).
 *
 * @example
 * ```ts
 * const cpu = torch.backends.cpu.capability();
 * console.log(cpu.summary);   // e.g. 'oneDNN ISA avx512_core_bf16; cpu flags: avx512_bf16 avx512f avx2'
 * const precision = cpu.nativeBf16 ? 'bf16' : 'fp32';
 * ```
 */
export function capability(): CpuCapability {
  if (cached) return cached;
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: no flags, oneDNN's ISA alone decides
  }
  const flags = parseCpuFlags(cpuinfo);
  const isa = native.onednnIsa()?.name ?? null;
  cached = describeCapability(flags, isa);
  if (cpuinfo === '' && isa !== null) cached = { ...cached, nativeBf16: onednnIsaHasBf16(isa) };
  return cached;
}

/** PyTorch's `torch.backends`: what this build and CPU support. */
export const backends = {
  cpu: { capability },
} as const;
