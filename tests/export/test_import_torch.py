"""PyTorch models traced into graphs: the compiled graph with the mapped weights gives the
original model's outputs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


def roundtrip(model: nn.Module, shape, dtype="float32", high=None):
    """Import ``model``, compile the graph, load the mapped weights, compare on a batch of 4."""
    model.eval()
    graph, weights = import_torch(model, shape, dtype)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randint(0, high, (4, *shape)) if dtype == "int64" else torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x))
    return graph, weights


def types(graph):
    return [n.type for n in graph.nodes]


# -- a ResNet written here ------------------------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _randomise_batchnorm(model: nn.Module) -> None:
    """Running statistics other than 0 and 1, so that mapping them matters."""
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def test_resnet_round_trip():
    torch.manual_seed(0)
    model = TinyResNet()
    _randomise_batchnorm(model)
    graph, weights = roundtrip(model, (3, 32, 32))
    ids = [n.id for n in graph.nodes]
    assert ids[:5] == ["x", "conv1", "bn1", "relu", "maxpool"]
    assert {"layer1_0_conv1", "layer1_0_add", "layer2_0_downsample_0",
            "layer2_0_downsample_1", "flatten", "fc", "output"} <= set(ids)
    assert graph.node("conv1").params == {"out_channels": 16, "kernel_size": 7, "stride": 2,
                                          "padding": 3, "bias": False}
    assert graph.node("maxpool").params == {"kernel_size": 3, "stride": 2, "padding": 1}
    assert types(graph).count("Add") == 4
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert weights["layer2_0_downsample_1.running_var"] == "layer2.0.downsample.1.running_var"
    assert len(weights) == len(model.state_dict())


# -- a small Transformer classifier ----------------------------------------------------------------

class TextClassifier(nn.Module):
    def __init__(self, vocab=100, length=16, dim=32, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.1, batch_first=True),
            nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.1, activation="gelu",
                                       batch_first=True, norm_first=True)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[:, :tokens.size(1)]
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(dim=1))


def test_transformer_classifier_round_trip():
    torch.manual_seed(1)
    graph, weights = roundtrip(TextClassifier(), (12,), "int64", high=100)
    assert types(graph) == ["Input", "Embedding", "PositionalEmbedding",
                            "TransformerEncoderLayer", "TransformerEncoderLayer", "LayerNorm",
                            "SequencePool", "Linear", "Output"]
    assert graph.node("tokens").params == {"shape": [12], "dtype": "int64"}
    assert graph.node("pos").params == {"max_len": 16}
    assert graph.node("layers_1").params["activation"] == "gelu"
    assert graph.node("layers_1").params["norm_first"] is True
    assert weights.shapes["pos.weight"] == (16, 32)  # [1, 16, 32] in the original


def test_encoder_stack_becomes_one_repeated_node():
    class Stacked(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 16)
            layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
            self.fc = nn.Linear(16, 2)

        def forward(self, tokens):
            return self.fc(self.encoder(self.embed(tokens))[:, 0])

    torch.manual_seed(2)
    graph, weights = roundtrip(Stacked(), (10,), "int64", high=50)
    assert graph.node("encoder").repeat == 3
    assert graph.node("getitem").type == "SequencePool"
    assert graph.node("getitem").params == {"mode": "first"}
    assert weights["encoder.2.linear1.weight"] == "encoder.layers.2.linear1.weight"


def test_lstm_last_hidden_state_and_gru_sequence():
    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(30, 8)
            self.gru = nn.GRU(8, 8, batch_first=True, bidirectional=True)
            self.lstm = nn.LSTM(16, 6, num_layers=2, batch_first=True)
            self.fc = nn.Linear(6, 3)

        def forward(self, tokens):
            seq, _ = self.gru(self.embed(tokens))
            _, (h, _) = self.lstm(seq)
            return F.log_softmax(self.fc(h[-1]), dim=-1)

    torch.manual_seed(3)
    graph, _ = roundtrip(Recurrent(), (7,), "int64", high=30)
    assert graph.node("gru").params["output"] == "sequence"
    assert graph.node("gru").params["bidirectional"] is True
    assert graph.node("lstm").params == {"hidden_size": 6, "num_layers": 2, "output": "last"}
    assert graph.node("log_softmax").params == {"dim": -1}


def test_functions_and_methods_become_blocks():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 8, 3, padding=1)
            self.gate = nn.Conv2d(8, 8, 1)
            self.side = nn.Conv2d(4, 8, 1)
            self.fc = nn.Linear(16, 5)

        def forward(self, x):
            y = F.relu(self.conv(x))
            y = y * torch.sigmoid(self.gate(F.adaptive_avg_pool2d(y, 1)))
            y = torch.cat([y, self.side(x)], dim=1)  # (B, 16, 6, 6)
            y = y.view(y.size(0), 16, -1).permute(0, 2, 1)  # (B, 36, 16)
            return F.softmax(self.fc(y.mean(dim=1)), dim=1)

    torch.manual_seed(4)
    graph, _ = roundtrip(Mixed(), (4, 6, 6))
    by_type = {n.type: n for n in graph.nodes}
    assert {"Multiply", "Sigmoid", "AdaptiveAvgPool2d", "Concat", "Flatten", "Permute",
            "SequencePool", "Softmax"} <= set(by_type)
    assert by_type["Concat"].params == {"dim": 0}  # channels, counted without the batch
    # view(B, 16, -1) keeps the channels and merges the map: a size-agnostic Flatten, not a
    # Reshape baking in the traced 6×6
    assert by_type["Flatten"].params == {"start_dim": 1}
    assert by_type["Permute"].params == {"dims": [1, 0]}
    assert by_type["Softmax"].params == {"dim": 0}


def test_check_import_compares_the_compiled_graph():
    torch.manual_seed(5)
    model = TinyResNet()
    graph, weights = import_torch(model, (3, 16, 16))
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 16, 16)) < 1e-5
    state["fc.bias"] = state["fc.bias"] + 1.0
    with pytest.raises(GraphError, match=r"output 0 differs from the model's: shape \[3, 10\] "
                                         r"vs \[3, 10\], max abs diff 1"):
        check_import(model, graph, state, (3, 16, 16))


# -- what does not map ----------------------------------------------------------------------------

class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(2, 4, 4))  # a stack of matrices: no Linear's weight

    def forward(self, x):
        return torch.matmul(x, self.w)


class WithInner(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), Inner())

    def forward(self, x):
        return self.body(x)


class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(4, 8, 1), nn.Unfold(2))

    def forward(self, x):
        return self.head(x)


class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.fc(x))


class Scaled(nn.Module):
    def forward(self, x):
        return x * 2.0


class Reciprocal(nn.Module):
    def forward(self, x):
        return 2.0 / x


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 4)

    def forward(self, x):
        return self.rnn(x)[0]


class Branchy(nn.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


@pytest.mark.parametrize("model, shape, message", [
    (Shuffle(), (4, 3, 3), r"^test_import_torch\.py:\d+: cannot import head\.1 \(Unfold\): "
                           r"no LayerLoom block computes Unfold; fix: its patches overlap "),
    (WithInner(), (4,), r"^test_import_torch\.py:\d+: cannot import torch\.matmul in body\.1 "
                        r"\(Inner\): it multiplies by the parameter 'body\.1\.w' directly; a "
                        r"learned matrix maps as a layer \(nn\.Linear: x @ W\.T \+ b\)$"),
    (Shared(), (4,), r"^test_import_torch\.py:\d+: cannot import fc \(Linear\): it is called 2 "
                     r"times, sharing its weights"),
    (Reciprocal(), (4,), r"^test_import_torch\.py:\d+: cannot import operator\.truediv in "
                         r"Reciprocal\.forward: a division"),
    (Seq2Seq(), (5, 4), r"^test_import_torch\.py:\d+: cannot import rnn \(LSTM\): "
                        r"batch_first=False"),
    (Branchy(), (4,), r"^torch\.fx cannot trace Branchy: .*control flow that depends on tensor "
                      r"values"),
])
def test_what_has_no_block_is_named(model, shape, message):
    with pytest.raises(GraphError, match=message):
        import_torch(model, shape)


def test_a_number_times_the_input_is_a_rescaling():
    graph, _ = import_torch(Scaled(), (4,))
    assert [(n.type, n.params) for n in graph.nodes if n.type == "Rescaling"] == [
        ("Rescaling", {"scale": 2.0, "offset": 0.0})]


def test_bad_arguments_are_refused():
    with pytest.raises(GraphError, match=r"forward takes 1 input\(s\) \(x\), but 2 shape\(s\)"):
        import_torch(Scaled(), [(4,), (4,)])
    with pytest.raises(GraphError, match="input shape must be positive whole numbers"):
        import_torch(Scaled(), (0, 4))
    with pytest.raises(GraphError, match=r"returned int, not a torch\.nn\.Module"):
        import_torch(lambda: 3, (4,))


def test_attention_self_and_cross():
    class Attend(nn.Module):
        def __init__(self):
            super().__init__()
            self.self_attn = nn.MultiheadAttention(16, 4, batch_first=True)
            self.memory = nn.Linear(16, 16)
            self.cross = nn.MultiheadAttention(16, 2, batch_first=True)

        def forward(self, x):
            x = self.self_attn(x, x, x, need_weights=False)[0]
            m = self.memory(x)
            out, _ = self.cross(x, m, m)
            return out.amax(dim=1)

    torch.manual_seed(6)
    graph, weights = roundtrip(Attend(), (9, 16))
    assert [e.port for e in graph.edges if e.target == "self_attn"] == [None]
    assert [(e.source, e.port) for e in graph.edges if e.target == "cross"] == [
        ("self_attn", "query"), ("memory", "key")]
    assert graph.node("amax").params == {"mode": "max"}
    assert weights["self_attn.attn.in_proj_weight"] == "self_attn.in_proj_weight"
