"""A model that runs on one sample only, as the DETR paper's demo (its Colab's ``DETRdemo``)
is written: its decoder's queries are ``self.query_pos.unsqueeze(1)``, ``[Q, 1, D]``, beside
the ``[H·W, B, D]`` tokens of a batch. The import runs a model on a batch; it said only that
the run failed inside torch's attention, "(are the input shapes and dtypes right?)", which
they were. It now says the model runs on one sample and not on a batch, and what to change.
Changed so, the demo stops at its row and column position tables, refused at their line
(``test_import_detr_decoder.py``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class DETRdemo(nn.Module):
    """The demo's model, small (its backbone a strided convolution)."""

    def __init__(self, num_classes=5, hidden_dim=16, nheads=2, num_encoder_layers=1,
                 num_decoder_layers=1, batched=False):
        super().__init__()
        self.batched = batched
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 4, stride=4), nn.ReLU())
        self.conv = nn.Conv2d(8, hidden_dim, 1)
        self.transformer = nn.Transformer(hidden_dim, nheads, num_encoder_layers,
                                          num_decoder_layers, dim_feedforward=32)
        self.linear_class = nn.Linear(hidden_dim, num_classes + 1)
        self.linear_bbox = nn.Linear(hidden_dim, 4)
        self.query_pos = nn.Parameter(torch.rand(10, hidden_dim))
        self.row_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))
        self.col_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))

    def forward(self, inputs):
        x = self.backbone(inputs)
        h = self.conv(x)
        H, W = h.shape[-2:]
        pos = torch.cat([
            self.col_embed[:W].unsqueeze(0).repeat(H, 1, 1),  # table
            self.row_embed[:H].unsqueeze(1).repeat(1, W, 1),
        ], dim=-1).flatten(0, 1).unsqueeze(1)
        queries = self.query_pos.unsqueeze(1)
        if self.batched:
            queries = queries.repeat(1, inputs.size(0), 1)
        h = self.transformer(pos + 0.1 * h.flatten(2).permute(2, 0, 1),
                             queries).transpose(0, 1)
        return {"pred_logits": self.linear_class(h),
                "pred_boxes": self.linear_bbox(h).sigmoid()}


def test_a_model_of_one_sample_is_told_so_with_what_to_change():
    model = DETRdemo().eval()
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32))  # the demo runs on one image
    with pytest.raises(GraphError) as caught:
        import_torch(model, (3, 32, 32))
    message = str(caught.value)
    assert message.startswith("running DETRdemo on the sample input failed at "
                              "transformer.decoder.layers.0.multihead_attn "
                              "(MultiheadAttention): shape "), message
    assert message.endswith(
        "; it runs on one sample but not on a batch of 3: a tensor in it is made for a batch "
        "of one (as DETR's demo gives its decoder self.query_pos.unsqueeze(1), [Q, 1, D], "
        "beside the batch's maps); a design trains on batches, so make the model take a batch "
        "of any size (there: self.query_pos.unsqueeze(1).repeat(1, x.size(0), 1))")
    assert "are the input shapes" not in message


def test_changed_so_it_stops_at_its_position_tables(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(DETRdemo(batched=True).eval(), (3, 32, 32))
    assert str(caught.value).startswith(f"{line_of('table')}: cannot import Tensor.repeat in "
                                        f"DETRdemo.forward: it repeats the learned table "
                                        f"'col_embed'")


def test_wrong_shapes_still_ask_whether_the_shapes_are_right():
    with pytest.raises(GraphError, match=r"\(are the input shapes and dtypes right\?\)$"):
        import_torch(nn.Sequential(nn.Linear(4, 2)).eval(), (5,))
