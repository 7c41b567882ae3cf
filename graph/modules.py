"""The few ``torch.nn`` modules LayerLoom blocks need that ``torch.nn`` lacks in this form.

Each one traces with ``torch.fx`` (but a Recurrent given a padding mask, which packs its
sequences by their lengths as numbers: fx keeps it whole as a leaf, as it keeps ``nn.LSTM``),
scripts with ``torch.jit.script`` and exports to ONNX. Their
``extra_repr`` shows their settings, so a printed model reads like the graph.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Add(nn.Module):
    """Sum of two or more tensors, broadcasting as PyTorch does."""

    def forward(self, xs: list[Tensor]) -> Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Product of two tensors, broadcasting (a ``[C, 1, 1]`` gate scales a ``[C, H, W]`` map)."""

    def forward(self, xs: list[Tensor]) -> Tensor:
        return xs[0] * xs[1]


class Subtract(nn.Module):
    """``left - right``, broadcasting (``x - x.mean(1, keepdim=True)`` centres each sample)."""

    def forward(self, left: Tensor, right: Tensor) -> Tensor:
        return left - right


class Divide(nn.Module):
    """``left / right``, broadcasting (a map divided by its norm over the channels)."""

    def forward(self, left: Tensor, right: Tensor) -> Tensor:
        return left / right


class MatMul(nn.Module):
    """``torch.matmul(left, right)``: the matrix product, batched over the leading
    dimensions (attention's ``q @ k.transpose(-2, -1)`` and ``weights @ v``)."""

    def forward(self, left: Tensor, right: Tensor) -> Tensor:
        return torch.matmul(left, right)


