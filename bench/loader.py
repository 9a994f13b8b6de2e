"""PyTorch peer of bench/loader.ts: a torchvision DataLoader (PIL decode, 2 worker processes)."""
import argparse
import json
import os
import time

import torch
from PIL import Image
from torchvision import transforms

p = argparse.ArgumentParser()
p.add_argument("--folder", required=True)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--workers", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(1)

files = sorted(os.path.join(args.folder, f) for f in os.listdir(args.folder) if f.endswith(".png"))
pipeline = transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.RandomHorizontalFlip(0.5),
    transforms.ToTensor(), transforms.Normalize([0.5], [0.25]),
])


class Folder(torch.utils.data.Dataset):
    def __len__(self):
        return len(files)

    def __getitem__(self, i):
        return pipeline(Image.open(files[i]).convert("L")), 0


# Persistent workers, timed on the second epoch: like tszoo's decode workers, which live across rounds,
# the timed epoch pays no process start-up (the first epoch is reported too).
loader = torch.utils.data.DataLoader(
    Folder(), batch_size=args.batch, num_workers=args.workers, persistent_workers=args.workers > 0
)
rates = []
for epoch in range(2):
    t0 = time.perf_counter()
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    rates.append(n / (time.perf_counter() - t0))
print(json.dumps({"images_per_s": rates[-1], "first_epoch_images_per_s": rates[0], "images": n}))
