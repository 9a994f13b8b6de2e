"""PyTorch peer of bench/fashion-mnist.ts: the example's small CNN, transforms and optimizer, trained on
Debian's Fashion-MNIST files; prints seconds per epoch (data loading included) as JSON."""
import argparse, gzip, json, math, time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

ROOT = '/usr/share/datasets/fashion-mnist'


def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionMnist(Dataset):
    """What torchvision.datasets.FashionMNIST does per sample: a PIL image through the transform."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i], mode='L')), int(self.labels[i])


def small_cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.002)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--limit', type=int, default=0)
    p.add_argument('--workers', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    images = idx(f'{ROOT}/train-images-idx3-ubyte.gz')
    labels = idx(f'{ROOT}/train-labels-idx1-ubyte.gz')
    if a.limit:
        images, labels = images[:a.limit], labels[:a.limit]
    tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    loader = DataLoader(FashionMnist(images, labels, tf), batch_size=a.batch, shuffle=True, num_workers=a.workers)
    model = small_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs * math.ceil(len(labels) / a.batch))
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds = []
    for _ in range(a.epochs):
        t = time.time()
        model.train()
        for x, y in loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss.item()
        seconds.append(time.time() - t)
    print(json.dumps({'epoch_seconds': seconds, 'images': len(labels)}))


if __name__ == '__main__':
    main()
