"""``nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d))`` imports as the encoder's
node (repeated ``num_layers`` times) followed by a LayerNorm block holding the final norm's
weights, with the model's outputs at the traced length and at another, its parameter count, code
and ONNX export. A final norm other than nn.LayerNorm is refused, naming its type."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, generate_code
from layerloom.graph.import_torch import import_torch


class Encoder(nn.Module):
    def __init__(self, layers: int = 2, norm: nn.Module | None = None):
        super().__init__()
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, norm=norm or nn.LayerNorm(8),
                                         enable_nested_tensor=False)
        with torch.no_grad():  # a final norm other than the identity, so that it matters
            self.enc.norm.weight.uniform_(0.5, 1.5)
            self.enc.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.enc(x)


@pytest.mark.parametrize("layers", [1, 2])
def test_final_norm_is_a_layernorm_after_the_encoder(layers, imported_round_trip, tmp_path):
    torch.manual_seed(0)
    model = Encoder(layers)
    graph, state = imported_round_trip(model, [5, 8], tmp_path, other_shape=[9, 8])
    blocks = [(n.id, n.type, n.repeat) for n in graph.nodes if n.type not in ("Input", "Output")]
    assert blocks == [("enc", "TransformerEncoderLayer", layers if layers > 1 else None),
                      ("enc_norm", "LayerNorm", None)]
    assert [(e.source, e.target) for e in graph.edges][1:2] == [("enc", "enc_norm")]
    assert "self.enc_norm = nn.LayerNorm(8)" in generate_code(graph)
    assert torch.equal(state["enc_norm.weight"], model.enc.norm.weight)
    assert torch.equal(state["enc_norm.bias"], model.enc.norm.bias)


def test_a_final_norm_other_than_layernorm_is_refused():
    class RMS(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(8))
            self.bias = nn.Parameter(torch.zeros(8))

        def forward(self, x):
            return x * self.weight

    with pytest.raises(GraphError, match=r"cannot import enc \(TransformerEncoder\): a final "
                                         r"norm of type RMS \(nn\.LayerNorm maps, as a "
                                         r"LayerNorm block after the encoder\)"):
        import_torch(Encoder(2, RMS()), [[5, 8]])
