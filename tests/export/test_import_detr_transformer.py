"""The original DETR's transformer (facebookresearch/detr, ``models/transformer.py``): its own
encoder and decoder layers around sequence-first ``nn.MultiheadAttention`` modules, on the map
flattened and permuted to ``[HW, B, D]`` with its positions, the queries
``query_embed.unsqueeze(1).repeat(1, bs, 1)``, the decoder's first input their
``torch.zeros_like``, its output stacked by ``unsqueeze(0)`` and ``hs.transpose(1, 2)``, the
heads taking ``[-1]``. It imports as the batch-first blocks on the permuted tensors, the
positions (the sine encoding made once, the buffer the positions' refusal asks for) added per
position, the queries a LearnedTokens block and the zeros their Rescaling by 0; the design's
shapes, parameter counts and both outputs are the model's.

Before, it was refused at the map's ``permute(2, 0, 1)`` ("move the batch dimension"), then at
the queries' repeat, wrongly called DETR's positions, and at ``torch.zeros_like``."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch

class Transformer(nn.Module):
    def __init__(self, d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                 dim_feedforward=32, dropout=0.1):
        super().__init__()
        encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout)
        self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers)
        decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout)
        self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, nn.LayerNorm(d_model))
        self.d_model, self.nhead = d_model, nhead

    def forward(self, src, query_embed, pos_embed):
        # flatten NxCxHxW to HWxNxC
        bs, c, h, w = src.shape
        src = src.flatten(2).permute(2, 0, 1)
        pos_embed = pos_embed.flatten(2).permute(2, 0, 1)
        query_embed = query_embed.unsqueeze(1).repeat(1, bs, 1)
        tgt = torch.zeros_like(query_embed)
        memory = self.encoder(src, pos=pos_embed)
        hs = self.decoder(tgt, memory, pos=pos_embed, query_pos=query_embed)
        return hs.transpose(1, 2)


class TransformerEncoder(nn.Module):
    def __init__(self, encoder_layer, num_layers):
        super().__init__()
        self.layers = nn.ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])

    def forward(self, src, pos=None):
        output = src
        for layer in self.layers:
            output = layer(output, pos=pos)
        return output


class TransformerDecoder(nn.Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = nn.ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.norm = norm

    def forward(self, tgt, memory, pos=None, query_pos=None):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, pos=pos, query_pos=query_pos)
        if self.norm is not None:
            output = self.norm(output)
        return output.unsqueeze(0)


class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = F.relu

    def with_pos_embed(self, tensor, pos):
        return tensor if pos is None else tensor + pos

    def forward(self, src, pos=None):
        q = k = self.with_pos_embed(src, pos)
        src2 = self.self_attn(q, k, value=src)[0]
        src = src + self.dropout1(src2)
        src = self.norm1(src)
        src2 = self.linear2(self.dropout(self.activation(self.linear1(src))))
        src = src + self.dropout2(src2)
        src = self.norm2(src)
        return src


class TransformerDecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = F.relu

    def with_pos_embed(self, tensor, pos):
        return tensor if pos is None else tensor + pos

    def forward(self, tgt, memory, pos=None, query_pos=None):
        q = k = self.with_pos_embed(tgt, query_pos)
        tgt2 = self.self_attn(q, k, value=tgt)[0]
        tgt = tgt + self.dropout1(tgt2)
        tgt = self.norm1(tgt)
        tgt2 = self.multihead_attn(query=self.with_pos_embed(tgt, query_pos),
                                   key=self.with_pos_embed(memory, pos),
                                   value=memory)[0]
        tgt = tgt + self.dropout2(tgt2)
        tgt = self.norm2(tgt)
        tgt2 = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        tgt = tgt + self.dropout3(tgt2)
        tgt = self.norm3(tgt)
        return tgt


class DETR(nn.Module):
    """models/detr.py: the backbone's map projected, the transformer, class and box heads on
    the last decoder layer's output. Its positions: a buffer of the map's (the sine encoding
    made once, as the refusal of PositionEmbeddingSine asks; drawn at random here)."""

    def __init__(self, num_classes=5, num_queries=4, hidden_dim=16):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 4, stride=4), nn.ReLU())
        self.transformer = Transformer(d_model=hidden_dim)
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.bbox_embed = nn.Linear(hidden_dim, 4)
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.input_proj = nn.Conv2d(8, hidden_dim, kernel_size=1)
        self.register_buffer("pos", torch.randn(1, hidden_dim, 4, 4))

    def forward(self, samples):
        src = self.backbone(samples)
        hs = self.transformer(self.input_proj(src), self.query_embed.weight, self.pos)
        outputs_class = self.class_embed(hs)
        outputs_coord = self.bbox_embed(hs).sigmoid()
        return outputs_class[-1], outputs_coord[-1]


def test_the_original_detr_transformer_imports_with_its_outputs():
    torch.manual_seed(0)
    model = DETR().eval()
    graph, weights = import_torch(model, (3, 16, 16))
    types = [n.type for n in graph.nodes]
    assert types.count("MultiheadAttention") == 3 and types.count("Permute") == 1
    assert "LearnedTokens" in types
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 16, 16), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state)
    x = torch.randn(5, 3, 16, 16)
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    outputs = [n for n in summary.nodes if n.type == "Output"]
    assert [list(o.output_shape) for o in outputs] == [[4, 6], [4, 4]]
    for e, g in zip(expected, got):
        assert g.shape == e.shape and torch.allclose(g, e, atol=1e-5)
