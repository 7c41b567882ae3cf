"""LLaMA 3's attention, as Mistral's too, with PyTorch's own grouped-query attention:
``F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)``, key and value with
fewer heads than the query (``padded``: given a padding mask of the ids instead), over token
ids, its last position (or its first, padded) read by a Linear of 3 outputs. The import tests
take it through import-torch and through ONNX."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn


class GroupedQueryAttention(nn.Module):
    def __init__(self, vocab=50, dim=16, n_heads=4, n_kv_heads=2, padded=False):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.n_heads, self.n_kv_heads, self.head_dim = n_heads, n_kv_heads, dim // n_heads
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)
        self.output = nn.Linear(dim, 3)
        self.padded = padded

    def forward(self, tokens):
        x = self.tok_embeddings(tokens)
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim).transpose(1, 2)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim).transpose(1, 2)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim).transpose(1, 2)
        if self.padded:
            mask = (tokens != 0)[:, None, None, :]
            out = F.scaled_dot_product_attention(xq, xk, xv, attn_mask=mask, enable_gqa=True)
        else:
            out = F.scaled_dot_product_attention(xq, xk, xv, is_causal=True, enable_gqa=True)
        out = self.wo(out.transpose(1, 2).contiguous().view(bsz, seqlen, -1))
        return self.output(out[:, 0] if self.padded else out[:, -1])
