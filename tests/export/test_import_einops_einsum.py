"""mamba-minimal's selective scan, as its MambaBlock writes it, with einops' ``einsum``::

    from einops import einsum
    deltaA = torch.exp(einsum(delta, A, 'b l d_in, d_in n -> b l d_in n'))

einops does not know a traced tensor, so tracing stops inside einops. The refusal named
einops' own file ("at _backends.py line 62 `raise RuntimeError(...)`") and said the control
flow depended on the data; it now names the line of the model that calls einsum and says to
write torch.einsum there (einops' rearrange, reduce and repeat import)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch

einops = pytest.importorskip("einops")
from einops import einsum  # noqa: E402


class Scan(nn.Module):
    def __init__(self, d_inner=8, n=4):
        super().__init__()
        self.A_log = nn.Parameter(torch.randn(d_inner, n))
        self.dt = nn.Linear(d_inner, d_inner)

    def forward(self, u):  # (b, l, d_in)
        A = -torch.exp(self.A_log.float())
        delta = self.dt(u)
        deltaA = torch.exp(einsum(delta, A, "b l d_in, d_in n -> b l d_in n"))  # einsum
        return deltaA.sum(-1)


def test_einops_einsum_is_refused_at_the_models_line_saying_to_use_torch_einsum(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Scan().eval(), (10, 8))
    file, line = line_of("einsum").split(":")
    assert str(caught.value).startswith(
        "torch.fx cannot trace Scan: it calls an einops function that tracing cannot follow "
        "(such as einops.einsum); einops' rearrange, reduce and repeat import, and so does "
        "torch.einsum: write torch.einsum('b l d, d n -> b l d n' as 'bld,dn->bldn', ...) in "
        f"its place (at {file} line {line} `deltaA = torch.exp(einsum("), str(caught.value)
