"""PyTorch's side of the cuda speed table: times torchvision models in eval mode on the GPU.

Usage: python3 tools/device/torch_speed.py --models alexnet,vgg16 --batches 1,32 --repeats 20
Prints one JSON list on stdout: {model, batch, precision, medianMs, timesMs, torch, device}.
fp32 disables TF32 in cuDNN and cuBLAS (PyTorch's own default for convolutions is TF32 on); tf32
enables it in both, as convkit's CUDA_TF32 does. cudnn.benchmark stays off: convkit picks cuDNN's
heuristic algorithm too, so both sides choose the same way.
"""
import argparse
import json
import statistics
import time

import torch
import torchvision


def build(name: str) -> torch.nn.Module:
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(weights=None, **kwargs).eval().cuda()


def time_model(model: torch.nn.Module, x: torch.Tensor, warmup: int, repeats: int) -> list[float]:
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True)
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--precisions", default="fp32,tf32")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = False
    results = []
    for name in args.models.split(","):
        model = build(name)
        for precision in args.precisions.split(","):
            tf32 = precision == "tf32"
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            for batch in [int(b) for b in args.batches.split(",")]:
                x = torch.randn(batch, 3, args.size, args.size, device="cuda")
                times = time_model(model, x, args.warmup, args.repeats)
                results.append({"model": name, "batch": batch, "precision": precision, "medianMs": statistics.median(times),
                                "timesMs": times, "torch": torch.__version__, "device": torch.cuda.get_device_name(0)})
        del model
        torch.cuda.empty_cache()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
