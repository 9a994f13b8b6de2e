"""Exports a torchvision classification architecture (random weights, seed 0, eval mode) to ONNX with
Debian's torch.onnx: opset 13, dynamic batch, input 'input' [N, 3, size, size], output 'output'. Also
writes a batch of random inputs (<out>.input, float32 [batch, 3, size, size]) and PyTorch's logits for them
(<out>.output, float32 [batch, classes]), the reference bench/onnx-parity.ts compares both engines with.

usage: torchvision_onnx.py <architecture> <size> <out.onnx> [batch=8]

build_model is also bench/torchvision_pytorch.py's: the same seed gives the same weights.
"""
import sys

import torch
import torchvision


def build_model(name):
    """The torchvision architecture `name` with random weights drawn after torch.manual_seed(0), eval mode."""
    torch.manual_seed(0)
    kwargs = {"init_weights": True, "aux_logits": False} if name == "inception_v3" else {}
    return getattr(torchvision.models, name)(weights=None, **kwargs).eval()


def main():
    name, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    torch.set_num_threads(2)
    model = build_model(name)
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(
            model,
            x[:1],
            out,
            opset_version=13,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
            do_constant_folding=True,
        )
        y = model(x)
    x.numpy().astype("float32").tofile(out + ".input")
    y.numpy().astype("float32").tofile(out + ".output")


if __name__ == "__main__":
    main()
