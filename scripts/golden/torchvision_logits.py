"""Loads a state dict written by tszoo (safetensors) into a torchvision model and prints its logits.

Usage: /usr/bin/python3 torchvision_logits.py <arch> <num_classes> <file.safetensors>
The file holds the model's state dict plus the input batch under the key "__input__". Reads the
safetensors format directly with numpy (an implementation independent of tszoo's).
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        arr = np.frombuffer(data[lo:hi], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


arch, num_classes, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tensors = read_safetensors(path)
x = tensors.pop("__input__")
kwargs = {"init_weights": False} if arch == "inception_v3" else {}  # its scipy-based init is slow
model = getattr(torchvision.models, arch)(num_classes=num_classes, **kwargs)
model.load_state_dict(tensors, strict=True)
model.eval()
with torch.no_grad():
    y = model(x)
print(json.dumps({"shape": list(y.shape), "values": y.flatten().tolist()}))
