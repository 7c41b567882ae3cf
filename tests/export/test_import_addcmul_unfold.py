"""``torch.addcmul`` and patches taken with ``nn.Unfold``/``F.unfold`` import as what they
compute: ``addcmul(y, a, b, value=v)`` as ``y + a * b * v`` (Add, Multiply, Rescaling; ResMLP's
``Affine``, ``torch.addcmul(self.beta, self.alpha, x)``, or ``x * alpha + beta`` by hand, as a
Scale block with a bias), and
non-overlapping patches of a [B, C, H, W] map (stride == kernel_size) as a Reshape, a Permute
and Flattens, in the order unfold gives them. The parameter count and the outputs are the
model's, and the design exports as code, TorchScript and ONNX that match. Before, each stopped
at "no LayerLoom block does this" (or "computes Unfold"); overlapping patches are still refused,
now saying why and what to write."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class Gate(nn.Module):  # addcmul of computed tensors
    def __init__(self, d=8):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x):
        return torch.addcmul(self.a(x), torch.sigmoid(self.b(x)), self.c(x), value=0.5)


class GateMethod(Gate):
    def forward(self, x):
        return self.a(x).addcmul(torch.tanh(self.b(x)), self.c(x))


class Affine(nn.Module):  # timm's ResMLP
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones((1, 1, dim)))
        self.beta = nn.Parameter(torch.zeros((1, 1, dim)))

    def forward(self, x):
        return torch.addcmul(self.beta, self.alpha, x)


class ResBlock(nn.Module):  # timm's ResBlock, in small: Affine, token mixing, Affine, MLP
    def __init__(self, dim=8, tokens=6):
        super().__init__()
        self.norm1 = Affine(dim)
        self.linear_tokens = nn.Linear(tokens, tokens)
        self.norm2 = Affine(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 16), nn.GELU(), nn.Linear(16, dim))
        self.ls1 = nn.Parameter(torch.full((dim,), 0.1))
        self.ls2 = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x):
        x = x + self.ls1 * self.linear_tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.mlp(self.norm2(x))


class AffineByHand(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))
        self.fc = nn.Linear(dim, 3)

    def forward(self, x):
        return self.fc(self.beta + x * self.alpha)


class Patches(nn.Module):  # a patch embedding written with unfold
    def __init__(self, kernel=4):
        super().__init__()
        self.unfold = nn.Unfold(kernel_size=kernel, stride=kernel)
        self.proj = nn.Linear(3 * 16, 8)

    def forward(self, x):
        return self.proj(self.unfold(x).transpose(1, 2))


class StripPatches(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3 * 8, 8)

    def forward(self, x):
        return self.proj(F.unfold(x, (2, 4), stride=(2, 4)).transpose(1, 2)).mean(1)


CASES = [(Gate, (5, 8), "Multiply"), (GateMethod, (5, 8), "Multiply"),
         (ResBlock, (6, 8), "Scale"), (AffineByHand, (5, 8), "Scale"),
         (Patches, (3, 16, 16), "Permute"), (StripPatches, (3, 8, 12), "Permute")]


@pytest.mark.parametrize("cls, shape, block", CASES, ids=[c[0].__name__ for c in CASES])
def test_addcmul_and_unfold_import_as_what_they_compute(cls, shape, block, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    with torch.no_grad():  # learned values away from their initial ones
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    graph, weights = import_torch(model, shape)
    assert block in [n.type for n in graph.nodes]
    if cls in (ResBlock, AffineByHand):  # each Affine one Scale with a bias
        assert [n.params.get("bias") for n in graph.nodes if n.type == "Scale"].count(True) \
            == (2 if cls is ResBlock else 1)
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


class Overlapping(nn.Module):
    def forward(self, x):
        return F.unfold(x, 3, stride=2)  # overlapping


def test_overlapping_patches_are_refused_saying_what_to_write(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Overlapping(), (3, 9, 9))
    assert str(caught.value) == (
        f"{line_of('overlapping')}: cannot import torch.nn.functional.unfold in "
        f"Overlapping.forward: no LayerLoom block does this; fix: its patches overlap or skip "
        f"(stride [2, 2], kernel_size [3, 3]); patches that tile a [B, C, H, W] map (stride "
        f"== kernel_size, no padding or dilation) import as a Reshape and Permute. Patches fed "
        f"to a Linear are a convolution: nn.Conv2d(C, out, kernel_size, stride, padding) "
        f"computes unfold then Linear as one layer (the Conv2d block)")
