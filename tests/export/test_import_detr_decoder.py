"""A DETR-style decoder: object queries as a learned embedding repeated over the batch
(``self.query_embed.weight.unsqueeze(0).repeat(B, 1, 1)``), self-attention among them and
cross-attention to the encoder's memory, then the class and box heads. The repeat of the
learned table imports as the LearnedTokens block (as ``expand`` does), the cross-attention as a
MultiheadAttention whose query is the queries and whose key and value are the memory.

Before, the import stopped at the repeat: "cannot import Tensor.repeat … no LayerLoom block
does this; fix: x.repeat(...) copies the tensor along dimensions"; and a class token repeated
over the batch (``self.cls_token.repeat(B, 1, 1)``, then joined) alike. Written with torch's
``nn.TransformerDecoder``, it stopped there: "no LayerLoom block computes TransformerDecoder".
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class DecoderLayer(nn.Module):
    def __init__(self, dim, heads=2, hidden=32):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.linear1, self.linear2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), \
            nn.LayerNorm(dim)

    def forward(self, tgt, memory):
        tgt = self.norm1(tgt + self.self_attn(tgt, tgt, tgt, need_weights=False)[0])
        tgt = self.norm2(tgt + self.cross_attn(tgt, memory, memory, need_weights=False)[0])
        return self.norm3(tgt + self.linear2(torch.relu(self.linear1(tgt))))


class DETR(nn.Module):
    def __init__(self, dim=16, queries=5, classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, dim, 4, stride=4), nn.ReLU())
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(dim, 2, 32, dropout=0.0, batch_first=True), 1)
        self.query_embed = nn.Embedding(queries, dim)
        self.decoder = DecoderLayer(dim)
        self.class_embed = nn.Linear(dim, classes + 1)
        self.bbox_embed = nn.Linear(dim, 4)

    def forward(self, images):
        memory = self.encoder(self.backbone(images).flatten(2).transpose(1, 2))  # (B, HW, D)
        B = memory.shape[0]
        queries = self.query_embed.weight.unsqueeze(0).repeat(B, 1, 1)  # (B, Q, D)
        hs = self.decoder(queries, memory)
        return self.class_embed(hs), self.bbox_embed(hs).sigmoid()


class TorchDecoderDETR(nn.Module):
    """The same with torch's own decoder layers (batch first, their dropout of 0.1)."""

    def __init__(self, dim=16, queries=5, classes=4, norm_first=False):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, dim, 4, stride=4), nn.ReLU())
        layer = nn.TransformerDecoderLayer(dim, 2, 32, batch_first=True, norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(dim))
        self.query_embed = nn.Embedding(queries, dim)
        self.class_embed = nn.Linear(dim, classes + 1)

    def forward(self, images):
        memory = self.backbone(images).flatten(2).transpose(1, 2)  # (B, HW, D)
        queries = self.query_embed.weight.unsqueeze(0).repeat(memory.shape[0], 1, 1)
        return self.class_embed(self.decoder(queries, memory))


class RepeatedClassToken(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.embed = nn.Linear(6, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.head = nn.Linear(dim, 3)

    def forward(self, x):
        tokens = self.embed(x)
        cls = self.cls_token.repeat(tokens.shape[0], 1, 1)
        return self.head(torch.cat([cls, tokens], dim=1)[:, 0])


def _same_outputs(model, graph, state, x):
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)


def test_detr_queries_repeated_over_the_batch_import_as_learned_tokens():
    torch.manual_seed(0)
    model = DETR().eval()
    graph, weights = import_torch(model, (3, 32, 32))
    assert [(n.id, n.params) for n in graph.nodes if n.type == "LearnedTokens"] == \
        [("query_embed_weight", {"num_tokens": 5, "dim": 16})]
    cross = next(n for n in graph.nodes if n.id == "decoder_cross_attn")
    assert sorted((e.source, e.port) for e in graph.edges if e.target == cross.id) == \
        [("decoder_norm1", "query"), ("encoder", "key")]  # the value: the key's
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 32, 32), weights=weights) < 1e-4
    _same_outputs(model, graph, state, torch.randn(2, 3, 32, 32))


@pytest.mark.parametrize("norm_first", [False, True])
def test_torchs_transformer_decoder_imports_as_the_layers_it_calls(norm_first):
    """nn.TransformerDecoder had no block ("no LayerLoom block computes TransformerDecoder");
    each of its layers is now its self-attention, cross-attention, norms and Linears."""
    torch.manual_seed(0)
    model = TorchDecoderDETR(norm_first=norm_first).eval()
    graph, weights = import_torch(model, (3, 32, 32))
    types = [n.type for n in graph.nodes]
    assert types.count("MultiheadAttention") == 4 and types.count("LayerNorm") == 7
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    _same_outputs(model, graph, weights.apply(model.state_dict()), torch.randn(2, 3, 32, 32))


def test_a_class_token_repeated_over_the_batch_is_a_class_token():
    torch.manual_seed(0)
    model = RepeatedClassToken().eval()
    graph, weights = import_torch(model, (7, 6))
    assert [n.type for n in graph.nodes if n.type == "ClassToken"] == ["ClassToken"]
    _same_outputs(model, graph, weights.apply(model.state_dict()), torch.randn(4, 7, 6))


class DETRDemo(nn.Module):
    """The DETR paper's demo: positions from row and column tables repeated over the map."""

    def __init__(self, dim=16):
        super().__init__()
        self.conv = nn.Conv2d(3, dim, 4, stride=4)
        self.row_embed = nn.Parameter(torch.rand(50, dim // 2))
        self.col_embed = nn.Parameter(torch.rand(50, dim // 2))

    def forward(self, x):
        h = self.conv(x)
        H, W = h.shape[-2:]
        pos = torch.cat([self.col_embed[:W].unsqueeze(0).repeat(H, 1, 1),  # positions
                         self.row_embed[:H].unsqueeze(1).repeat(1, W, 1)], dim=-1)
        return h.flatten(2).transpose(1, 2) + pos.flatten(0, 1).unsqueeze(0)


def test_detrs_row_and_column_positions_are_refused_saying_what_imports():
    with pytest.raises(GraphError) as caught:
        import_torch(DETRDemo().eval(), (3, 32, 32))
    lines = open(__file__, encoding="utf-8").read().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.endswith("# positions"))
    assert str(caught.value) == (
        f"test_import_detr_decoder.py:{line}: cannot import Tensor.repeat in DETRDemo.forward: "
        "it repeats the learned table 'col_embed' by a size read from a tensor (DETR's "
        "positions: row and column tables repeated over the map), which no block does; a "
        "learned table of every position imports, added to the batch-first [B, H·W, D] tokens "
        "as ViT's pos_embed is (nn.Parameter of [1, H·W, D]: PositionalEmbedding)")


def test_a_repeat_of_the_data_is_still_refused_saying_what_to_do():
    class Tiled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 6)

        def forward(self, x):
            return self.fc(x).repeat(1, 2)

    with pytest.raises(GraphError, match=r"Tensor\.repeat .*no LayerLoom block does this; "
                                         r"fix: x\.repeat\(\.\.\.\) copies the tensor"):
        import_torch(Tiled().eval(), (6,))
