"""``import-onnx`` on models written here and exported with ``torch.onnx.export``: Split
(torch.chunk / torch.split: a Chunk or Split block whose outputs feed the branches through
``source_port``) at opsets 13 and 18, recurrent layers (stacked, bidirectional,
sequence or last state), attention written by hand or with ``nn.MultiheadAttention``, and the
messages for what still has no block."""

from __future__ import annotations

import warnings

import onnx
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch.onnx_in import import_onnx


def _export(model, shape, path, opset=17):
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, *shape),), str(path), dynamo=False,
                          opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    return {n.op_type for n in onnx.load(str(path)).graph.node}


def _check(model, shape, tmp_path, opset=17):
    """Export, import, and compare the compiled graph with the PyTorch model."""
    torch.manual_seed(0)
    ops = _export(model, shape, tmp_path / "m.onnx", opset)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
    blocks = [(n.type, n.params) for n in graph.nodes if n.type not in ("Input", "Output")]
    return ops, blocks


class Channels(nn.Module):
    """ShuffleNet-style: halves with torch.chunk, then torch.split into uneven parts."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 6 * 6, 3)

    def forward(self, x):
        a, b = torch.chunk(self.conv(x), 2, dim=1)
        c, d, e = torch.split(a, [1, 1, 2], dim=1)
        return self.fc(torch.cat([b, F.relu(c), d, e], 1).flatten(1))


@pytest.mark.parametrize("opset", [13, 18])  # split sizes as an input; num_outputs (18)
def test_split_maps_to_a_block_with_an_output_per_part(opset, tmp_path):
    ops, blocks = _check(Channels(), (4, 6, 6), tmp_path, opset)
    assert "Split" in ops
    parts = [(t, p) for t, p in blocks if t in ("Slice", "Split", "Chunk")]
    assert parts == [("Chunk", {"chunks": 2, "dim": 0}), ("Split", {"sizes": [1, 1, 2], "dim": 0})]
    graph, _, _ = import_onnx(tmp_path / "m.onnx")
    ports = sorted((e.source, e.source_port) for e in graph.edges if e.source_port is not None)
    assert ports == [("chunk", 0), ("chunk", 1), ("split", 0), ("split", 1), ("split", 2)]


class Recurrent(nn.Module):
    def __init__(self, kind="LSTM", layers=1, bidirectional=False, last=False, **kw):
        super().__init__()
        self.rnn = getattr(nn, kind)(6, 5, num_layers=layers, batch_first=True,
                                     bidirectional=bidirectional, **kw)
        self.last, self.dirs = last, 2 if bidirectional else 1
        self.fc = nn.Linear(5 * self.dirs, 3)

    def forward(self, x):
        out, h = self.rnn(x)
        if not self.last:
            return self.fc(out)
        h = h[0] if isinstance(h, tuple) else h
        return self.fc(torch.cat([h[-1 - i] for i in reversed(range(self.dirs))], 1))


@pytest.mark.parametrize("kind, layers, bidirectional, last, kw", [
    ("LSTM", 1, False, True, {}),
    ("LSTM", 2, True, True, {}),
    ("GRU", 1, False, False, {}),
    ("GRU", 3, True, False, {}),
    ("RNN", 2, False, False, {"nonlinearity": "relu"}),
])
def test_recurrent_layers_become_one_block(kind, layers, bidirectional, last, kw, tmp_path):
    _, blocks = _check(Recurrent(kind, layers, bidirectional, last, **kw), (7, 6), tmp_path)
    (block, params), (linear, _) = blocks
    assert block == kind and linear == "Linear"
    assert params.get("num_layers", 1) == layers
    assert params.get("bidirectional", False) == bidirectional
    assert params.get("output", "sequence") == ("last" if last else "sequence")
    assert params.get("nonlinearity", "tanh") == kw.get("nonlinearity", "tanh")


class HandAttention(nn.Module):
    """Separate q/k/v projections, heads by view/transpose, scores scaled by a division."""

    def __init__(self, mask=None):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(8, 8) for _ in range(4))
        self.mask = mask  # None, "causal", or "band": each step sees itself and the one before

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = (f(x).view(b, n, 2, 4).transpose(1, 2) for f in (self.q, self.k, self.v))
        scores = q @ k.transpose(-2, -1) / 2.0
        if self.mask:
            scores = scores + torch.triu(torch.full((n, n), -1e9), 1)
        if self.mask == "band":
            scores = scores + torch.tril(torch.full((n, n), -1e9), -2)
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        return self.o(y) + x


class TorchAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        return self.norm(x + self.attn(x, x, x, need_weights=False)[0])


@pytest.mark.parametrize("opset", [14, 20])
def test_attention_becomes_multihead_attention(opset, tmp_path):
    _, blocks = _check(HandAttention(), (5, 8), tmp_path, opset)
    assert [t for t, _ in blocks] == ["MultiheadAttention", "Add"]
    assert blocks[0][1]["num_heads"] == 2
    _, blocks = _check(TorchAttention(), (5, 8), tmp_path, opset)
    assert [t for t, _ in blocks] == ["MultiheadAttention", "Add", "LayerNorm"]


@pytest.mark.parametrize("opset", [14, 20])
def test_causal_attention_becomes_scaled_dot_product_attention(opset, tmp_path):
    """A causal mask added to the scores (refused before as 'attention with a mask'): the
    product, mask, softmax and product are one ScaledDotProductAttention with is_causal, the
    heads' Unflatten and Permute around it (the keys' transpose one Permute, as the others)."""
    _, blocks = _check(HandAttention(mask="causal"), (5, 8), tmp_path, opset)
    assert ("ScaledDotProductAttention", {"is_causal": True}) in blocks  # 1/2 = 1/√4: its own
    assert [t for t, _ in blocks].count("Linear") == 4
    assert [p["dims"] for t, p in blocks if t == "Permute"] == [[1, 0, 2]] * 4  # q, k, v, out


def test_a_linear_on_the_batch_and_steps_flattened_is_a_linear(tmp_path):
    """``fc(x.reshape(-1, D)).reshape(x.shape)``, as the dynamo exporter writes every Linear
    on a sequence: one Linear (refused before: the Reshape 'merges the batch')."""

    class Flattened(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 5)

        def forward(self, x):
            return self.fc(x.reshape(-1, 6)).reshape(x.shape[0], x.shape[1], 5)

    _, blocks = _check(Flattened(), (7, 6), tmp_path)
    assert blocks == [("Linear", {"out_features": 5})]


class ViT(nn.Module):
    """A tiny ViT: patches, a class token expanded over the batch, a positional table, a
    pre-norm GELU encoder layer (back as one TransformerEncoderLayer), the class token's output
    to the head."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 16, 4, 4)
        self.cls = nn.Parameter(torch.randn(1, 1, 16))
        self.pos = nn.Parameter(torch.randn(1, 17, 16) * 0.1)
        self.encoder = nn.TransformerEncoderLayer(16, 2, 32, 0.0, batch_first=True,
                                                  activation="gelu", norm_first=True)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.head(self.norm(self.encoder(x))[:, 0])


