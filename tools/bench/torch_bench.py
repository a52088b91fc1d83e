"""PyTorch CPU peer for `convkit bench`: times torchvision models in eval mode, prints JSON on stdout.

Usage: /usr/bin/python3 tools/bench/torch_bench.py --models resnet50 --batches 1,8 --repeats 7
One model per process, so the peak resident memory it reports belongs to that model.
Runs with the same thread count as the tfjs backends get (2 on the build machines).
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torchvision


def timed(run, args):
    """`run` after `args.warmup` untimed calls, `args.repeats` times: (milliseconds per call, last result)."""
    for _ in range(args.warmup):
        run()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def train_step(model, name, batch, args):
    """One SGD step on random images and labels, as `convkit bench --train` times convkit's."""
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(batch, 3, args.size, args.size)
    labels = torch.tensor([(i * 37) % 1000 for i in range(batch)])

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        optimizer.step()

    times, _ = timed(step, args)
    return {"model": name, "phase": "train", "batch": batch, "runtime": "pytorch-cpu",
            "medianMs": statistics.median(times), "timesMs": times, "version": torch.__version__}


def detector(name, args):
    """A torchvision detector end to end on one [3, S, S] image in [0, 1], batch 1, as `convkit bench` times it."""
    model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None).eval()
    x = [torch.rand(3, args.detection_size, args.detection_size)]
    with torch.inference_mode():
        times, found = timed(lambda: model(x), args)
    return {"model": name, "batch": 1, "runtime": "pytorch-cpu", "medianMs": statistics.median(times),
            "timesMs": times, "version": torch.__version__, "detections": len(found[0]["labels"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True)
    parser.add_argument("--batches", default="1")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--detection-size", type=int, default=800)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train", action="store_true", help="time one SGD step (cross-entropy) in training mode instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for name in args.models.split(","):
        if hasattr(torchvision.models.detection, name):
            results.append(detector(name, args))
            continue
        if not hasattr(torchvision.models, name):
            sys.exit(f"torchvision {torchvision.__version__} has no model {name}")
        kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
        if args.train:
            results += [train_step(model, name, int(b), args) for b in args.batches.split(",")]
            continue
        model.eval()
        for batch in [int(b) for b in args.batches.split(",")]:
            x = torch.randn(batch, 3, args.size, args.size)
            with torch.inference_mode():
                times, _ = timed(lambda: model(x), args)
            results.append({"model": name, "batch": batch, "runtime": "pytorch-cpu",
                            "medianMs": statistics.median(times), "timesMs": times,
                            "version": torch.__version__})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in results:
        r["peakRssMb"] = peak_mb
    print(json.dumps(results))


if __name__ == "__main__":
    main()
