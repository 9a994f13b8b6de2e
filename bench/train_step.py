"""PyTorch peer of bench/train-step.ts: images/s of full training steps (forward, loss, backward, Adam)."""
import argparse
import json
import resource
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--model", required=True, choices=["resnet50", "resnet18", "small-cnn"])
p.add_argument("--batch", type=int, required=True)
p.add_argument("--size", type=int, required=True)
p.add_argument("--threads", type=int, required=True)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def small_cnn():
    # Same layers as smallCnn() in examples/fashion-mnist/recipe.ts (14 outputs here).
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.BatchNorm2d(64), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(64 * (args.size // 4) ** 2, 128), torch.nn.ReLU(),
        torch.nn.Dropout(0.3), torch.nn.Linear(128, 14),
    )


if args.model == "small-cnn":
    model, channels = small_cnn(), 1
else:
    model, channels = getattr(torchvision.models, args.model)(num_classes=14), 3
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
loss_fn = torch.nn.BCEWithLogitsLoss()
x = torch.randn(args.batch, channels, args.size, args.size)
y = (torch.rand(args.batch, 14) > 0.8).float()


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(args.warmup):
    step()
t0 = time.perf_counter()
for _ in range(args.steps):
    step()
seconds = time.perf_counter() - t0
print(json.dumps({
    "images_per_s": args.batch * args.steps / seconds,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
