"""PyTorch peer of bench/precision.ts: training (Adam, BCE over 14) and inference images/s of a
torchvision model in fp32 NCHW (the defaults users run) and with the given autocast / memory format."""
import argparse
import json
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--size", type=int, required=True)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--steps", type=int, default=4)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
p.add_argument("--channels-last", type=int, default=0)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

fmt = torch.channels_last if args.channels_last else torch.contiguous_format
model = getattr(torchvision.models, args.model)(num_classes=14).to(memory_format=fmt)
x = torch.randn(args.batch, 3, args.size, args.size).contiguous(memory_format=fmt)
y = (torch.rand(args.batch, 14) > 0.8).float()
loss_fn = torch.nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
bf16 = args.precision == "bf16"


def train_step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = model(x)
    loss = loss_fn(out.float(), y)
    loss.backward()
    opt.step()


def infer_step():
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        torch.sigmoid(model(x)).float()


def rate(step):
    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    return args.batch * args.steps / (time.perf_counter() - t0)


model.train()
train = rate(train_step)
model.eval()
infer = rate(infer_step)
print(json.dumps({"train_images_per_s": train, "infer_images_per_s": infer}))
