"""PyTorch peer of bench/op-overhead.ts: microseconds per call of small eager ops."""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, required=True)
p.add_argument("--iterations", type=int, default=200000)
args = p.parse_args()
torch.set_num_threads(args.threads)


def per_call(fn, n):
    for _ in range(min(2000, n)):
        fn()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / 1000 / n


x = torch.ones(1)
y = torch.ones(1)
a = torch.ones(1, requires_grad=True)
b = torch.ones(1)
c = torch.ones(1)
print(json.dumps({
    "add": per_call(lambda: x + y, args.iterations),
    "chain": per_call(lambda: (a * b + c).sigmoid(), args.iterations // 2),
    "torch": torch.__version__,
}))
