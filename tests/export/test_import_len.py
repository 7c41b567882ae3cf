"""``len(x)`` of a traced tensor (the batch: rtdl's FT-Transformer's ``CLSToken``,
``self.cls_token.expand(len(x), -1, -1)`` in ViTs written so) is traced as ``x.size(0)``, so a
class token expanded to it imports as a ClassToken block with the model's parameters and
outputs. Before, torch.fx's own "'len' is not supported in symbolic tracing" was the error. A
loop over the batch's samples (``range(len(x))``) is refused in words, at its line. ``len`` of
anything else (a ModuleList) stays Python's."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class CLSByLen(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(4, 8)
        self.cls_token = nn.Parameter(torch.randn(1, 1, 8))
        self.fcs = nn.ModuleList([nn.Linear(8, 8) for _ in range(2)])
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        x = self.proj(x)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1)
        for i in range(len(self.fcs)):
            x = torch.relu(self.fcs[i](x))
        return self.head(x[:, 0])


def test_len_of_the_batch_imports_as_its_size(tmp_path):
    model = CLSByLen().eval()
    graph, weights = import_torch(model, (5, 4))
    types = [n.type for n in graph.nodes]
    assert types[:3] == ["Input", "Linear", "ClassToken"] and types.count("Linear") == 4
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 219
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(6, 5, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, (5, 4), weights=weights) < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


class PerSample(nn.Module):
    def forward(self, x):
        return torch.stack([x[i] * 2 for i in range(len(x))])  # per-sample


def test_a_loop_over_the_samples_is_refused_in_words(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(PerSample(), (5, 4))
    message = str(caught.value)
    assert message.startswith("torch.fx cannot trace PerSample: it uses a traced size as a "
                              "Python number (such as `range(len(x))`"), message
    assert f"line {line_of('per-sample').rpartition(':')[2]} " in message
    assert "'len' is not supported" not in message


def test_len_is_put_back_after_the_trace():
    import builtins

    import_torch(CLSByLen().eval(), (5, 4))
    assert "len" not in globals() and len is builtins.len
