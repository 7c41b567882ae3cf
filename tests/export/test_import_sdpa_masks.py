"""``F.scaled_dot_product_attention(q, k, v, attn_mask=mask)`` written in PyTorch imports where
the mask is one a block takes, read from its values: a causal mask, bool (a sliced
``torch.tril`` buffer) or float (``-inf`` above the diagonal), is ``is_causal=True``; a mask
that keeps every step is none; a padding mask from token ids, bool (``(ids != 0)[:, None,
None, :]``) or float (Hugging Face's ``(1 - attention_mask) * min``, with the causal steps
too), is a PaddingMask block feeding the attention's key_padding_mask. The parameter count
and the outputs are the model's, and the design exports as code, TorchScript and ONNX that
match. Before, each stopped at "attn_mask: a mask tensor has no block". A mask no block takes
(a sliding window, ALiBi's bias) is refused naming the line, what the mask is and what to
write. (Grouped-query attention, enable_gqa=True, imports: test_import_grouped_query.py.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class Heads(nn.Module):
    def __init__(self, d=16, h=4):
        super().__init__()
        self.h = h
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.proj = nn.Linear(d, d)

    def split(self, t):
        b, n, d = t.shape
        return t.view(b, n, self.h, d // self.h).transpose(1, 2)

    def attend(self, x, mask):
        b, n, d = x.shape
        y = F.scaled_dot_product_attention(self.split(self.q(x)), self.split(self.k(x)),
                                           self.split(self.v(x)), attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(b, n, d))


class CausalBuffer(Heads):  # nanoGPT's bias buffer, given to sdpa as a bool mask
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(32, 32, dtype=torch.bool)))

    def forward(self, x):
        n = x.shape[1]
        return self.attend(x, self.mask[:n, :n])


class CausalFloat(Heads):
    def forward(self, x):
        n = x.size(1)
        return self.attend(x, torch.full((n, n), float("-inf"), device=x.device).triu(1))


class KeepAll(Heads):
    def forward(self, x):
        n = x.size(1)
        return self.attend(x, torch.ones(n, n, dtype=torch.bool, device=x.device))


class PaddedIds(Heads):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, ids):
        return self.head(self.attend(self.emb(ids), (ids != 0)[:, None, None, :])[:, 0])


class PaddedCausalFloat(Heads):  # a decoder given Hugging Face's attention_mask
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        lowest = torch.finfo(torch.float32).min
        pad = (1.0 - attention_mask[:, None, None, :].float()) * lowest
        causal = torch.ones(n, n, dtype=torch.bool, device=input_ids.device).tril()
        return self.attend(self.emb(input_ids), pad.masked_fill(~causal, lowest))


CASES = [(CausalBuffer, [(8, 16)], "float32", {"is_causal": True}, 0),
         (CausalFloat, [(8, 16)], "float32", {"is_causal": True}, 0),
         (KeepAll, [(8, 16)], "float32", {"is_causal": False}, 0),
         (PaddedIds, [(8,)], "int64", {"is_causal": False}, 1),
         (PaddedCausalFloat, [(8,), (8,)], "int64", {"is_causal": True}, 1)]


@pytest.mark.parametrize("cls, shapes, dtype, params, padding", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_sdpa_with_a_mask_a_block_takes_imports(cls, shapes, dtype, params, padding, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    graph, weights = import_torch(model, shapes, dtype)
    attention = next(n for n in graph.nodes if n.type == "ScaledDotProductAttention")
    assert {k: attention.params.get(k, False) for k in params} == params
    masks = [n for n in graph.nodes if n.type == "PaddingMask"]
    assert len(masks) == padding and all(m.params == {"pad_value": 0} for m in masks)
    feeding = [e for e in graph.edges if e.target == attention.id]
    assert len(feeding) == (4 if padding else 3)
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    generator = torch.Generator().manual_seed(1)
    if dtype == "int64":  # padded at the end of one sample, at the start of another
        ids = torch.randint(1, 50, (4, 8), generator=generator)
        ids[0, 5:] = 0
        ids[1, :2] = 0
        inputs = (ids, (ids != 0).long())[:len(shapes)]
        if cls is PaddedCausalFloat:  # a left-padded decoder's first rows see only padding
            ids[1, :2] = 7
            inputs = (ids, torch.ones_like(ids).index_fill(1, torch.tensor([6, 7]), 0))
    else:
        inputs = (torch.randn(4, *shapes[0], generator=generator),)
    with torch.no_grad():
        want, got = model(*inputs), compiled(*inputs)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    assert check_import(model, graph, state, shapes, dtype, weights=weights) < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=inputs if len(inputs) > 1 else inputs[0]
                            ).max_abs_diff < 1e-5


class Window(Heads):
    def forward(self, x):
        i = torch.arange(x.size(1))
        return self.attend(x, (i[:, None] - i[None, :]).abs() <= 1)


class Alibi(Heads):
    def forward(self, x):
        i = torch.arange(x.size(1), dtype=torch.float32)
        return self.attend(x, -(i[:, None] - i[None, :]).abs())


class WindowBuffer(Heads):
    def __init__(self):
        super().__init__()
        i = torch.arange(8)
        self.register_buffer("band", (i[:, None] - i[None, :]).abs() <= 1)

    def forward(self, x):
        return self.attend(x, self.band)


@pytest.mark.parametrize("cls, what", [
    (Window, r"cannot import .* in Window\.forward: it computes the attn_mask of an attention"
             r".*\(at test_import_sdpa_masks\.py:\d+\), which does not import: it keeps fixed "
             r"positions that are neither every one nor the causal ones"),
    (Alibi, r"Alibi\.forward: .*it adds values other than 0 and -inf .* a bias on them "
            r"\(ALiBi, relative positions\)"),
    (WindowBuffer, r"scaled_dot_product_attention in WindowBuffer.forward.*its attn_mask: it "
                   r"keeps fixed positions .*; fix: give such a mask, or none")])
def test_a_mask_no_block_takes_is_refused_saying_what_it_is(cls, what):
    with pytest.raises(GraphError, match=what):
        import_torch(cls(), (8, 16))
