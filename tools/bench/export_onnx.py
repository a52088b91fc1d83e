"""Exports torchvision models to ONNX for the onnxruntime-node peer of `convkit bench`.

Usage: /usr/bin/python3 tools/bench/export_onnx.py --models resnet50 --out .bench-cache/onnx
The files are large (VGG16: 528 MB) and derived, so they live in an ignored cache folder.
The batch axis is dynamic so one file serves every batch size.
"""
import argparse
import os

import torch
import torchvision


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.models.split(","):
        path = os.path.join(args.out, f"{name}.onnx")
        if os.path.exists(path):
            continue
        kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
        model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
        x = torch.randn(1, 3, args.size, args.size)
        torch.onnx.export(model, x, path + ".tmp", input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        os.replace(path + ".tmp", path)
        print(path)


if __name__ == "__main__":
    main()
