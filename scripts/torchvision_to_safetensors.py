"""Converts a torchvision model's weights to safetensors for tszoo's model zoo (names match 1:1).

  /usr/bin/python3 scripts/torchvision_to_safetensors.py resnet50 resnet50.safetensors --weights DEFAULT
  /usr/bin/python3 scripts/torchvision_to_safetensors.py densenet121 chexnet.safetensors --from-file model.pth

--weights downloads torchvision's pretrained weights (needs internet, so not on these build machines);
--from-file reads a local state dict (torch.load with weights_only=True: no code runs);
--seed makes random weights (for tests). Needs torch, torchvision and numpy; not the safetensors package.
"""
import argparse
import json
import struct

import numpy as np
import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("arch", help="torchvision.models name, e.g. resnet50, densenet121")
p.add_argument("out", help="output .safetensors path")
p.add_argument("--weights", help="torchvision weights enum name, e.g. DEFAULT or IMAGENET1K_V1")
p.add_argument("--from-file", help="a saved state dict (.pth)")
p.add_argument("--num-classes", type=int, default=None)
p.add_argument("--seed", type=int, default=None)
args = p.parse_args()

if args.seed is not None:
    torch.manual_seed(args.seed)
kwargs = {}
if args.num_classes is not None:
    kwargs["num_classes"] = args.num_classes
if args.weights:
    kwargs["weights"] = args.weights
model = getattr(torchvision.models, args.arch)(**kwargs)
if args.from_file:
    state = torch.load(args.from_file, map_location="cpu", weights_only=True)
    state = state.get("state_dict", state)
    model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.float16: "F16"}
header, chunks, offset = {}, [], 0
for name, t in model.state_dict().items():
    data = t.detach().contiguous().cpu().numpy().tobytes()
    header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    chunks.append(data)
    offset += len(data)
header["__metadata__"] = {"format": "pt", "source": f"torchvision.models.{args.arch}"}
text = json.dumps(header).encode()
text += b" " * ((8 - (8 + len(text)) % 8) % 8)
with open(args.out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
print(f"wrote {args.out}: {len(chunks)} tensors, {offset / 2**20:.1f} MiB")
