"""torch's attention and transformer modules built sequence-first (``batch_first=False``, their
default), called on tensors permuted to ``[S, B, E]``: the DETR paper's demo model
(``nn.Transformer`` on ``h.flatten(2).permute(2, 0, 1)``, its queries
``query_pos.unsqueeze(1).repeat(1, B, 1)``, the output ``.transpose(0, 1)``), an
``nn.MultiheadAttention`` between two permutes, an ``nn.TransformerEncoder`` whose last step
is ``out[-1]`` or whose steps are averaged, ``out.mean(dim=0)``. Each imports as the batch-first blocks on the permuted tensors: the permute
that keeps the batch first is a Permute block, the batch's own moves cancel; the design's
shapes, parameter counts and outputs are the model's.

Before, each was refused at its permute ("dims [2, 0, 1] move the batch dimension; fix: make
transformer batch_first=True and drop the permute"), and ``nn.Transformer`` even batch-first
("no LayerLoom block computes Transformer"). A sequence-first output used otherwise than a
permute back, its last step or a mean or sum over one dimension (``out.reshape(-1, E)``, its
steps and samples as rows) is still refused with that fix."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class DETRdemo(nn.Module):
    """The DETR paper's demo (its Colab's ``DETRdemo``), small: a learned table of the map's
    positions in place of the row and column tables (refused on their own), queries repeated
    over the batch."""

    def __init__(self, num_classes=5, hidden_dim=16, nheads=2, num_encoder_layers=1,
                 num_decoder_layers=1, queries=4, positions=16):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 4, stride=4), nn.ReLU())
        self.conv = nn.Conv2d(8, hidden_dim, 1)
        self.transformer = nn.Transformer(hidden_dim, nheads, num_encoder_layers,
                                          num_decoder_layers, dim_feedforward=32)
        self.linear_class = nn.Linear(hidden_dim, num_classes + 1)
        self.linear_bbox = nn.Linear(hidden_dim, 4)
        self.query_pos = nn.Parameter(torch.rand(queries, hidden_dim))
        self.pos = nn.Parameter(torch.rand(positions, 1, hidden_dim))

    def forward(self, inputs):
        h = self.conv(self.backbone(inputs))
        src = self.pos + 0.1 * h.flatten(2).permute(2, 0, 1)  # (HW, B, D)
        tgt = self.query_pos.unsqueeze(1).repeat(1, h.size(0), 1)  # (Q, B, D)
        h = self.transformer(src, tgt).transpose(0, 1)  # (B, Q, D)
        return self.linear_class(h), self.linear_bbox(h).sigmoid()


class PermutedAttention(nn.Module):
    def __init__(self, dim=16, heads=2, classes=3):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, x):  # (B, L, E)
        s = x.permute(1, 0, 2)  # (L, B, E)
        y, _ = self.attn(s, s, s)
        return self.fc(self.norm(s + y).permute(1, 0, 2))


class LastStep(nn.Module):
    def __init__(self, dim=16, classes=3, pool=None):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, 2, dim_feedforward=32)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.fc, self.pool = nn.Linear(dim, classes), pool

    def forward(self, x):
        out = self.encoder(x.transpose(0, 1))  # (L, B, E)
        if self.pool == "mean":
            return self.fc(out.mean(dim=0))
        if self.pool == "steps":  # every step of every sample, one row each
            return self.fc(out.reshape(-1, out.size(-1)))
        return self.fc(out[-1])


def _same(model, shape):
    """The design of ``model``: its blocks, after checking that its shapes, parameter count
    and outputs are the model's (on the same weights) at the traced size."""
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, shape)
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state)
    x = torch.randn(5, *shape)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    for e, g, output in zip(expected if isinstance(expected, tuple) else [expected],
                            got if isinstance(got, tuple) else [got],
                            [n for n in summary.nodes if n.type == "Output"]):
        assert g.shape == e.shape and list(output.output_shape) == list(e.shape[1:])
        assert torch.allclose(g, e, atol=1e-5)
    return [n.type for n in graph.nodes]


def test_the_detr_demo_with_a_sequence_first_transformer_imports():
    types = _same(DETRdemo(), (3, 16, 16))
    assert types.count("Permute") == 1  # (B, D, HW) → (B, HW, D): the batch stays first
    assert "LearnedTokens" in types and "PositionalEmbedding" in types
    assert types.count("MultiheadAttention") == 2 and "TransformerEncoderLayer" in types


def test_an_attention_between_two_permutes_imports_without_them():
    types = _same(PermutedAttention(), (6, 16))
    assert types == ["Input", "MultiheadAttention", "Add", "LayerNorm", "Linear", "Output"]


@pytest.mark.parametrize("pool", [None, "mean"])
def test_a_sequence_first_encoders_last_step_or_mean_imports(pool):
    types = _same(LastStep(pool=pool), (6, 16))
    assert "Permute" not in types and "TransformerEncoderLayer" in types


def test_the_model_keeps_its_modules_sequence_first():
    model = DETRdemo().eval()
    import_torch(model, (3, 16, 16))
    assert not model.transformer.batch_first
    assert not model.transformer.encoder.layers[0].self_attn.batch_first


def test_another_use_of_a_sequence_first_output_is_refused_with_the_fix():
    # at the reshape, which makes every step of every sample a row (before: at the transpose,
    # "make encoder batch_first=True and drop the transpose", after which the reshape was
    # refused with no fix)
    with pytest.raises(GraphError, match=r"test_import_sequence_first.py:76: cannot import "
                                         r"Tensor.reshape in LastStep.forward: it reshapes "
                                         r"\[6, 3, 16\] \(steps first, as encoder built "
                                         r"sequence-first gives them\) to \[18, 16\], moving "
                                         r"the batch dimension; it makes every step of every "
                                         r"sample a row .*; fix: drop the reshape and keep "
                                         r"\[batch, steps, 16\]"):
        import_torch(LastStep(pool="steps").eval(), (6, 16))
