"""import-onnx of files from other tools whose sequence length is free: ``torch.onnx.export``
with ``dynamic_axes`` on the length (or the dynamo exporter's ``dynamic_shapes``), an ONNX file
whose length axis is a named symbol. The design's Input takes the length as the variable
``length`` (as the text templates do), and the imported design gives the file's outputs, as
onnxruntime computes them, at lengths other than the import's own. A file that holds the length
inside, or whose import would, is refused saying so."""

from __future__ import annotations

import math
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from layerloom.cli import main
from layerloom.graph import GraphError, validate
from layerloom.graph.compile import compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.io import load_graph


class TextLSTM(nn.Module):
    """A sentiment classifier as tutorials write it: the LSTM's last hidden state."""

    def __init__(self, vocab=100, dim=16, hidden=24, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, text):
        _, (hidden, _) = self.lstm(self.embedding(text))
        return self.fc(hidden[-1])


class LearnedPositions(nn.Module):
    """A learned position table cut to the input's length, ``self.pos_embed[:, :T]``."""

    def __init__(self, vocab=100, d=16, max_len=64, classes=3):
        super().__init__()
        self.tok_embed = nn.Embedding(vocab, d)
        self.pos_embed = nn.Parameter(torch.randn(1, max_len, d) * 0.5)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, idx):
        T = idx.size(1)
        x = self.tok_embed(idx) + self.pos_embed[:, :T]
        return self.head(self.norm(x).mean(dim=1))


