"""A constant kept in a buffer and added whole (``self.register_buffer("eye", torch.eye(3))``
then ``x + self.eye``; PointNet's identity ``iden`` kept as a buffer) imports as a constant: a
Normalize block holding its values negated (x − (−c) is x + c, exactly), one value per channel
where it is so (the Normalize alone), else value by value (the input flattened, the Normalize,
an Unflatten back). Nothing is learned and nothing counts as a parameter, as in the model: the
parameter count is the model's, the outputs match within 1e-5, and the design exports to code,
TorchScript and ONNX. Before, a [9] or [1, 9] buffer was refused ("only a positional table ...
maps") and a [3, 3] one imported as a frozen PositionalEmbedding whose 9 values counted as
parameters the model does not have. A table sliced to the length (``self.pe[:L]``) stays a
PositionalEmbedding (test_import_positional_buffer.py)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class Regressor(nn.Module):
    """A 3x3 transform regressed around the identity, the identity in a buffer."""

    def __init__(self, form: str):
        super().__init__()
        self.form = form
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 9)
        if form == "matrix":
            self.register_buffer("eye", torch.eye(3))
        elif form == "row":  # PointNet's iden, [1, 9]
            self.register_buffer("eye", torch.eye(3).flatten().unsqueeze(0))
        else:
            self.register_buffer("eye", torch.eye(3).flatten())

    def forward(self, x):
        y = self.fc2(torch.relu(self.fc1(x)))
        if self.form == "matrix":
            return y.view(-1, 3, 3) + self.eye
        return (y + self.eye).view(-1, 3, 3)


@pytest.mark.parametrize(("form", "blocks"), [
    ("matrix", ["Unflatten", "Flatten", "Normalize", "Unflatten"]),
    ("row", ["Normalize", "Unflatten"]),
    ("vector", ["Normalize", "Unflatten"]),
])
def test_a_buffer_added_whole_imports_as_a_constant(form, blocks, tmp_path):
    torch.manual_seed(0)
    model = Regressor(form).eval()
    graph, weights = import_torch(model, (6,))
    types = [n.type for n in graph.nodes]
    assert types[4:-1] == blocks and "PositionalEmbedding" not in types
    shift = next(n for n in graph.nodes if n.type == "Normalize")
    assert shift.id == "add_eye"
    assert shift.params == {"mean": [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0],
                            "std": [1.0]}
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == summarize(graph).trainable_params == count == 265
    state = weights.apply(model.state_dict())
    assert "eye" not in weights.values()
    compiled = compile_graph(graph).eval()
    assert sum(p.numel() for p in compiled.parameters()) == count
    compiled.load_state_dict(state, strict=True)
    assert check_import(model, graph, state, (6,), weights=weights) < 1e-5
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert (got - want).abs().max() < 1e-6
    for fmt, name in (("python", "r.py"), ("torchscript", "r.pt"), ("onnx", "r.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5
