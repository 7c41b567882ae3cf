"""A recurrent block given a padding mask reads the padded batch whole where that gives the
numbers packing gives (one direction, any layers; one bidirectional layer), since packing
(``pack_padded_sequence``) is 2-5x slower on a CPU (``benchmarks/recurrent_packing_bench.py``).
Its outputs and gradients (to the weights and the input) are those of the packed path, padded
steps 0, at rows of every length, all padding included. Stacked bidirectional layers, TorchScript
and exports still pack."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph.modules import Recurrent

LENGTHS = (7, 3, 1, 0, 5)  # real steps per row, of 7; a row all of padding is read as one step
CASES = [(1, False), (2, False), (1, True)]  # (num_layers, bidirectional) read unpacked


def _batch():
    torch.manual_seed(1)
    x = torch.randn(len(LENGTHS), 7, 4)
    mask = (torch.arange(7).unsqueeze(0) >= torch.tensor(LENGTHS).unsqueeze(1)).long()
    return x, mask


def _run(module, x, mask, packed: bool):
    """Output and the gradients of a weighted sum of it, to the input and every weight."""
    x = x.clone().requires_grad_(True)
    if packed:
        steps = torch.arange(1, x.shape[1] + 1)
        lengths = ((mask == 0) * steps).amax(dim=1).clamp(min=1)
        seq = module._packed(x, lengths)
        out = seq if not module.last else _final(module, seq, lengths)
    else:
        out = module(x, mask)
    weights = torch.linspace(-1, 1, out.numel()).view(out.shape)
    (out * weights).sum().backward()
    grads = [x.grad] + [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    return out.detach(), grads


def _final(module, seq, lengths):
    hidden = module.rnn.hidden_size
    last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden)
    final = seq[:, :, :hidden].gather(1, last).squeeze(1)
    if module.directions == 2:
        final = torch.cat([final, seq[:, 0, hidden:]], dim=1)
    return final


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("output", ["last", "sequence"])
@pytest.mark.parametrize("layers, bidirectional", CASES)
def test_unpacked_outputs_and_gradients_are_the_packed_ones(kind, output, layers,
                                                            bidirectional):
    torch.manual_seed(0)
    module = Recurrent(kind, output, input_size=4, hidden_size=3, num_layers=layers,
                       bidirectional=bidirectional)
    x, mask = _batch()
    want, want_grads = _run(module, x, mask, packed=True)
    got, got_grads = _run(module, x, mask, packed=False)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    for g, w in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(g, w, atol=1e-6, rtol=1e-5)
    if output == "sequence":
        for row, n in enumerate(LENGTHS):
            assert not got[row, max(n, 1):].any()
    assert not got_grads[0][3, 1:].any()  # the row all of padding: only its first step is read


@pytest.mark.parametrize("layers, bidirectional", CASES)
def test_eager_runs_read_the_padded_batch_without_packing(layers, bidirectional, monkeypatch):
    module = Recurrent("LSTM", "last", input_size=4, hidden_size=3, num_layers=layers,
                       bidirectional=bidirectional)
    x, mask = _batch()

    def refuse(*args, **kwargs):
        raise AssertionError("packed")

    monkeypatch.setattr(nn.utils.rnn, "pack_padded_sequence", refuse)
    assert module(x, mask).shape == (len(LENGTHS), 3 * (2 if bidirectional else 1))


def test_stacked_bidirectional_layers_and_torchscript_still_pack():
    torch.manual_seed(0)
    x, mask = _batch()
    stacked = Recurrent("GRU", "sequence", input_size=4, hidden_size=3, num_layers=2,
                        bidirectional=True).eval()
    one = Recurrent("LSTM", "last", input_size=4, hidden_size=3, bidirectional=True).eval()
    with torch.no_grad():
        eager = one(x, mask)
        torch.testing.assert_close(torch.jit.script(one)(x, mask), eager, atol=1e-6, rtol=0)
        assert "_unpacked" not in torch.jit.script(one)._masked.code
        calls = []
        real = nn.utils.rnn.pack_padded_sequence

        def spy(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        nn.utils.rnn.pack_padded_sequence = spy
        try:
            stacked(x, mask)
        finally:
            nn.utils.rnn.pack_padded_sequence = real
        assert calls == [1]
