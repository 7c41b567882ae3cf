"""The original DETR (facebookresearch/detr) makes its positions in forward with
``PositionEmbeddingSine``: a mask's cumulative sums divided by frequencies from a
``torch.arange`` of a fixed length, then sin and cos. No block computes them, and the import is
refused at the frequencies' line saying what they are and what imports: the encoding made once
in ``__init__`` as a buffer and added to the batch-first tokens, which imports (frozen).

Before, the refusal said only "cannot import operator.floordiv in position
(PositionEmbeddingSine): no LayerLoom block does this". (Past the positions, DETR's sequence-
first transformer, ``batch_first=False``, imports: ``test_import_detr_transformer.py``.)"""

from __future__ import annotations

import math

import torch
from torch import nn

from layerloom.graph import GraphError, summarize
from layerloom.graph.import_torch import check_import, import_torch


class PositionEmbeddingSine(nn.Module):
    """As DETR's models/position_encoding.py writes it."""

    def __init__(self, num_pos_feats=8, temperature=10000, normalize=True):
        super().__init__()
        self.num_pos_feats, self.temperature = num_pos_feats, temperature
        self.normalize, self.scale = normalize, 2 * math.pi

    def forward(self, x, mask):
        not_mask = ~mask
        y_embed = not_mask.cumsum(1, dtype=torch.float32)
        x_embed = not_mask.cumsum(2, dtype=torch.float32)
        if self.normalize:
            eps = 1e-6
            y_embed = y_embed / (y_embed[:, -1:, :] + eps) * self.scale
            x_embed = x_embed / (x_embed[:, :, -1:] + eps) * self.scale
        dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
        dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)  # frequencies
        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()),
                            dim=4).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()),
                            dim=4).flatten(3)
        return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


class Backbone(nn.Module):
    def __init__(self, hidden_dim=16, buffered=False):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 4, stride=4), nn.ReLU())
        self.input_proj = nn.Conv2d(8, hidden_dim, kernel_size=1)
        self.position = PositionEmbeddingSine(hidden_dim // 2)
        self.buffered = buffered
        if buffered:  # the fix: the encoding of the 8x8 map, made once
            mask = torch.zeros(1, 8, 8, dtype=torch.bool)
            pos = self.position(torch.zeros(1, 8, 8, 8), mask)
            self.register_buffer("pos", pos.flatten(2).transpose(1, 2))  # [1, H·W, D]
        self.head = nn.Linear(hidden_dim, 4)

    def forward(self, images):
        src = self.body(images)
        tokens = self.input_proj(src).flatten(2).transpose(1, 2)  # [B, H·W, D]
        if self.buffered:
            return self.head(tokens + self.pos)
        mask = torch.zeros(src.shape[0], src.shape[2], src.shape[3], dtype=torch.bool,
                           device=src.device)
        pos = self.position(src, mask).flatten(2).transpose(1, 2)
        return self.head(tokens + pos)


def test_detrs_sine_positions_are_refused_at_their_frequencies_saying_what_imports():
    lines = open(__file__, encoding="utf-8").read().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.endswith("# frequencies"))
    try:
        import_torch(Backbone().eval(), (3, 32, 32))
    except GraphError as exc:
        message = str(exc)
    else:
        raise AssertionError("the positions imported")
    assert message.startswith(
        f"test_import_detr_original.py:{line}: cannot import operator.floordiv in "
        f"position (PositionEmbeddingSine): its input is a torch.arange of a fixed length "
        f"made in forward: the indices of a fixed encoding's features (the frequencies of "
        f"DETR's PositionEmbeddingSine, of a sinusoidal encoding), which no block computes; "
        f"fix: make the encoding once in __init__, as a buffer of every position"), message


def test_the_encoding_made_once_as_a_buffer_imports_as_the_refusal_says():
    torch.manual_seed(0)
    model = Backbone(buffered=True).eval()
    graph, weights = import_torch(model, (3, 32, 32))
    summary = summarize(graph)
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 32, 32), weights=weights) < 1e-5
