"""FT-Transformer (Gorishniy et al. 2021) with its parts as rtdl writes them: the numerical
feature tokenizer, ``self.weight[None] * x[..., None]`` then ``+ self.bias[None]`` (a learned
``[F, D]`` weight and bias), imports as one FeatureTokenizer block holding both, and its
CLSToken, ``torch.cat([x, self.expand(len(x), 1)], dim=1)`` (put after the features), as a
ClassToken with ``at="end"``. The common re-written forms (``x.unsqueeze(-1) * self.weight +
self.bias``, ``x[..., None] * self.weight``, no bias) import too. The parameter count and the
outputs are the model's, and the design exports to code, TorchScript and ONNX. Before, the
import stopped at the product ("it multiplies a [5, 1] input by the parameter 'weight' [5, 8];
only a vector along one dimension (layer scale) maps") and at the CLS token ("only learned
token tables put in front of a [B, L, D] sequence ... map")."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
from torch import Tensor

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


def _init(parameter: Tensor, d: int) -> None:
    s = 1 / math.sqrt(d)
    nn.init.uniform_(parameter, a=-s, b=s)


class NumericalFeatureTokenizer(nn.Module):
    def __init__(self, n_features: int, d_token: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(Tensor(n_features, d_token))
        self.bias = nn.Parameter(Tensor(n_features, d_token)) if bias else None
        for parameter in [self.weight, self.bias]:
            if parameter is not None:
                _init(parameter, d_token)

    def forward(self, x: Tensor) -> Tensor:
        x = self.weight[None] * x[..., None]
        if self.bias is not None:
            x = x + self.bias[None]
        return x


class CLSToken(nn.Module):
    def __init__(self, d_token: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(Tensor(d_token))
        _init(self.weight, d_token)

    def expand(self, *leading_dimensions: int) -> Tensor:
        if not leading_dimensions:
            return self.weight
        new_dims = (1,) * (len(leading_dimensions) - 1)
        return self.weight.view(*new_dims, -1).expand(*leading_dimensions, -1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([x, self.expand(len(x), 1)], dim=1)


class FTTransformer(nn.Module):
    """The tokenizer, the [CLS] token after the features, a pre-norm Transformer layer and the
    head on the [CLS] token's output (``x[:, -1]``)."""

    def __init__(self, n_features=5, d_token=8, bias=True, classes=3):
        super().__init__()
        torch.manual_seed(0)
        self.tokenizer = NumericalFeatureTokenizer(n_features, d_token, bias)
        self.cls_token = CLSToken(d_token)
        self.layer = nn.TransformerEncoderLayer(d_token, 2, 16, dropout=0.0, batch_first=True,
                                                norm_first=True)
        self.head = nn.Sequential(nn.LayerNorm(d_token), nn.ReLU(), nn.Linear(d_token, classes))

    def forward(self, x: Tensor) -> Tensor:
        x = self.tokenizer(x)
        x = self.cls_token(x)
        x = self.layer(x)
        return self.head(x[:, -1])


class Rewritten(nn.Module):
    def __init__(self, form: str):
        super().__init__()
        torch.manual_seed(0)
        self.form = form
        self.weight = nn.Parameter(torch.randn(4, 6))
        self.bias = nn.Parameter(torch.randn(4, 6))
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        if self.form == "unsqueeze":
            x = x.unsqueeze(-1) * self.weight.unsqueeze(0) + self.bias.unsqueeze(0)
        elif self.form == "index":
            x = x[..., None] * self.weight + self.bias
        else:  # a tokenizer without a bias; self.bias is left unused
            x = x[..., None] * self.weight
        return self.head(x.mean(1))


def test_rtdl_ft_transformer_imports_with_its_tokenizer_and_cls_token(tmp_path):
    model = FTTransformer().eval()
    graph, weights = import_torch(model, (5,))
    nodes = {n.type: n for n in graph.nodes}
    assert nodes["FeatureTokenizer"].id == "tokenizer"
    assert nodes["FeatureTokenizer"].params == {"d_token": 8}
    assert nodes["ClassToken"].params == {"num_tokens": 1, "at": "end"}
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 731
    state = weights.apply(model.state_dict())
    assert torch.equal(state["tokenizer.weight"], model.tokenizer.weight.detach())
    assert torch.equal(state["tokenizer.bias"], model.tokenizer.bias.detach())
    assert check_import(model, graph, state, (5,), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


@pytest.mark.parametrize(("form", "bias"), [("unsqueeze", True), ("index", True),
                                            ("no-bias", False)])
def test_rewritten_tokenizers_import(form, bias):
    model = Rewritten(form).eval()
    graph, weights = import_torch(model, (4,))
    assert [n.type for n in graph.nodes] == ["Input", "FeatureTokenizer", "SequencePool",
                                             "Linear", "Output"]
    assert graph.nodes[1].params == ({"d_token": 6} if bias else {"d_token": 6, "bias": False})
    used = 4 * 6 * (2 if bias else 1) + 14
    assert summarize(graph).params == used
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (4,), weights=weights) < 1e-5


def test_a_product_with_a_weight_of_other_features_is_still_refused():
    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(1, 6))

        def forward(self, x):
            return (x[..., None] * self.weight).mean(1)

    with pytest.raises(GraphError, match="it multiplies a \\[4, 1\\] input by the parameter "
                                        "'weight' \\[1, 6\\]"):
        import_torch(Other().eval(), (4,))
