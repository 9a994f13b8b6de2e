"""PyTorch peer of bench/matmul.ts: GFLOP/s of sgemm and of a ResNet 3x3 convolution."""
import argparse
import json
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, required=True)
p.add_argument("--n", type=int, default=2048)
p.add_argument("--repeats", type=int, default=5)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def gflops(fn, flops, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return flops / statistics.median(times) / 1e9


n = args.n
a = torch.randn(n, n)
b = torch.randn(n, n)
x = torch.randn(8, 64, 56, 56)
w = torch.randn(64, 64, 3, 3)
with torch.no_grad():
    print(json.dumps({
        "sgemm": gflops(lambda: torch.mm(a, b), 2 * n ** 3, args.repeats),
        "conv3x3": gflops(lambda: torch.conv2d(x, w, None, 1, 1), 2 * 8 * 64 * 56 * 56 * 64 * 9, args.repeats),
    }))
