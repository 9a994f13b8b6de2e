"""Peer of bench/allreduce.ts: torch.distributed (gloo) all-reduce timings, one worker of the group.

Started twice by the TypeScript benchmark with MASTER_ADDR/MASTER_PORT/RANK/WORLD_SIZE set; rank 0
prints one JSON line {size_bytes: seconds_per_allreduce (median)}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.distributed as dist

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", required=True)
parser.add_argument("--budget", type=float, default=2e8)
args = parser.parse_args()
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method="env://")
out = {}
for size in [int(s) for s in args.sizes.split(",")]:
    t = torch.ones(size // 4, dtype=torch.float32)
    iters = max(3, min(200, int(args.budget // size)))
    for _ in range(2):
        dist.all_reduce(t)
    times = []
    for _ in range(iters):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(t)
        times.append(time.perf_counter() - t0)
    out[str(size)] = statistics.median(times)
if dist.get_rank() == 0:
    print(json.dumps(out))
dist.destroy_process_group()
