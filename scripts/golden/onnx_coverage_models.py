"""Small models that make Debian's torch.onnx emit the ONNX operators tszoo imports, for the coverage
test (src/interop/onnx/coverage.test.ts): each is exported at the opset given, with a dynamic batch.

usage: onnx_coverage_models.py <name> <opset> <out.onnx>
"""
import sys

import torch
import torch.nn.functional as F
import torchvision


class ShapeArithmetic(torch.nn.Module):
    """Shape/Gather/Slice/Concat/Unsqueeze arithmetic, Split, Transpose, Cast, Expand, Where, Tile, Range."""

    def forward(self, x):  # x: [N, 6, 4, 4]
        n, c, h, w = x.shape
        a, b, d = torch.split(x, [2, 3, 1], dim=1)  # Split
        flat = a.reshape(n, -1)  # Shape -> Gather -> Unsqueeze -> Concat -> Reshape
        sl = b[:, 1:, ::2, -3:]  # Slice with steps and negative starts
        t = sl.permute(0, 2, 3, 1)  # Transpose
        scale = (x.size(2) * x.size(3)) / 8.0  # shape arithmetic through Cast and Div
        g = torch.where(d > 0, d, d * 0.1)  # Where, Greater
        e = g.expand(n, 3, h, w)  # Expand
        tiled = a.repeat(1, 1, 1, 2)  # Tile
        idx = torch.arange(h).to(x.dtype)  # Range, Cast
        ints = (x * 4).to(torch.int32).to(torch.float32)  # Cast float -> int -> float
        return torch.cat(
            [
                flat * scale,
                t.reshape(n, -1),
                e.reshape(n, -1),
                tiled.reshape(n, -1),
                (x[:, :, :, 0] + idx).reshape(n, -1),
                ints.reshape(n, -1),
            ],
            dim=1,
        )


class Elementwise(torch.nn.Module):
    """Math and comparison ops common exporters emit: Pow, Sqrt, Exp, Log, Abs, Neg, Erf (GELU), Min/Max,
    Floor/Ceil, Equal/Less, Not, ReduceSum/ReduceMax/ReduceMin, Softplus, Elu, LogSoftmax, LayerNorm parts."""

    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(8)
        self.prelu = torch.nn.PReLU(4)

    def forward(self, x):  # x: [N, 4, 8]
        y = self.norm(x)
        y = F.gelu(y) + torch.sqrt(x.abs() + 1) - torch.exp(-x.abs()) + torch.log(x.abs() + 1) + x.pow(2)
        y = torch.maximum(y, -x) + torch.minimum(y, x) + torch.floor(x) + torch.ceil(x) + F.softplus(x) + F.elu(x)
        mask = ~x.lt(0.5) | x.eq(0)
        y = y * mask.to(x.dtype) + self.prelu(x)
        s = y.sum(dim=2, keepdim=True) + y.amax(dim=1, keepdim=True) + y.amin(dim=2, keepdim=True)
        return torch.cat([F.log_softmax(y, dim=-1), s.expand_as(y), torch.sigmoid(x) * y], dim=2)


class Resizes(torch.nn.Module):
    """Resize: nearest (scale and size), bilinear (half_pixel, align_corners), bicubic."""

    def forward(self, x):  # x: [N, 2, 5, 6]
        a = F.interpolate(x, scale_factor=2, mode='nearest')
        b = F.interpolate(x, size=(10, 12), mode='bilinear', align_corners=False)
        c = F.interpolate(x, size=(10, 12), mode='bilinear', align_corners=True)
        d = F.interpolate(x, size=(7, 9), mode='nearest')
        e = F.interpolate(x, scale_factor=2, mode='bicubic', align_corners=False)
        return torch.cat([a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1), e.flatten(1)], dim=1)


class Unsupported(torch.nn.Module):
    """Einsum, which tszoo does not import: the error must name the node and the op."""

    def forward(self, x):
        return torch.einsum('bij,bjk->bik', x, x)


def build(name):
    torch.manual_seed(0)
    if name == 'mobilenet_v3_small':
        m = torchvision.models.mobilenet_v3_small(num_classes=10).eval()
        with torch.no_grad():
            for key, buf in m.named_buffers():
                if key.endswith('running_mean'):
                    buf.normal_(0, 0.1)
                if key.endswith('running_var'):
                    buf.uniform_(0.5, 1.5)
        return m, torch.randn(2, 3, 48, 48)
    if name == 'shape_arithmetic':
        return ShapeArithmetic().eval(), torch.randn(2, 6, 4, 4)
    if name == 'elementwise':
        return Elementwise().eval(), torch.randn(2, 4, 8)
    if name == 'resizes':
        return Resizes().eval(), torch.randn(2, 2, 5, 6)
    if name == 'unsupported':
        return Unsupported().eval(), torch.randn(2, 3, 3)
    raise SystemExit(f'unknown model {name}')


name, opset, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
model, x = build(name)
torch.onnx.export(model, x, out, input_names=['input'], output_names=['output'],
                  dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}, opset_version=opset)
print(' '.join(x.shape.__repr__()[12:-2].split(', ')))
