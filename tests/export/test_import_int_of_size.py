"""``int()`` of a size computed from a traced shape: a transformer's tokens put back into a
square map (``h = int(n ** 0.5)``, as DPT- and SegFormer-style heads write it) and the official
Swin's ``window_reverse`` (``B = int(windows.shape[0] / (H * W / window_size /
window_size))``). torch.fx cannot take ``int`` of a traced value, and the import stopped there,
calling it control flow that depends on the data ("such as `if x.sum() > 0`"). The trace now
takes the ``int`` when the graph runs, so the sizes are read as other sizes are."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.import_torch import import_torch


class TokensToMap(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, 4, 4)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Conv2d(dim, 2, 3, padding=1)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)  # B, N, C
        t = self.mix(t)
        b, n, c = t.shape
        h = int(n ** 0.5)
        return self.head(t.transpose(1, 2).reshape(b, c, h, h))


def test_tokens_put_back_into_a_square_map_import_with_the_models_outputs():
    torch.manual_seed(0)
    model = TokensToMap().eval()
    with warnings.catch_warnings():  # at 20x20 the square root is no whole number of rows
        warnings.simplefilter("ignore")
        graph, weights = import_torch(model, (3, 16, 16))
    assert [n.type for n in graph.nodes] == ["Input", "Conv2d", "Flatten", "Permute", "Linear",
                                             "Permute", "Unflatten", "Conv2d", "Output"]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
