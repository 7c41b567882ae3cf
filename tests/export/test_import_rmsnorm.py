"""RMS normalisation imports as an RMSNorm block with the layer's scale: ``nn.RMSNorm``,
``F.rms_norm(x, (D,), self.weight, eps)``, and the hand-written norms of transformers' T5
(``T5LayerNorm``, with its half-precision cast) and LLaMA (``LlamaRMSNorm``) and of Meta's
llama ``RMSNorm`` (``_norm(x.float()).type_as(x) * self.weight``). The parameter count and the
outputs are the model's, and the design exports. Before, each stopped at "no LayerLoom block
computes RMSNorm" or at its ``pow`` with advice about ConvNeXt's LayerNorm. Gemma's
``1 + self.weight`` is another computation and stays refused."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class T5LayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in [torch.float16, torch.bfloat16]:
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class RMSNorm(torch.nn.Module):  # Meta's llama/model.py
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float()).type_as(x)
        return output * self.weight


class GemmaRMSNorm(RMSNorm):
    def forward(self, x):
        output = self._norm(x.float())
        return (output * (1.0 + self.weight.float())).type_as(x)  # gemma


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(16))

    def forward(self, x):
        return F.rms_norm(x, (x.size(-1),), self.weight, 1e-5)


class Net(nn.Module):
    def __init__(self, norm):
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.norm = norm
        self.head = nn.Linear(16, 4)
        with torch.no_grad():
            for p in self.norm.parameters():
                p.normal_(1, 0.3)

    def forward(self, x):
        return self.head(self.norm(self.fc(x)))


@pytest.mark.parametrize("norm, eps", [
    (lambda: nn.RMSNorm(16), torch.finfo(torch.float32).eps),
    (lambda: nn.RMSNorm(16, eps=1e-5), 1e-5),
    (lambda: Functional(), 1e-5),
    (lambda: T5LayerNorm(16), 1e-6),
    (lambda: LlamaRMSNorm(16, eps=1e-5), 1e-5),
    (lambda: RMSNorm(16), 1e-6),
], ids=["nn.RMSNorm", "nn.RMSNorm-eps", "F.rms_norm", "T5LayerNorm", "LlamaRMSNorm",
        "llama-RMSNorm"])
def test_rms_norms_import_as_the_block(norm, eps, tmp_path):
    torch.manual_seed(0)
    model = Net(norm()).eval()
    graph, weights = import_torch(model, (10, 16))
    blocks = [(n.type, n.params.get("eps", 1e-6)) for n in graph.nodes[1:-1]]
    assert blocks == [("Linear", 1e-6), ("RMSNorm", pytest.approx(eps)), ("Linear", 1e-6)]
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 356
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 10, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.5 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, (10, 16), weights=weights) < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_gemmas_one_plus_weight_is_not_taken_for_it():
    with pytest.raises(GraphError):
        import_torch(Net(GemmaRMSNorm(16)).eval(), (10, 16))


class OwnRMSNorm(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.scale  # own


def test_an_rms_norm_of_another_form_is_refused_naming_the_block(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Net(OwnRMSNorm()).eval(), (10, 16))
    message = str(caught.value)
    assert message.startswith(f"{line_of('own')}: cannot import Tensor.pow in norm "
                              f"(OwnRMSNorm): no LayerLoom block does this; fix: norm "
                              f"(OwnRMSNorm) is an RMS norm written by hand"), message
    assert "nn.RMSNorm(D, eps)" in message and "ConvNeXt" not in message
