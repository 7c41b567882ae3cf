"""``nn.TransformerEncoder(layer, num_layers=1)`` imports as one TransformerEncoderLayer block
with the layer's weights (its weights were keyed as a stack, ``encoder.0.*``, which the compiled
single block, ``encoder.*``, did not take: a raw load_state_dict error of many lines)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch import check_import, import_torch


class Encoder(nn.Module):
    def __init__(self, layers: int):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), num_layers=layers)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.encoder(self.embed(x)).mean(1))


def _counts(module: nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


@pytest.mark.parametrize("layers, repeat", [(1, None), (2, 2)])
def test_an_encoder_of_one_layer_imports_as_that_layer(layers, repeat):
    torch.manual_seed(0)
    model = Encoder(layers).eval()
    graph, weights = import_torch(model, [12], "int64")
    assert [n.type for n in graph.nodes] == ["Input", "Embedding", "TransformerEncoderLayer",
                                             "SequencePool", "Linear", "Output"]
    [block] = [n for n in graph.nodes if n.type == "TransformerEncoderLayer"]
    assert block.id == "encoder" and block.repeat == repeat
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [12], "int64", weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    assert _counts(compiled) == _counts(model)
    if layers == 1:
        assert weights["encoder.self_attn.in_proj_weight"] == \
            "encoder.layers.0.self_attn.in_proj_weight"
    for length in (12, 20):  # the model runs at any length, and so does the graph
        x = torch.randint(0, 50, (2, length), generator=torch.Generator().manual_seed(length))
        with torch.no_grad():
            torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=0)


def test_weights_that_do_not_fit_are_said_in_one_line():
    model = Encoder(1).eval()
    graph, weights = import_torch(model, [12], "int64")
    state = weights.apply(model.state_dict())
    state["encoder.0.linear1.weight"] = state.pop("encoder.linear1.weight")
    state["fc.bias"] = torch.zeros(4)
    with pytest.raises(GraphError) as err:
        check_import(model, graph, state, [12], "int64")
    assert str(err.value) == (
        "the imported weights do not fit the graph (an importer bug; please report it): no "
        "weights for the graph's encoder.linear1.weight; no place in the graph for the weights "
        "encoder.0.linear1.weight; shapes other than the graph's for fc.bias")
