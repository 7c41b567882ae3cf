"""The gated linear unit imports as what it computes, a Chunk, a Sigmoid and a Multiply block:
``F.glu(x, dim=-1)`` in the Temporal Fusion Transformer's gated residual network
(pytorch-forecasting's ``GatedLinearUnit``) and ``nn.GLU(dim=1)`` after the pointwise
convolution of Conformer's convolution module. The parameter count and the outputs are the
model's, at another length too, and the design exports. Before, the import stopped at
"cannot import torch.nn.functional.glu ...: no LayerLoom block does this"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class GatedLinearUnit(nn.Module):  # pytorch-forecasting's, as the TFT uses it
    def __init__(self, input_size, hidden_size=None, dropout=None):
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout is not None else dropout
        self.hidden_size = hidden_size or input_size
        self.fc = nn.Linear(input_size, self.hidden_size * 2)

    def forward(self, x):
        if self.dropout is not None:
            x = self.dropout(x)
        x = self.fc(x)
        x = F.glu(x, dim=-1)
        return x


class GatedResidualNetwork(nn.Module):
    def __init__(self, input_size=8, hidden_size=16, output_size=8, dropout=0.1):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.elu = nn.ELU()
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.glu = GatedLinearUnit(hidden_size, output_size, dropout)
        self.norm = nn.LayerNorm(output_size)

    def forward(self, x):
        residual = x
        x = self.fc2(self.elu(self.fc1(x)))
        return self.norm(self.glu(x) + residual)


class ConformerConvModule(nn.Module):
    def __init__(self, dim=8, kernel_size=5):
        super().__init__()
        self.layer_norm = nn.LayerNorm(dim)
        self.pointwise_conv1 = nn.Conv1d(dim, 2 * dim, 1)
        self.glu = nn.GLU(dim=1)
        self.depthwise_conv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2,
                                        groups=dim)
        self.batch_norm = nn.BatchNorm1d(dim)
        self.activation = nn.SiLU()
        self.pointwise_conv2 = nn.Conv1d(dim, dim, 1)

    def forward(self, x):  # [B, T, D]
        x = self.layer_norm(x).transpose(1, 2)
        x = self.glu(self.pointwise_conv1(x))
        x = self.activation(self.batch_norm(self.depthwise_conv(x)))
        return self.pointwise_conv2(x).transpose(1, 2)


@pytest.mark.parametrize("cls, params", [(GatedResidualNetwork, 704),
                                         (ConformerConvModule, 296)])
def test_glu_imports_as_chunk_sigmoid_multiply(cls, params, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.LayerNorm, nn.BatchNorm1d)):
                m.weight.normal_(1, 0.3)
                m.bias.normal_(0, 0.3)
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2)
    graph, weights = import_torch(model, (10, 8))
    types = [n.type for n in graph.nodes]
    assert types.count("Chunk") == types.count("Sigmoid") == types.count("Multiply") == 1
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == params
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 10, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.3 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, (10, 8), weights=weights) < 1e-5
    other = check_other_size(model, graph, state, [(10, 8)], ["float32"])
    assert other.shapes == [(15, 8)] and other.warning is None
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_glu_of_an_odd_size_is_still_refused():
    class Odd(nn.Module):
        def forward(self, x):
            return F.glu(x, dim=-1)

    with pytest.raises(GraphError, match="glu"):
        import_torch(Odd(), (5, 7))
