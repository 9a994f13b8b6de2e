"""PyTorch peer of bench/onnx-parity.ts: Debian's PyTorch running the same torchvision architecture (the weights
of bench/torchvision_onnx.py's build_model) on the same images, in the fastest ways it offers on a CPU:

  eager          the module as built, NCHW input
  channels_last  module and input in channels-last memory format
  jit            torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))

all under torch.inference_mode(), torch.set_num_threads(threads); with --precision bf16 all run under
torch.autocast("cpu", dtype=torch.bfloat16) (the frozen TorchScript module then returns fp32 logits, computed
partly in bf16 by TorchScript's own autocast pass: its max_abs_diff shows how far). A variant that fails to
build or run is dropped with its error (reply "skipped") instead of ending the bench. The process lives for the whole bench so that its rounds
alternate with tszoo's and onnxruntime's without paying Python's start-up: it reads one JSON request a line on
stdin and answers each with one JSON line on stdout (nothing else is written there):

  {"load": arch, "size": s, "input": file, "output": file, "batch": n}
      builds the model, reads n images (float32 [n, 3, s, s]) and the reference logits of
      bench/torchvision_onnx.py  ->  {"torch": version, "variants": [...], "skipped": {variant: why}}
  {"time": batch}
      for each variant, on the first `batch` images: `warmup` passes, then `iters` timed passes (time.perf_counter,
      inside Python only)  ->  {"images_per_s": {variant: v}, "max_abs_diff": {variant: d},
      "skipped": {variant: why}}
      (d: largest difference of the variant's logits from the reference, checked on its first timing)

A failed request is answered {"error": message}. EOF on stdin ends the process.

usage: torchvision_pytorch.py --threads N [--iters 3] [--warmup 2] [--precision fp32|bf16]
                              [--variants eager,channels_last,jit]
"""
import argparse
import copy
import json
import os
import sys
import time
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_onnx import build_model  # noqa: E402

VARIANTS = ("eager", "channels_last", "jit")

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, required=True)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
p.add_argument("--variants", default=",".join(VARIANTS))
args = p.parse_args()
torch.set_num_threads(args.threads)
bf16 = args.precision == "bf16"
wanted = args.variants.split(",")
for v in wanted:
    if v not in VARIANTS:
        raise SystemExit(f"--variants: unknown variant '{v}' ({', '.join(VARIANTS)})")


def logits(out):
    # scripted Inception-v3 returns InceptionOutputs (logits, aux_logits)
    return out if isinstance(out, torch.Tensor) else out[0]


class Arch:
    def __init__(self, req):
        name, size, n = req["load"], int(req["size"]), int(req["batch"])
        self.name = name
        self.images = torch.from_numpy(np.fromfile(req["input"], dtype=np.float32).reshape(n, 3, size, size))
        self.reference = torch.from_numpy(np.fromfile(req["output"], dtype=np.float32).reshape(n, -1))
        self.model = build_model(name)
        self.skipped = {}
        self.variants = list(wanted)
        self.cl_model = None
        self.jit = {}  # batch -> optimized module: the profiling executor specialises on the input's shape
        self.checked = {}  # (variant, batch) -> max_abs_diff

    def runner(self, variant, batch):
        """A function running one pass of `variant` on the first `batch` images, returning the logits."""
        x = self.images[:batch].contiguous()
        if variant == "eager":
            model = self.model
        elif variant == "channels_last":
            if self.cl_model is None:
                self.cl_model = copy.deepcopy(self.model).to(memory_format=torch.channels_last)
            model = self.cl_model
            x = x.contiguous(memory_format=torch.channels_last)
        else:
            if batch not in self.jit:
                scripted = torch.jit.script(copy.deepcopy(self.model).eval())
                self.jit[batch] = torch.jit.optimize_for_inference(torch.jit.freeze(scripted))
            model = self.jit[batch]

        def run():
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                return logits(model(x))

        return run

    def time(self, batch):
        rates, diffs = {}, {}
        for v in list(self.variants):
            try:
                run = self.runner(v, batch)
                if (v, batch) not in self.checked:
                    y = run().float()
                    self.checked[(v, batch)] = (y - self.reference[:batch]).abs().max().item()
            except Exception as e:
                traceback.print_exc(file=sys.stderr)
                self.variants.remove(v)
                self.skipped[v] = f"batch {batch}: {type(e).__name__}: {e}".splitlines()[0][:300]
                continue
            diffs[v] = self.checked[(v, batch)]
            for _ in range(args.warmup):
                run()
            t0 = time.perf_counter()
            for _ in range(args.iters):
                run()
            rates[v] = batch * args.iters / (time.perf_counter() - t0)
        return {"images_per_s": rates, "max_abs_diff": diffs, "skipped": self.skipped}


def main():
    arch = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if "load" in req:
                arch = None  # free the previous architecture's modules first
                arch = Arch(req)
                reply = {"torch": torch.__version__, "variants": arch.variants, "skipped": arch.skipped}
            elif "time" in req:
                if arch is None:
                    raise ValueError("'time' before 'load'")
                reply = arch.time(int(req["time"]))
            else:
                raise ValueError(f"unknown request {line.strip()}")
        except Exception as e:  # the bench shows the message and stops
            traceback.print_exc(file=sys.stderr)
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


main()
