/**
 * Mixed precision and channels-last: training (Adam, BCE-with-logits over 14 outputs) and inference
 * images/s of a torchvision-architecture model in tszoo with `precision` (default 'auto') and
 * `memoryFormat` (default channelsLast), against Debian's PyTorch in fp32 NCHW (its defaults) and with
 * the same settings (bf16 autocast if 'auto' chose it, the same memory format), one after the other in
 * one run, same threads, batch and input size. Prints the CPU's ISA as oneDNN reports it.
 *
 * "The same settings" include the process settings tszoo makes for itself: the OpenMP/OpenBLAS variables
 * (src/util/openmp.ts) and glibc's allocator thresholds (the addon's `mallopt`; `envLikeTszoo`). Without
 * the allocator's, PyTorch's bf16 channels-last training of ResNet-50 ran at 6-7 img/s instead of 14-16
 * (freed activations were returned to the kernel and page-faulted again every step). PyTorch with glibc's
 * defaults is printed too; the fp32 peer runs as users run it, with glibc's defaults.
 *
 *   npm run bench:precision                                    (resnet50, batch 8, 224 px)
 *   npm run bench:precision -- --model resnet18 --batch 4 --size 112 --steps 3
 *
 * Last lines: `ratio_vs_pytorch_fp32 <training ratio>` and `ratio_vs_pytorch_same <training ratio>`.
 */
import { models, nn, torch } from '../src/index.js';
import { Adam } from '../src/optim/index.js';
import { Model } from '../src/pipeline/model.js';
import { choosePrecision, type MemoryFormat, type Precision } from '../src/pipeline/precision.js';
import { Trainer } from '../src/pipeline/training/trainer.js';
import { type CliCommand, formatHelp, intOption, parseCommand } from '../src/util/cli.js';
import { envLikeTszoo, runPythonPeer } from './peer.js';

const command: CliCommand = {
  name: 'bench:precision',
  summary: 'tszoo precision/memory format against PyTorch fp32 and PyTorch with the same settings',
  options: {
    model: { type: 'string', default: 'resnet50', value: 'NAME', help: 'resnet50 | resnet18' },
    batch: { type: 'string', default: '8', value: 'N', help: 'images per step' },
    size: { type: 'string', default: '224', value: 'PX', help: 'input height and width' },
    steps: { type: 'string', default: '4', value: 'N', help: 'timed steps per measurement' },
    warmup: { type: 'string', default: '2', value: 'N', help: 'untimed steps first' },
    precision: { type: 'string', default: 'auto', value: 'P', help: "tszoo's precision: auto | fp32 | bf16" },
    'memory-format': { type: 'string', default: 'channelsLast', value: 'F', help: 'channelsLast | contiguous' },
  },
};

interface Rates {
  train_images_per_s: number;
  infer_images_per_s: number;
}

function rate(batch: number, steps: number, warmup: number, step: () => void): number {
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return (batch * steps) / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const { values, help } = parseCommand(command, process.argv.slice(2));
  if (help) {
    process.stdout.write(formatHelp(command));
    return;
  }
  const arch = String(values.model);
  if (arch !== 'resnet50' && arch !== 'resnet18') throw new Error(`--model must be resnet50 or resnet18, got ${arch}`);
  const batch = intOption(values, 'batch', { min: 1 }) ?? 8;
  const size = intOption(values, 'size', { min: 32 }) ?? 224;
  const steps = intOption(values, 'steps', { min: 1 }) ?? 4;
  const warmup = intOption(values, 'warmup', { min: 0 }) ?? 2;
  const memoryFormat = String(values['memory-format']) as MemoryFormat;
  if (memoryFormat !== 'channelsLast' && memoryFormat !== 'contiguous') {
    throw new Error(`--memory-format must be channelsLast or contiguous, got ${memoryFormat}`);
  }
  const choice = choosePrecision(String(values.precision) as Precision);
  const threads = torch.getNumThreads();
  console.log(`isa ${torch.backends.cpu.capability().summary}`);
  console.log(`${arch}, batch ${batch}, ${size} px, ${threads} threads, ${steps} timed steps`);
  console.log(`tszoo: precision ${choice.reason}, memory format ${memoryFormat}`);

  torch.manualSeed(0);
  const module = models[arch]({ numClasses: 14 });
  module.to({ memoryFormat });
  const x = torch.keep(torch.randn([batch, 3, size, size]));
  const y = torch.keep(torch.scope(() => torch.rand([batch, 14]).gt(0.8).float()));
  const optimizer = new Adam(module.parameters(), { lr: 1e-4 });
  const trainer = new Trainer(module, {
    loss: new nn.BCEWithLogitsLoss(),
    optimizer,
    precision: choice,
    memoryFormat,
  });
  module.train();
  const tsTrain = rate(batch, steps, warmup, () => {
    trainer.computeGradients(x, y);
    trainer.applyGradients();
  });
  const model = new Model(module, { task: 'multi-label', precision: choice.used, memoryFormat });
  const tsInfer = rate(batch, steps, warmup, () => {
    model.predict(x);
  });
  console.log(`tszoo                   train ${tsTrain.toFixed(1)} img/s, inference ${tsInfer.toFixed(1)} img/s`);

  const peer = (precision: 'fp32' | 'bf16', channelsLast: boolean, env = process.env) =>
    runPythonPeer<Rates>(
      'precision',
      { model: arch, batch, size, threads, steps, warmup, precision, 'channels-last': channelsLast ? 1 : 0 },
      env,
    );
  const show = (what: string, r: Rates) =>
    console.log(
      `${what.padEnd(23)} train ${r.train_images_per_s.toFixed(1)} img/s, inference ${r.infer_images_per_s.toFixed(1)} img/s`,
    );
  const fp32 = peer('fp32', false);
  show('pytorch fp32 NCHW', fp32);
  show(`pytorch ${choice.used} ${memoryFormat}`, peer(choice.used, memoryFormat === 'channelsLast'));
  const same = peer(choice.used, memoryFormat === 'channelsLast', envLikeTszoo());
  show(`  with tszoo's malloc`, same);
  console.log(`inference_ratio_vs_pytorch_fp32 ${(tsInfer / fp32.infer_images_per_s).toFixed(3)}`);
  console.log(`inference_ratio_vs_pytorch_same ${(tsInfer / same.infer_images_per_s).toFixed(3)}`);
  console.log(`ratio_vs_pytorch_fp32 ${(tsTrain / fp32.train_images_per_s).toFixed(3)}`);
  console.log(`ratio_vs_pytorch_same ${(tsTrain / same.train_images_per_s).toFixed(3)}`);
  optimizer.dispose();
  module.dispose();
}

await main();