class SelfAttention(nn.Module):
    """Attention written out, its heads made with ``.view(B, T, H, D)``: sizes read from the
    input, which the exporter writes as ``Shape → Gather``."""

    def __init__(self, vocab=100, d=16, heads=2, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.embed(ids)
        B, T, C = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.fc(self.proj(y).mean(dim=1))


class Signal(nn.Module):
    """A 1-D convolutional classifier of a two-channel signal ``[B, 2, T]``."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.classifier = nn.Linear(8, 4)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class Encoder(nn.Module):
    def __init__(self, vocab=100, d=16, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 2, 32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, ids):
        return self.fc(self.encoder(self.embed(ids)).mean(dim=1))


class LengthWeighted(nn.Module):
    """Each step weighted by its place in the sequence, ``t / T``: a table of the length."""

    def __init__(self, vocab=100, d=16, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.fc = nn.Linear(d, classes)

    def forward(self, ids):
        T = ids.size(1)
        ramp = torch.arange(T, device=ids.device).float() / T
        return self.fc((self.embed(ids) * ramp[:, None]).sum(dim=1))


def _export(model, sample, path, dynamo=False):
    torch.manual_seed(0)
    model.eval()
    axis = sample.dim() - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(model, (sample,), str(path), dynamo=True, input_names=["ids"],
                              output_names=["y"], external_data=False, verbose=False,
                              dynamic_shapes=({0: torch.export.Dim("batch"),
                                               axis: torch.export.Dim("seq", max=64)},))
        else:
            torch.onnx.export(model, (sample,), str(path), dynamo=False, input_names=["ids"],
                              output_names=["y"],
                              dynamic_axes={"ids": {0: "batch", axis: "seq"}, "y": {0: "batch"}})


def _outputs_at_lengths(path, graph, state, shape, dtype, lengths=(7, 40)):
    """The compiled graph against onnxruntime on the file at ``lengths`` (the last axis)."""
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    session = ort.InferenceSession(str(path))
    name = session.get_inputs()[0].name
    generator = torch.Generator().manual_seed(1)
    for length in lengths:
        size = (3, *shape[:-1], length)
        x = torch.randint(1, 100, size, generator=generator) if dtype == "int64" \
            else torch.randn(size, generator=generator)
        want = session.run(None, {name: x.numpy()})[0]
        with torch.no_grad():
            got = compiled(x).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("model, shape, dtype", [
    (TextLSTM, (12,), "int64"),
    (LearnedPositions, (12,), "int64"),
    (SelfAttention, (12,), "int64"),
    (Signal, (2, 24), "float32"),
], ids=["lstm", "learned-positions", "attention-view", "signal"])
def test_a_free_length_becomes_the_designs_length_variable(model, shape, dtype, tmp_path):
    path = tmp_path / "model.onnx"
    sample = torch.randint(1, 100, (2, *shape)) if dtype == "int64" else torch.randn(2, *shape)
    _export(model(), sample, path)
    graph, state, diff = import_onnx(path)
    assert diff < 1e-4
    [node] = [n for n in graph.nodes if n.type == "Input"]
    assert node.params["shape"] == [*shape[:-1], "=length"]
    assert graph.variables == {"length": 32}
    assert validate(graph).ok
    _outputs_at_lengths(path, graph, state, shape, dtype)


def test_the_length_variable_resizes_a_learned_table_it_does_not_cut(tmp_path):
    """The position table keeps its 64 rows: the design runs up to the model's 64, not 32."""
    path = tmp_path / "model.onnx"
    _export(LearnedPositions(), torch.randint(1, 100, (2, 12)), path)
    graph, state, _ = import_onnx(path)
    [table] = [n for n in graph.nodes if n.type == "PositionalEmbedding"]
    assert table.params["max_len"] == 64
    _outputs_at_lengths(path, graph, state, (12,), "int64", lengths=(64,))


def test_a_named_symbol_of_another_tool_imports(tmp_path):
    """An embedding, a mean over the steps and a dense layer, as a converter writes them, the
    length a named symbol ('sequence_length'), the output's softmax too."""
    rng = np.random.default_rng(0)
    table = numpy_helper.from_array(rng.standard_normal((100, 8)).astype(np.float32), "emb")
    weight = numpy_helper.from_array(rng.standard_normal((8, 3)).astype(np.float32), "dense_w")
    bias = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "dense_b")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [helper.make_node("Gather", ["emb", "input_ids"], ["embedded"]),
             helper.make_node("ReduceMean", ["embedded", "axes"], ["pooled"], keepdims=0),
             helper.make_node("MatMul", ["pooled", "dense_w"], ["dense"]),
             helper.make_node("Add", ["dense", "dense_b"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    graph = helper.make_graph(
        nodes, "keras_text", [helper.make_tensor_value_info(
            "input_ids", TensorProto.INT64, ["batch_size", "sequence_length"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch_size", 3])],
        [table, weight, bias, axes])
    path = tmp_path / "keras_text.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)
    imported, state, _ = import_onnx(path)
    assert imported.nodes[0].id == "input_ids"
    assert imported.nodes[0].params == {"shape": ["=length"], "dtype": "int64"}
    _outputs_at_lengths(path, imported, state, (12,), "int64", lengths=(5, 50))


def test_a_transformer_from_the_dynamo_exporter_imports_at_any_length(tmp_path):
    path = tmp_path / "encoder.onnx"
    _export(Encoder(), torch.randint(1, 100, (2, 12)), path, dynamo=True)
    graph, state, _ = import_onnx(path)
    assert "TransformerEncoderLayer" in [n.type for n in graph.nodes]
    assert graph.variables == {"length": 32}
    _outputs_at_lengths(path, graph, state, (12,), "int64")


def test_a_file_that_holds_its_exported_length_is_refused_saying_how_to_export_it(tmp_path):
    """The TorchScript exporter writes nn.MultiheadAttention's reshapes with the traced length
    although the axis is declared free: onnxruntime runs the file at no other length."""
    path = tmp_path / "encoder.onnx"
    _export(Encoder(), torch.randint(1, 100, (2, 12)), path)
    with pytest.raises(GraphError, match=r"encoder\.onnx: the file takes input 'ids' of any "
                       r"length \('seq'\), but onnxruntime runs it at none of the lengths .*"
                       r"Reshape.*dynamo=True"):
        import_onnx(path)


def test_a_design_that_would_hold_the_length_is_refused_naming_the_node(tmp_path):
    path = tmp_path / "weighted.onnx"
    _export(LengthWeighted(), torch.randint(1, 100, (2, 12)), path)
    with pytest.raises(GraphError, match=r"the design imported at length 32 does not give the "
                       r"file's outputs at 20 .*ONNX node \S+ \(Mul\) uses a size computed "
                       r"from the length"):
        import_onnx(path)


def test_the_cli_writes_the_variable_and_says_so(tmp_path, capsys):
    path = tmp_path / "lstm.onnx"
    _export(TextLSTM(), torch.randint(1, 100, (2, 12)), path)
    out = tmp_path / "lstm.json"
    assert main(["import-onnx", str(path), "-o", str(out)]) == 0
    said = capsys.readouterr()
    assert "note: the file takes input 'ids' of any length ('seq'): the design's Input takes " \
           "it as the variable length = 32, its outputs checked against onnxruntime's at " \
           "lengths 32 and 20" in said.out + said.err
    written = load_graph(out)
    assert written.variables == {"length": 32}
    assert written.nodes[0].params["shape"] == ["=length"]