@pytest.mark.parametrize("opset", [14, 17, 20])
def test_vit_with_class_token_and_positions(opset, tmp_path):
    ops, blocks = _check(ViT(), (3, 16, 16), tmp_path, opset)
    assert {"Expand", "Softmax", "Erf" if opset < 20 else "Gelu"} <= ops
    assert [t for t, _ in blocks] == [
        "Conv2d", "Flatten", "Permute", "ClassToken", "PositionalEmbedding",
        "TransformerEncoderLayer", "LayerNorm", "SequencePool", "Linear"]
    assert blocks[3][1] == {"num_tokens": 1} and blocks[-2][1] == {"mode": "first"}
    assert blocks[5][1] == {"nhead": 2, "dim_feedforward": 32, "dropout": 0.1,
                            "activation": "gelu", "norm_first": True, "layer_norm_eps": 1e-5}


class Gelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return F.gelu(self.fc(x))


@pytest.mark.parametrize("opset", [13, 20])  # Erf written out; the Gelu op (20)
def test_gelu_written_out_or_as_an_op(opset, tmp_path):
    _, blocks = _check(Gelu(), (6,), tmp_path, opset)
    assert blocks == [("Linear", {"out_features": 6}), ("GELU", {"approximate": "none"})]


class Mobile(nn.Module):
    """MobileNet-style: explicit zero padding, ReLU6 (ONNX Clip), ReLU via Clip too."""

    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 2, 0, 1))
        self.conv = nn.Conv2d(3, 4, 3, groups=1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = F.relu6(self.conv(self.pad(x)))
        return self.fc(torch.clamp(x.mean((2, 3)), min=0))


@pytest.mark.parametrize("opset", [13, 20])
def test_pad_and_clip(opset, tmp_path):
    ops, blocks = _check(Mobile(), (3, 6, 6), tmp_path, opset)
    assert {"Pad", "Clip"} <= ops
    assert [t for t, _ in blocks] == ["ZeroPad2d", "Conv2d", "ReLU6", "AdaptiveAvgPool2d",
                                      "Flatten", "ReLU", "Linear"]
    assert blocks[0][1]["padding"] == [1, 2, 0, 1]


class BothOutputs(Recurrent):
    def forward(self, x):
        out, (h, _) = self.rnn(x)
        return out[:, -1] + h[-1]


class ScoresOnly(nn.Module):
    def forward(self, x):
        return x @ x.transpose(1, 2)


class MergedBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return self.fc(x.reshape(-1, 6)).reshape(x.shape[0], -1)  # [B, L·6]: no Linear's shape


class WholeBatchMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return self.fc(x) + x.mean()  # one value over the whole batch


def test_matmul_of_two_computed_values_is_a_matmul_block(tmp_path):
    _export(ScoresOnly(), (5, 8), tmp_path / "m.onnx", opset=17)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert [n.type for n in graph.nodes] == ["Input", "Permute", "MatMul", "Output"]
    assert diff < 1e-5


@pytest.mark.parametrize("model, shape, message", [
    (WholeBatchMean(), (6,), r"ONNX node /ReduceMean \(ReduceMean\): its output \[\] \(batch 3\) "
                             r"does not keep .* \(it gives one value for the whole batch\)"),
    (HandAttention(mask="band"), (5, 8),
     r"ONNX node /Softmax \(Softmax\): attention with a mask that is neither causal nor all "
     r"ones .* no block equivalent; a causal mask .* or none imports"),
    (BothOutputs(), (7, 6), r"\(LSTM\): both its output sequence and its last hidden state "
                            r"are used; a block gives one of them"),
    (MergedBatch(), (7, 6), r"ONNX node /Reshape \(Reshape\): its output \[21, 6\] \(batch 3\) "
                            r"does not keep the batch .* \(it merges the batch with another "
                            r"dimension\)"),
])
def test_what_does_not_import_is_named(model, shape, message, tmp_path):
    _export(model, shape, tmp_path / "m.onnx", opset=17)
    with pytest.raises(GraphError, match=message):
        import_onnx(tmp_path / "m.onnx")


class Cross(nn.Module):
    def __init__(self, kdim):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, kdim=kdim, vdim=kdim, batch_first=True)

    def forward(self, x, memory):
        return self.attn(x, memory, memory, need_weights=False)[0]


@pytest.mark.parametrize("kdim", [6, 8])  # separate projections; key and value packed
def test_cross_attention_takes_query_and_key(kdim, tmp_path):
    model = Cross(kdim).eval()
    x, memory = torch.randn(2, 5, 8), torch.randn(2, 7, kdim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x, memory), str(tmp_path / "m.onnx"), dynamo=False,
                          opset_version=17, input_names=["x", "memory"], output_names=["y"],
                          dynamic_axes={n: {0: "b"} for n in ("x", "memory", "y")})
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert [(e.source, e.target, e.port) for e in graph.edges] == \
        [("x", "attn", "query"), ("memory", "attn", "key"), ("attn", "output", None)]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x, memory = torch.randn(4, 5, 8), torch.randn(4, 7, kdim)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x, memory), model(x, memory), atol=1e-5, rtol=1e-4)


def test_a_file_with_a_fixed_batch_imports_with_the_batch_free(tmp_path):
    model = Gelu().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 6),), str(tmp_path / "m.onnx"), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"])
    graph, state, _ = import_onnx(tmp_path / "m.onnx")  # refusals: test_import_onnx_fixed_batch
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 6)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-4)
