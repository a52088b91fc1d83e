"""Exports torchvision models to ONNX for the onnxruntime-node peer of `convkit bench`.

Usage: /usr/bin/python3 tools/bench/export_onnx.py --models resnet50 --out .bench-cache/onnx
The files are large (VGG16: 528 MB) and derived, so they live in an ignored cache folder.
The classifiers' batch axis is dynamic so one file serves every batch size. Detectors
(torchvision.models.detection) take one [3, H, W] image in [0, 1], as their forward does; they export
with opset 11, the one torchvision tests its detection exports with. A name torchvision does not have
is reported on stderr as "skipped <name>: ..." and the others still export.
"""
import argparse
import os
import sys

import torch
import torchvision


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--detection-size", type=int, default=800)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.models.split(","):
        path = os.path.join(args.out, f"{name}.onnx")
        if os.path.exists(path):
            continue
        if hasattr(torchvision.models.detection, name):
            model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None).eval()
            size = args.detection_size
            torch.onnx.export(model, ([torch.rand(3, size, size)],), path + ".tmp", input_names=["images"],
                              output_names=["boxes", "labels", "scores"], opset_version=11)
        elif hasattr(torchvision.models, name):
            kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
            model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
            x = torch.randn(1, 3, args.size, args.size)
            torch.onnx.export(model, x, path + ".tmp", input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        else:
            print(f"skipped {name}: torchvision {torchvision.__version__} has no such model", file=sys.stderr)
            continue
        os.replace(path + ".tmp", path)
        print(path)


if __name__ == "__main__":
    main()
