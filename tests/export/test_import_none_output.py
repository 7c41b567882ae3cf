"""The GPT of Karpathy's "Let's build GPT" lecture (nanoGPT's ``gpt.py``): heads in a
ModuleList, each with its ``tril`` buffer sliced to the length and ``masked_fill`` with -inf,
and ``forward(idx, targets=None)`` returning ``logits, loss`` with ``loss = None`` when no
targets are given. The None is no output: the import leaves it out, says so in a note, and the
design returns the logits; each head's causal mask imports as ScaledDotProductAttention with
is_causal. The parameter count and the logits are the model's, at another length too, and the
design exports. Before, the import stopped at "returns None as output 1". A forward that
returns only None is still refused."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import ImportNote

block_size, n_embd, n_head, n_layer, vocab_size, dropout = 16, 16, 2, 2, 20, 0.2


class Head(nn.Module):
    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)
        return wei @ v


class MultiHeadAttention(nn.Module):
    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.sa = MultiHeadAttention(n_head, n_embd // n_head)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(),
                                  nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class GPTLanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)
        pos_emb = self.position_embedding_table(torch.arange(T, device=idx.device))
        x = self.ln_f(self.blocks(tok_emb + pos_emb))
        logits = self.lm_head(x)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss


def test_the_lectures_gpt_imports_without_its_none_loss(tmp_path):
    model = GPTLanguageModel().eval()
    with pytest.warns(ImportNote, match=r"GPTLanguageModel\.forward returns None as output 1 "
                                        r"\(as a loss where no targets are given\): the design "
                                        r"leaves it out and returns the other output"):
        graph, weights = import_torch(model, (10,), "int64")
    attention = [n.params for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert len(attention) == n_layer * n_head
    assert all(p["is_causal"] and p["dropout"] == dropout for p in attention)
    assert [n.type for n in graph.nodes].count("Output") == 1
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 7_412
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (10,), "int64", weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    for length in (10, 16, 5):
        idx = torch.randint(0, vocab_size, (3, length), generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            (want, loss), got = model(idx), compiled(idx)
        assert loss is None and (got - want).abs().max() < 1e-5
    idx = torch.randint(0, vocab_size, (3, 10), generator=torch.Generator().manual_seed(3))
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=idx).max_abs_diff < 1e-5


def test_a_forward_returning_only_none_is_refused():
    class Nothing(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            self.fc(x)
            return None

    with pytest.raises(GraphError, match="returns None as output 0"):
        import_torch(Nothing(), (4,))
