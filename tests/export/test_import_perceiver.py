"""A Perceiver (lucidrains' perceiver-pytorch, with expand for einops' repeat): its latent
array, a learned ``[N, D]`` parameter expanded over the batch and used as the queries of a
cross-attention to the input, imports as a LearnedTokens block holding the parameter (fed the
input for its batch size only); the cross- and self-attention written by hand import as
MatMul, Softmax and the rest. The parameter count and the outputs are the model's, at another
input length too, and the design exports. Before, the import stopped at "it uses the parameter
'latents' directly". A class token joined in front of the tokens stays a ClassToken."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


class PreNorm(nn.Module):
    def __init__(self, dim, fn, context_dim=None):
        super().__init__()
        self.fn = fn
        self.norm = nn.LayerNorm(dim)
        self.norm_context = nn.LayerNorm(context_dim) if context_dim is not None else None

    def forward(self, x, context=None):
        x = self.norm(x)
        if self.norm_context is not None:
            return self.fn(x, context=self.norm_context(context))
        return self.fn(x)


class Attention(nn.Module):
    def __init__(self, query_dim, context_dim=None, heads=2, dim_head=8):
        super().__init__()
        inner_dim = dim_head * heads
        context_dim = context_dim if context_dim is not None else query_dim
        self.scale, self.heads = dim_head ** -0.5, heads
        self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_kv = nn.Linear(context_dim, inner_dim * 2, bias=False)
        self.to_out = nn.Linear(inner_dim, query_dim)

    def forward(self, x, context=None):
        h = self.heads
        q = self.to_q(x)
        context = context if context is not None else x
        k, v = self.to_kv(context).chunk(2, dim=-1)
        b, n, _ = q.shape
        q, k, v = map(lambda t: t.view(t.shape[0], t.shape[1], h, -1).transpose(1, 2),
                      (q, k, v))
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.to_out((attn @ v).transpose(1, 2).reshape(b, n, -1))


class Perceiver(nn.Module):
    def __init__(self, input_dim=6, num_latents=8, latent_dim=16, num_classes=3):
        super().__init__()
        torch.manual_seed(0)
        self.latents = nn.Parameter(torch.randn(num_latents, latent_dim))
        self.cross_attn = PreNorm(latent_dim, Attention(latent_dim, input_dim),
                                  context_dim=input_dim)
        self.self_attn = PreNorm(latent_dim, Attention(latent_dim))
        self.to_logits = nn.Sequential(nn.LayerNorm(latent_dim),
                                       nn.Linear(latent_dim, num_classes))

    def forward(self, data):
        b = data.shape[0]
        x = self.latents.unsqueeze(0).expand(b, -1, -1)
        x = self.cross_attn(x, context=data) + x
        x = self.self_attn(x) + x
        return self.to_logits(x.mean(dim=-2))


def test_the_latent_array_imports_as_learned_tokens(tmp_path):
    model = Perceiver().eval()
    graph, weights = import_torch(model, (20, 6))
    learned = [(n.id, n.params) for n in graph.nodes if n.type == "LearnedTokens"]
    assert learned == [("latents", {"num_tokens": 8, "dim": 16})]
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 2_047
    state = weights.apply(model.state_dict())
    assert torch.equal(state["latents.tokens"], model.latents.detach())
    assert check_import(model, graph, state, (20, 6), weights=weights) < 1e-5
    other = check_other_size(model, graph, state, [(20, 6)], ["float32"])
    assert other.shapes == [(25, 6)] and other.warning is None
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    data = torch.randn(4, 20, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(data), compiled(data)
    assert want.abs().max() > 0.1 and (got - want).abs().max() < 1e-5
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=data).max_abs_diff < 1e-5


def test_an_expand_to_a_number_is_not_taken_for_the_batch():
    """expand(3, -1, -1) equals the traced batch (3) by chance; a LearnedTokens block would
    follow the batch where the model keeps 3 copies: it stays the parameter, refused where
    it is used."""
    class Three(nn.Module):
        def __init__(self):
            super().__init__()
            self.latents = nn.Parameter(torch.randn(4, 6))

        def forward(self, data):
            return self.latents.unsqueeze(0).expand(3, -1, -1) + data[:, :4]

    with pytest.raises(GraphError, match="it adds the parameter 'latents'"):
        import_torch(Three().eval(), (5, 6))