class Concat(nn.Module):
    """Concatenation along ``dim``, counted with the batch (the block's ``dim`` + 1)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, xs: list[Tensor]) -> Tensor:
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Reshape(nn.Module):
    """Reshape every sample to ``shape`` (batch kept in front)."""

    def __init__(self, shape: list[int]):
        super().__init__()
        self.shape = list(shape)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape([x.shape[0]] + self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Permute(nn.Module):
    """Permute the dimensions of every sample (``dims`` with the batch, first entry 0)."""

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


class ResizeTo(nn.Module):
    """``F.interpolate(x, size=like.shape[2:])``: ``x`` resized to the spatial size of
    ``like``, whatever it is (DeepLab's ASPP pooling, its output at the image's size)."""

    def __init__(self, mode: str = "nearest", align_corners: bool | None = None):
        super().__init__()
        self.mode = mode
        self.align_corners = align_corners

    def forward(self, input: Tensor, like: Tensor) -> Tensor:
        return nn.functional.interpolate(input, size=like.shape[2:], mode=self.mode,
                                         align_corners=self.align_corners)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, align_corners={self.align_corners}"


class StochasticDepth(nn.Module):
    """Drops whole samples of a residual branch while training (torchvision's mode ``row``)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        shape = [x.shape[0]] + [1] * (x.dim() - 1)
        noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise = noise.div_(survival)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, mode=row"


class PositionalEmbedding(nn.Module):
    """A learned ``[max_len, D]`` table whose first L rows are added to a ``[L, D]`` input."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_len, dim))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.weight[: x.shape[1]]

    def extra_repr(self) -> str:
        return f"max_len={self.weight.shape[0]}, dim={self.weight.shape[1]}"


class SinusoidalPositionalEncoding(nn.Module):
    """The fixed sine and cosine table of "Attention Is All You Need" (as the PyTorch tutorial's
    ``PositionalEncoding`` makes it), whose first L rows are added to a ``[L, D]`` input: even
    columns ``sin(pos / 10000^(i/D))``, odd columns the cosine. Nothing is learned; the table
    is made from ``max_len`` and ``D``, so it is not in the ``state_dict``."""

    LOG_BASE = 9.210340371976184  # math.log(10000.0)

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.register_buffer("table", self.sinusoid(max_len, dim), persistent=False)

    @staticmethod
    def sinusoid(max_len: int, dim: int) -> Tensor:
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, dim, 2) * (-SinusoidalPositionalEncoding.LOG_BASE / dim))
        table = torch.zeros(max_len, dim)
        table[:, 0::2] = torch.sin(position * div_term)
        table[:, 1::2] = torch.cos(position * div_term[: dim // 2])
        return table

    def forward(self, x: Tensor) -> Tensor:
        return x + self.table[: x.shape[1]]

    def extra_repr(self) -> str:
        return f"max_len={self.table.shape[0]}, dim={self.table.shape[1]}"


class TokenTypeEmbedding(nn.Module):
    """A learned ``[num_types, D]`` table whose row ``type_id`` is added to every step of a
    ``[L, D]`` input: ``nn.Embedding`` looked up with ids that are all ``type_id``."""

    def __init__(self, num_types: int, dim: int, type_id: int = 0):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(num_types, dim))
        nn.init.normal_(self.weight, std=0.02)
        self.type_id = type_id

    def forward(self, x: Tensor) -> Tensor:
        return x + self.weight[self.type_id]

    def extra_repr(self) -> str:
        return f"num_types={self.weight.shape[0]}, dim={self.weight.shape[1]}, " \
               f"type_id={self.type_id}"


class SequencePool(nn.Module):
    """``[L, D]`` to ``[D]`` by mean, max, first or last step."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "mean":
            return x.mean(dim=1)
        if self.mode == "max":
            return x.amax(dim=1)
        if self.mode == "first":
            return x[:, 0]
        return x[:, -1]

    def extra_repr(self) -> str:
        return f"mode={self.mode}"


class Reduce(nn.Module):
    """The mean, sum, maximum or minimum over ``dims`` (counted with the batch), keeping them
    with size 1 or not. The maximum is ``amax`` (not ``max(dim)``, whose indices no block
    uses), so it scripts and exports to ONNX as ReduceMax."""

    def __init__(self, op: str, dims: list[int], keepdim: bool = False):
        super().__init__()
        self.op = op
        self.dims = list(dims)
        self.keepdim = keepdim

    def forward(self, x: Tensor) -> Tensor:
        if self.op == "mean":
            return x.mean(dim=self.dims, keepdim=self.keepdim)
        if self.op == "sum":
            return x.sum(dim=self.dims, keepdim=self.keepdim)
        if self.op == "max":
            return x.amax(dim=self.dims, keepdim=self.keepdim)
        return x.amin(dim=self.dims, keepdim=self.keepdim)

    def extra_repr(self) -> str:
        return f"op={self.op}, dims={self.dims}, keepdim={self.keepdim}"


class Recurrent(nn.Module):
    """``nn.LSTM``/``GRU``/``RNN`` (batch first) returning every step or the final hidden state.

    Given a padding mask (``(B, L)``, nonzero at padding, as a PaddingMask block gives it; the
    padding after the words), each sample is read to its own length, as a packed sequence is:
    the final state is its last word's, read both ways, and its steps past the words are 0, so a
    text gives the same output however much padding follows it.
    """

    # constants let TorchScript compile only the branch this instance takes (an LSTM's state
    # is a pair, a GRU's one tensor)
    __constants__ = ["is_lstm", "last", "directions"]

    def __init__(self, kind: str, output: str, **kwargs):
        super().__init__()
        cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
        self.rnn = cls(batch_first=True, **kwargs)
        self.kind = kind
        self.is_lstm = kind == "LSTM"
        self.last = output == "last"
        self.directions = 2 if kwargs.get("bidirectional", False) else 1

    def forward(self, x: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        if padding_mask is not None:
            return self._masked(x, padding_mask)
        if self.is_lstm:
            out, (h, _) = self.rnn(x)
        else:
            out, h = self.rnn(x)
        if not self.last:
            return out
        return self._joined(h, x.shape[0])

    def _masked(self, x: Tensor, padding_mask: Tensor) -> Tensor:
        # each sample to its last word (a 0 among its words is read); a sample all of padding
        # is read as one step, as packing takes no empty sequence
        steps = torch.arange(1, x.shape[1] + 1, device=x.device)
        lengths = ((padding_mask == 0) * steps).amax(dim=1).clamp(min=1)
        # Packing is 2-5x slower on a CPU than the same layer over the padded batch, so eager
        # runs read the padded batch where that gives the packed numbers: one direction (each
        # step depends only on the steps before it), or one bidirectional layer. Exports and
        # TorchScript keep the packed form (ONNX's recurrent ops given sequence_lens).
        if torch.jit.is_scripting() or torch.jit.is_tracing() or (
                torch.compiler.is_compiling()) or (
                self.directions == 2 and self.rnn.num_layers > 1):
            seq = self._packed(x, lengths)
        else:
            seq = self._unpacked(x, lengths)
        if not self.last:
            return seq  # (B, L, H * dirs), 0 past each sample's length
        # the final state read off the steps rather than the state the layer returns (the same
        # numbers): the ONNX exporter fails on a packed one-layer LSTM whose steps go unused.
        # Forwards it is the last word's step, backwards the first step's.
        hidden = self.rnn.hidden_size
        last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden)
        final = seq[:, :, :hidden].gather(1, last).squeeze(1)
        if self.directions == 2:
            final = torch.cat([final, seq[:, 0, hidden:]], dim=1)
        return final  # (B, H * dirs)

    def _packed(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.rnn(packed)
        seq, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return seq

    def _unpacked(self, x: Tensor, lengths: Tensor) -> Tensor:
        # the packed path's steps from the padded batch: the forward direction's steps up to
        # each sample's length never read its padding. The backward direction starts at the
        # last word where each sample is shifted to end at the last step, so the shifted
        # batch goes through the layer beside the first in one call, each giving one direction.
        batch, length = x.shape[0], x.shape[1]
        steps = torch.arange(length, device=x.device).unsqueeze(0)  # (1, L)
        if self.directions == 1:
            seq = self.rnn(x)[0]  # (B, L, H)
        else:
            shift = (length - lengths).unsqueeze(1)  # (B, 1) padded steps, put first
            to_end = (steps - shift).clamp(min=0).unsqueeze(2)
            ended = x.gather(1, to_end.expand(-1, -1, x.shape[2]))
            both = self.rnn(torch.cat([x, ended]))[0]  # (2B, L, 2H)
            hidden = self.rnn.hidden_size
            back = (steps + shift).clamp(max=length - 1).unsqueeze(2)
            backward = both[batch:, :, hidden:].gather(1, back.expand(-1, -1, hidden))
            seq = torch.cat([both[:batch, :, :hidden], backward], dim=2)  # (B, L, 2H)
        padded = (steps >= lengths.unsqueeze(1)).unsqueeze(2)
        return seq.masked_fill(padded, 0.0)

    def _joined(self, h: Tensor, batch: int) -> Tensor:
        # h: [layers * directions, B, H]; the last layer's directions, joined: [B, H * dirs]
        final = h[h.shape[0] - self.directions:]
        return final.transpose(0, 1).reshape(batch, -1)

    def extra_repr(self) -> str:
        return f"output={'last' if self.last else 'sequence'}"


class Attention(nn.Module):
    """``nn.MultiheadAttention`` (batch first) returning the attended sequence only.

    With only ``query`` it is self-attention; a missing ``value`` is the ``key``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float, bias: bool,
                 kdim: int, vdim: int, is_causal: bool = False):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, bias=bias,
                                          kdim=kdim, vdim=vdim, batch_first=True)
        self.is_causal = is_causal

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                key_padding_mask: Tensor | None = None) -> Tensor:
        k = query if key is None else key
        v = k if value is None else value
        mask: Tensor | None = None
        if key_padding_mask is not None:  # (B, Lk), nonzero at padding
            # float32's lowest value, not -inf, at padding: a sample all of padding then gets
            # an even average rather than NaN, as Hugging Face's models give
            mask = torch.zeros(key_padding_mask.shape, dtype=query.dtype,
                               device=query.device).masked_fill(key_padding_mask != 0,
                                                                -3.4028234663852886e38)
        causal: Tensor | None = None
        if self.is_causal:  # -inf above the diagonal: a query step sees no later key step
            length = query.shape[-2]
            causal = torch.full((length, length), float("-inf"), dtype=query.dtype,
                                device=query.device).triu(1)
        out, _ = self.attn(query, k, v, key_padding_mask=mask, attn_mask=causal,
                           need_weights=False)
        return out


class MaskedEncoderLayer(nn.TransformerEncoderLayer):
    """``nn.TransformerEncoderLayer`` (batch first) with masks: ``is_causal``, each step
    attends to itself and the steps before it (the mask of torch's
    ``generate_square_subsequent_mask``); a key padding mask as its second input, a ``(B, L)``
    tensor nonzero at padding, as a PaddingMask block gives it."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = True, norm_first: bool = False, is_causal: bool = False):
        super().__init__(d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                         activation=activation, layer_norm_eps=layer_norm_eps,
                         batch_first=batch_first, norm_first=norm_first)
        self.is_causal = is_causal

    def forward(self, src: Tensor, src_key_padding_mask: Tensor | None = None) -> Tensor:
        causal: Tensor | None = None
        if self.is_causal:  # -inf above the diagonal: a step's later steps get no attention
            length = src.shape[-2]
            causal = torch.full((length, length), float("-inf"), dtype=src.dtype,
                                device=src.device).triu(1)
        padding: Tensor | None = None
        if src_key_padding_mask is not None:
            # float32's lowest value at padding, not -inf: a sample all of padding gets an
            # even average rather than NaN
            padding = torch.zeros(src_key_padding_mask.shape, dtype=src.dtype,
                                  device=src.device).masked_fill(src_key_padding_mask != 0,
                                                                 -3.4028234663852886e38)
        # the layer's own steps (torch's forward without its fast path, whose checks branch
        # on the tensors, so that torch.fx could not trace a model holding this layer)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), causal, padding)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, causal, padding))
        return self.norm2(x + self._ff_block(x))


class PaddingMask(nn.Module):
    """1 where the input (token ids, or an attention_mask) equals ``pad_value``, else 0."""

    def __init__(self, pad_value: int = 0):
        super().__init__()
        self.pad_value = pad_value

    def forward(self, x: Tensor) -> Tensor:
        return (x == self.pad_value).long()

    def extra_repr(self) -> str:
        return f"pad_value={self.pad_value}"


class ScaledDotProductAttention(nn.Module):
    """``F.scaled_dot_product_attention`` on its inputs (no projections, no weights): with only
    ``query`` it is self-attention; a missing ``value`` is the ``key``. Dropout on the weights
    only while training, as a model passing ``dropout_p=self.dropout if self.training else 0``
    does."""

    def __init__(self, dropout: float = 0.0, is_causal: bool = False,
                 scale: float | None = None, enable_gqa: bool = False):
        super().__init__()
        self.dropout = dropout
        self.is_causal = is_causal
        self.scale = scale
        self.enable_gqa = enable_gqa

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                key_padding_mask: Tensor | None = None) -> Tensor:
        k = query if key is None else key
        v = k if value is None else value
        if self.enable_gqa and k.shape[-3] != query.shape[-3]:
            # each key and value head shared by a group of query heads, as torch's
            # enable_gqa=True repeats them (written out: every exporter takes it)
            k = k.repeat_interleave(query.shape[-3] // k.shape[-3], dim=-3)
            v = v.repeat_interleave(query.shape[-3] // v.shape[-3], dim=-3)
        p = self.dropout if self.training else 0.0
        if key_padding_mask is None:
            return nn.functional.scaled_dot_product_attention(query, k, v, dropout_p=p,
                                                              is_causal=self.is_causal,
                                                              scale=self.scale)
        # (B, Lk), nonzero at padding → (B, 1, …, 1, Lk) added to every query step's (and
        # head's) scores: float32's lowest value at padding, not -inf, so that a sample all of
        # padding gets an even average rather than NaN, as Hugging Face's models give
        lowest = -3.4028234663852886e38
        mask = torch.zeros(key_padding_mask.shape, dtype=query.dtype,
                           device=query.device).masked_fill(key_padding_mask != 0, lowest)
        mask = mask.reshape([mask.shape[0]] + [1] * (query.dim() - 2) + [mask.shape[-1]])
        if self.is_causal:  # torch takes is_causal or a mask, not both
            later = torch.ones(query.shape[-2], k.shape[-2], dtype=torch.bool,
                               device=query.device).triu(1)
            mask = mask.masked_fill(later, lowest)
        return nn.functional.scaled_dot_product_attention(query, k, v, attn_mask=mask,
                                                          dropout_p=p, scale=self.scale)

    def extra_repr(self) -> str:
        return (f"dropout={self.dropout}, is_causal={self.is_causal}, scale={self.scale}, "
                f"enable_gqa={self.enable_gqa}")


class WeightNorm(nn.Module):
    """``layer`` with its weight learned as ``g · v / ‖v‖`` (g per slice along dim 0), as
    ``torch.nn.utils.parametrizations.weight_norm(layer)`` makes it: TCN's and WaveNet's
    convolutions. Its weights are ``layer.parametrizations.weight.original0`` (g) and
    ``original1`` (v), and the layer's bias."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = nn.utils.parametrizations.weight_norm(layer)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x)


class SpectralNorm(nn.Module):
    """``layer`` with its weight divided by its largest singular value σ, as
    ``torch.nn.utils.parametrizations.spectral_norm(layer)`` makes it (SNGAN's and BigGAN's
    discriminators): σ estimated by one step of power iteration at each call while training,
    from the vectors ``u`` and ``v`` it keeps. Its weights are
    ``layer.parametrizations.weight.original`` and the layer's bias; ``u`` and ``v`` are the
    buffers ``layer.parametrizations.weight.0._u`` and ``._v``."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x)


class Scale(nn.Module):
    """Multiplies by a learned vector along one dimension (layer scale, ConvNeXt/CaiT).

    ``dim`` counts the batch; the ``[C]`` weight is viewed as ``[C, 1, 1]`` (or as needed) to
    broadcast along it.
    """

    def __init__(self, num_features: int, dim: int, rank: int, init: float = 1.0,
                 bias: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.full((num_features,), float(init)))
        # with a bias, x * weight + bias: ResMLP's Affine (torch.addcmul(beta, alpha, x))
        self.bias = nn.Parameter(torch.zeros(num_features)) if bias else None
        view = [1] * rank
        view[dim] = num_features
        self.view = view

    def forward(self, x: Tensor) -> Tensor:
        if self.bias is None:
            return x * self.weight.view(self.view)
        return x * self.weight.view(self.view) + self.bias.view(self.view)

    def extra_repr(self) -> str:
        return (f"num_features={self.weight.shape[0]}, view={self.view}, "
                f"bias={self.bias is not None}")


class ClassToken(nn.Module):
    """Learned tokens put in front of a ``[L, D]`` sequence (ViT's class token), or after it
    (``at="end"``: FT-Transformer's [CLS]): ``[L + n, D]``."""

    def __init__(self, num_tokens: int, dim: int, at: str = "start"):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(num_tokens, dim))
        nn.init.normal_(self.token, std=0.02)
        self.after = at == "end"

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.token.unsqueeze(0).expand(x.shape[0], -1, -1)
        if self.after:
            return torch.cat([x, tokens], dim=1)
        return torch.cat([tokens, x], dim=1)

    def extra_repr(self) -> str:
        return f"num_tokens={self.token.shape[0]}, dim={self.token.shape[1]}"


class FeatureTokenizer(nn.Module):
    """Each of ``n_features`` numbers as a learned ``[d_token]`` token, ``x_f * W_f + b_f``
    (FT-Transformer's numerical feature tokenizer): ``[F]`` → ``[F, d_token]``."""

    def __init__(self, n_features: int, d_token: int, bias: bool = True):
        super().__init__()
        bound = d_token ** -0.5  # the paper's uniform initialisation
        self.weight = nn.Parameter(torch.empty(n_features, d_token).uniform_(-bound, bound))
        if bias:
            self.bias = nn.Parameter(torch.empty(n_features, d_token).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        tokens = x.unsqueeze(-1) * self.weight  # (B, F, 1) * (F, D) -> (B, F, D)
        if self.bias is not None:
            tokens = tokens + self.bias
        return tokens

    def extra_repr(self) -> str:
        return (f"n_features={self.weight.shape[0]}, d_token={self.weight.shape[1]}, "
                f"bias={self.bias is not None}")


class RelativePositionBias(nn.Module):
    """T5's relative position bias: a learned value per head for each bucket of the distance
    from a query to a key, added to attention scores ``(B, heads, Lq, Lk)``. Distances are
    exact up to half the buckets (per direction where ``bidirectional``), then logarithmic up
    to ``max_distance``; it runs at any length."""

    def __init__(self, num_heads: int, num_buckets: int = 32, max_distance: int = 128,
                 bidirectional: bool = True):
        super().__init__()
        import math

        self.relative_attention_bias = nn.Embedding(num_buckets, num_heads)
        self.bidirectional = bidirectional
        self.num_buckets = num_buckets // 2 if bidirectional else num_buckets  # per direction
        self.max_exact = self.num_buckets // 2
        self.log_ratio = math.log(max_distance / self.max_exact)

    def buckets(self, relative: Tensor) -> Tensor:
        """The bucket of each distance ``key - query``, as T5 computes it."""
        buckets = torch.zeros_like(relative)
        if self.bidirectional:
            buckets = buckets + (relative > 0).to(torch.long) * self.num_buckets
            relative = torch.abs(relative)
        else:
            relative = -torch.min(relative, torch.zeros_like(relative))
        large = self.max_exact + (torch.log(relative.float() / self.max_exact) / self.log_ratio
                                  * (self.num_buckets - self.max_exact)).to(torch.long)
        large = torch.min(large, torch.full_like(large, self.num_buckets - 1))
        return buckets + torch.where(relative < self.max_exact, relative, large)

    def forward(self, scores: Tensor) -> Tensor:
        query = torch.arange(scores.shape[-2], device=scores.device)[:, None]
        key = torch.arange(scores.shape[-1], device=scores.device)[None, :]
        bias = self.relative_attention_bias(self.buckets(key - query))  # (Lq, Lk, heads)
        return scores + bias.permute(2, 0, 1).unsqueeze(0)

    def extra_repr(self) -> str:
        return (f"num_heads={self.relative_attention_bias.embedding_dim}, "
                f"num_buckets={self.relative_attention_bias.num_embeddings}, "
                f"bidirectional={self.bidirectional}")


class LearnedTokens(nn.Module):
    """A learned ``[num_tokens, dim]`` array for every sample of the batch (Perceiver's
    latents); the input gives only the batch size."""

    def __init__(self, num_tokens: int, dim: int):
        super().__init__()
        self.tokens = nn.Parameter(torch.zeros(num_tokens, dim))
        nn.init.normal_(self.tokens, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return self.tokens.unsqueeze(0).expand(x.shape[0], -1, -1)

    def extra_repr(self) -> str:
        return f"num_tokens={self.tokens.shape[0]}, dim={self.tokens.shape[1]}"


class LayerNorm2d(nn.LayerNorm):
    """Layer normalisation over the channels of a ``[C, H, W]`` map, at every position."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the last dimension (T5, LLaMA, ``nn.RMSNorm``):
    ``x * rsqrt(mean(x²) + eps)``, times a learned scale per feature; written out, so that every
    export format has it."""

    def __init__(self, normalized_shape: int, eps: float = 1e-6,
                 elementwise_affine: bool = True):
        super().__init__()
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape))
        else:
            self.register_parameter("weight", None)

    def forward(self, x: Tensor) -> Tensor:
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        if self.weight is not None:
            x = x * self.weight
        return x

    def extra_repr(self) -> str:
        return f"eps={self.eps}, elementwise_affine={self.weight is not None}"


class Slice(nn.Module):
    """Elements ``start:end:step`` of one dimension (``dim`` counts the batch): a channel split,
    TCN's ``x[:, :, :-k]``, or YOLOv5's ``x[..., ::2, ::2]`` one dimension at a time. A negative
    ``start`` or ``end`` counts from the end and ``end=None`` runs to it, at the size the input
    has when it runs, not the size it was designed at."""

    def __init__(self, dim: int, start: int, end: int | None = None, step: int = 1):
        super().__init__()
        self.dim = dim
        self.start = start
        self.end = end
        self.step = step

    def forward(self, x: Tensor) -> Tensor:
        # x[..., start:end:step] along ``dim``, bounds as Python reads them; it scripts, traces
        # and exports to ONNX as a Slice whose negative end stays negative (narrow would need
        # the length computed from the size, and cannot take an end past it or a step)
        return torch.ops.aten.slice(x, self.dim, self.start, self.end, self.step)

    def extra_repr(self) -> str:
        step = f", step={self.step}" if self.step != 1 else ""
        return f"dim={self.dim}, start={self.start}, end={self.end}{step}"


class Chunk(nn.Module):
    """``torch.chunk``: ``chunks`` pieces of one dimension (``dim`` counts the batch), as a
    tuple; the last may be smaller, and there may be fewer than asked, as torch gives them."""

    def __init__(self, chunks: int, dim: int):
        super().__init__()
        self.chunks = chunks
        self.dim = dim

    def forward(self, x: Tensor) -> list[Tensor]:
        return torch.chunk(x, self.chunks, self.dim)

    def extra_repr(self) -> str:
        return f"chunks={self.chunks}, dim={self.dim}"


class Split(nn.Module):
    """``torch.split`` into sections of the given sizes along one dimension (``dim`` counts the
    batch), as a tuple."""

    def __init__(self, sizes: list[int], dim: int):
        super().__init__()
        self.sizes = list(sizes)
        self.dim = dim

    def forward(self, x: Tensor) -> list[Tensor]:
        return torch.split(x, self.sizes, self.dim)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, dim={self.dim}"


class ChannelShuffle(nn.Module):
    """``nn.ChannelShuffle``: the channels of a ``[B, C, ...]`` tensor shuffled among ``groups``
    (viewed as ``[groups, C / groups]``, transposed, flattened back). Written with reshape and
    transpose on the tensor's own sizes, so that it exports to ONNX (which has no channel
    shuffle) and the exported file runs at any spatial size."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        grouped = x.reshape([shape[0], self.groups, shape[1] // self.groups] + list(shape[2:]))
        return grouped.transpose(1, 2).reshape(shape)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class Sin(nn.Module):
    """``torch.sin`` elementwise (torch.nn has no layer for it): Fourier features, NeRF's
    positional encoding, a diffusion model's time embedding."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.sin(x)


class Cos(nn.Module):
    """``torch.cos`` elementwise, :class:`Sin`'s partner."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.cos(x)


class RotaryEmbedding(nn.Module):
    """Rotary position embedding (RoPE, as GPT-NeoX and LLaMA in transformers write it): the
    features of each step ``t`` of ``[..., L, D]`` (queries or keys, heads before the steps),
    paired ``i`` with ``i + D/2``, rotated by the angle ``t · base^(−2i/D)``. No weights; the
    angles follow the length, so it takes any.

    >>> RotaryEmbedding(4)(torch.ones(1, 3, 4))[0, 0].tolist()   # step 0 is not rotated
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, dim: int, base: float = 10000.0):
        super().__init__()
        self.base = base
        self.register_buffer("inv_freq", 1.0 / base ** (torch.arange(0, dim, 2).float() / dim),
                             persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        steps = torch.arange(x.shape[-2], device=x.device, dtype=self.inv_freq.dtype)
        angles = torch.outer(steps, self.inv_freq)
        angles = torch.cat((angles, angles), dim=-1)  # (L, D)
        first, second = x.chunk(2, dim=-1)
        return x * angles.cos() + torch.cat((-second, first), dim=-1) * angles.sin()


class RepeatTo(nn.Module):
    """``x.repeat(1, like.size(1), 1)`` of an ``x`` of size 1 along ``dim``: as many copies as
    ``like`` is long there, whatever its size (a decoder state beside each encoder step)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor, like: Tensor) -> Tensor:
        sizes = [-1] * input.dim()
        sizes[self.dim] = like.shape[self.dim]
        return input.expand(sizes)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Exp(nn.Module):
    """``torch.exp`` elementwise (torch.nn has no layer for it): a scale kept as its logarithm,
    GRU-D's decay ``exp(-relu(W d + b))``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.exp(x)


class Rescaling(nn.Module):
    """``x * scale + offset`` elementwise, on any shape (Keras' ``layers.Rescaling``): the
    scalar arithmetic of a model (``x / 255``, ``x * 0.5 + 1``, ``1 - x``) as one layer. It
    holds two floats and no parameters; it exports to ONNX as Mul and Add."""

    def __init__(self, scale: float = 1.0, offset: float = 0.0):
        super().__init__()
        self.scale = float(scale)
        self.offset = float(offset)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale + self.offset

    def extra_repr(self) -> str:
        return f"scale={self.scale}, offset={self.offset}"


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel (dimension 1 of ``[B, C, ...]``), as torchvision's
    ``Normalize``: a model's fixed input normalisation. ``mean`` and ``std`` (one value per
    channel, or one for all) are buffers, so they move with the model and exports hold them;
    they are left out of the ``state_dict`` (not persistent): the block's params are where
    they live, and a weights file cannot override an edited value."""

    def __init__(self, mean: list[float], std: list[float], rank: int):
        super().__init__()
        view = [1, -1] + [1] * (rank - 2)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(view),
                             persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(view),
                             persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"mean={self.mean.flatten().tolist()}, std={self.std.flatten().tolist()}"


class ShiftedWindowAttention(nn.Module):
    """Swin's (shifted) window attention over a ``[B, H, W, C]`` map, as torchvision's
    ``ShiftedWindowAttention`` (Swin V1) computes it, with its parameter and buffer names:
    pad H and W to window multiples, roll by ``-shift``, attend within each window (relative
    position bias; -100 between the regions a shift brought together), roll back and crop.
    Runs at any H and W: sizes, shift and mask follow from the input."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0):
        super().__init__()
        self.window_size = list(window_size)
        self.shift_size = list(shift_size)
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij"))
        coords = torch.flatten(coords, 1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
        relative[:, :, 0] += wh - 1
        relative[:, :, 1] += ww - 1
        relative[:, :, 0] *= 2 * ww - 1
        self.register_buffer("relative_position_index", relative.sum(-1).flatten())

    def forward(self, x: Tensor) -> Tensor:
        wh, ww = self.window_size[0], self.window_size[1]
        heads = self.num_heads
        n = wh * ww
        bias = self.relative_position_bias_table[self.relative_position_index]
        bias = bias.view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0)
        b, h, w, c = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
        x = nn.functional.pad(x, [0, 0, 0, (ww - w % ww) % ww, 0, (wh - h % wh) % wh])
        ph, pw = x.shape[1], x.shape[2]
        sh = 0 if wh >= ph else self.shift_size[0]
        sw = 0 if ww >= pw else self.shift_size[1]
        shifted = sh + sw > 0
        if shifted:
            x = torch.roll(x, shifts=[-sh, -sw], dims=[1, 2])
        windows = (ph // wh) * (pw // ww)
        x = x.view(b, ph // wh, wh, pw // ww, ww, c)
        x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * windows, n, c)
        qkv = self.qkv(x).reshape(x.size(0), n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * (c // heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1)) + bias
        if shifted:
            # region of every padded position: 0, 1 or 2 along each axis (as the slices
            # [0, -window), [-window, -shift), [-shift, end) of torchvision's mask)
            rows = torch.arange(ph, device=x.device)
            cols = torch.arange(pw, device=x.device)
            region_h = (rows >= ph - wh).to(x.dtype) + (rows >= ph - sh).to(x.dtype)
            region_w = (cols >= pw - ww).to(x.dtype) + (cols >= pw - sw).to(x.dtype)
            mask = region_h[:, None] * 3 + region_w[None, :]
            mask = mask.view(ph // wh, wh, pw // ww, ww).permute(0, 2, 1, 3)
            mask = mask.reshape(windows, n)
            mask = mask.unsqueeze(1) - mask.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
            attn = attn.view(x.size(0) // windows, windows, heads, n, n)
            attn = attn + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, n, n)
        attn = nn.functional.softmax(attn, dim=-1)
        attn = nn.functional.dropout(attn, p=self.attention_dropout, training=self.training)
        x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), n, c)
        x = self.proj(x)
        x = nn.functional.dropout(x, p=self.dropout, training=self.training)
        x = x.view(b, ph // wh, pw // ww, wh, ww, c)
        x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c)
        if shifted:
            x = torch.roll(x, shifts=[sh, sw], dims=[1, 2])
        return x[:, :h, :w, :].contiguous()

    def extra_repr(self) -> str:
        return (f"window_size={self.window_size}, shift_size={self.shift_size}, "
                f"num_heads={self.num_heads}")


class PatchMerging(nn.Module):
    """Swin's patch merging, as torchvision's ``PatchMerging``: a ``[B, H, W, C]`` map padded to
    even H and W, its 2×2 neighbours joined on the channels (``[H/2, W/2, 4C]``), layer-normed
    and reduced to ``2C`` by a Linear without bias."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-3], x.shape[-2]
        x = nn.functional.pad(x, [0, 0, 0, w % 2, 0, h % 2])
        x0 = x[..., 0::2, 0::2, :]
        x1 = x[..., 1::2, 0::2, :]
        x2 = x[..., 0::2, 1::2, :]
        x3 = x[..., 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1)
        return self.reduction(self.norm(x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
