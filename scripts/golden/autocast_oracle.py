"""PyTorch's CPU autocast (bfloat16) on the inputs tszoo's autocast test sends, as the oracle.

Reads JSON {name: {shape, data}} on stdin, runs the same ops as src/tensor/autocast.test.ts under
torch.autocast('cpu', dtype=torch.bfloat16), writes {case: {dtype, shape, data}} on stdout.
"""
import json
import sys

import torch
import torch.nn.functional as F

inputs = {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in json.load(sys.stdin).items()}
x, w, b, a, lw, lb, m, t, bias6 = (inputs[k] for k in ["x", "w", "b", "a", "lw", "lb", "m", "t", "bias6"])

out = {}
with torch.autocast("cpu", dtype=torch.bfloat16):
    conv = F.conv2d(x, w, b, stride=1, padding=1)
    mm = torch.matmul(a, m)
    cases = {
        "conv2d": conv,
        "linear": F.linear(a, lw, lb),
        "matmul": mm,
        "addmm": torch.addmm(bias6, a, m),
        "bmm": torch.bmm(a.unsqueeze(0), m.unsqueeze(0)),
        "relu(conv2d)": torch.relu(conv),
        "maxPool2d(conv2d)": F.max_pool2d(conv, 2),
        "softmax(matmul)": torch.softmax(mm, 1),
        "mseLoss(matmul)": F.mse_loss(mm, t),
        "bceWithLogits(matmul)": F.binary_cross_entropy_with_logits(mm, torch.sigmoid(t)),
        "add(matmul, fp32)": mm + t,
    }
for name, r in cases.items():
    out[name] = {"dtype": str(r.dtype).replace("torch.", ""), "shape": list(r.shape), "data": r.float().flatten().tolist()}
print(json.dumps(out))
