"""PyTorch peer for tools/bench/train-speed.mjs: LeNet-5 training epochs per second, printed as JSON on stdout.

Usage:
  /usr/bin/python3 tools/bench/torch_train_speed.py --recipe digits --epochs 3 --warmup 1
  /usr/bin/python3 tools/bench/torch_train_speed.py --recipe folder --folder /tmp/digits-png --workers 2

The recipes are convkit's `convkit train --model lenet5` ones (apps/cli/src/training/digits.ts and
data-files.ts): the same layers, batch 32 with the last short batch dropped, Adam, cross-entropy, the
loss read back after every step as convkit's trainStep does.
- digits: scikit-learn's digits from packages/classifiers/data, the train split (index % 5 != 4, 1,438
  images) upscaled bilinearly to 32x32 once and kept in memory; each step gathers its batch. Adam lr 2e-3.
- folder: torchvision.datasets.ImageFolder over class folders of PNGs with convkit's lenet5 preprocessing
  (Resize 32x32, ToTensor, grey as rgb_to_grayscale, Normalize 0/1) and DataLoader(num_workers=N). Adam lr 1e-3.
"""
import argparse
import json
import os
import statistics
import time

import numpy
import torch
import torchvision
from torch import nn

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "classifiers", "data")


def lenet5(num_classes: int = 10) -> nn.Module:
    """packages/classifiers/src/lenet/index.ts layer for layer: x [N, 1, 32, 32] -> logits [N, num_classes]."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(),
        nn.Flatten(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
    )


def digits_train() -> tuple[torch.Tensor, torch.Tensor]:
    """The 1,438 training digits as [N, 1, 32, 32] float32 in [0, 1] and [N] int64 labels."""
    images = numpy.load(os.path.join(DATA, "digits-images.npy")).astype(numpy.float32) / 16
    labels = numpy.load(os.path.join(DATA, "digits-labels.npy")).astype(numpy.int64)
    keep = numpy.arange(len(labels)) % 5 != 4
    x = torch.from_numpy(images[keep]).unsqueeze(1)
    x = nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    return x.contiguous(), torch.from_numpy(labels[keep])


def timed_epochs(run_epoch, epochs: int, warmup: int) -> tuple[list[float], int]:
    """Seconds of each timed epoch after `warmup` untimed ones, and the images one epoch trains on."""
    images = 0
    for epoch in range(warmup):
        images = run_epoch(epoch)
    seconds = []
    for epoch in range(warmup, warmup + epochs):
        start = time.perf_counter()
        images = run_epoch(epoch)
        seconds.append(time.perf_counter() - start)
    return seconds, images


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipe", choices=["digits", "folder"], required=True)
    parser.add_argument("--folder", help="folder of class folders of PNGs (recipe folder)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--persistent-workers", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = lenet5()
    model.train()
    loss_fn = nn.CrossEntropyLoss()

    def step(x: torch.Tensor, y: torch.Tensor) -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    if args.recipe == "digits":
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        images, labels = digits_train()
        steps = len(labels) // args.batch_size

        def run_epoch(epoch: int) -> int:
            order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(epoch))
            for s in range(steps):
                index = order[s * args.batch_size:(s + 1) * args.batch_size]
                step(images[index], labels[index])
            return steps * args.batch_size

        runtime = "pytorch"
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        t = torchvision.transforms
        transform = t.Compose([t.Resize((32, 32)), t.ToTensor(), t.Grayscale(1), t.Normalize([0.0], [1.0])])
        dataset = torchvision.datasets.ImageFolder(args.folder, transform=transform)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=args.batch_size, shuffle=True, drop_last=True,
            num_workers=args.workers, persistent_workers=args.persistent_workers and args.workers > 0,
        )

        def run_epoch(epoch: int) -> int:
            count = 0
            for x, y in loader:
                step(x, y)
                count += len(y)
            return count

        runtime = f"pytorch, {args.workers} worker{'s' if args.workers != 1 else ''}" + (", persistent" if args.persistent_workers else "")
    seconds, images = timed_epochs(run_epoch, args.epochs, args.warmup)
    per_second = [images / s for s in seconds]
    print(json.dumps({
        "recipe": args.recipe, "runtime": runtime, "batch": args.batch_size, "imagesPerEpoch": images,
        "epochSeconds": seconds, "imagesPerSecond": per_second, "medianImagesPerSecond": statistics.median(per_second),
        "threads": torch.get_num_threads(), "version": f"torch {torch.__version__}, torchvision {torchvision.__version__}",
    }))


if __name__ == "__main__":
    main()
