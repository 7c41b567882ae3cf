"""ultralytics' C2f (YOLOv8, YOLO11): ``y = list(self.cv1(x).chunk(2, 1))``, then
``y.extend(m(y[-1]) for m in self.m)`` and ``torch.cat(y, 1)``, imports: a split whose number of
parts its arguments give (``chunk(n)``, ``split`` by a list of sizes, ``tensor_split(x, n)``)
can be iterated whole while tracing. Before, fx stopped at the ``list(...)`` and the refusal
advised ``torch.flatten``, which has nothing to do with it. A split into a number of parts only
the data knows (``split(4)``) is still refused at its line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class Conv(nn.Module):
    default_act = nn.SiLU()

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = self.default_act

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True):
        super().__init__()
        self.cv1, self.cv2 = Conv(c1, c2, 3, 1), Conv(c2, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False, e=0.5, how="chunk"):
        super().__init__()
        self.c, self.how = int(c2 * e), how
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut) for _ in range(n))

    def forward(self, x):
        if self.how == "chunk":
            y = list(self.cv1(x).chunk(2, 1))
        elif self.how == "split":
            y = list(self.cv1(x).split((self.c, self.c), 1))
        else:
            y = list(self.cv1(x).split(self.c, 1))  # split-by-size
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class Net(nn.Module):
    def __init__(self, how="chunk"):
        super().__init__()
        torch.manual_seed(0)
        self.stem = Conv(3, 16, 3, 2)
        self.c2f = C2f(16, 16, n=2, shortcut=True, how=how)
        self.head = nn.Conv2d(16, 5, 1)
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.normal_(1, 0.3)
                    m.bias.normal_(0, 0.3)

    def forward(self, x):
        return self.head(self.c2f(self.stem(x)))


@pytest.mark.parametrize("how", ["chunk", "split"])
def test_c2f_imports(how, tmp_path):
    model = Net(how).eval()
    graph, weights = import_torch(model, (3, 16, 16))
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 3_749
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 16, 16), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.2 and (got - want).abs().max() < 1e-5
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_a_split_by_size_is_refused_at_its_line(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Net("size").eval(), (3, 16, 16))
    assert f"line {line_of('split-by-size').rpartition(':')[2]} " in str(caught.value)
