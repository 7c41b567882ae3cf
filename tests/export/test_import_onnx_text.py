"""``import-onnx`` of the text templates and across opsets: lstm-text and transformer-text come
back from their ONNX files with the same parameter count and outputs, at opsets 13/14, 17 and 20
(the newest the TorchScript exporter writes); lstm-text as the same blocks, and transformer-text
with its padding mask (the encoder layer given the PaddingMask) and without it; two
image/tabular templates at each of those opsets too."""

from __future__ import annotations

import onnx
import pytest
import torch

from layerloom.cli import main
from layerloom.graph import compile_graph, summarize, validate
from layerloom.graph.export import export_model
from layerloom.graph.export import onnx as onnx_format
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template

NEWEST = 20  # the newest opset torch.onnx.export(dynamo=False) writes


def unmasked(name):
    """A text template as it was before its padding mask (a design that comes back from ONNX
    block for block): transformer-text's encoder given no mask, and the mean over the sequence
    pooled; lstm-text's LSTM reading every step (given the mask, it reads packed sequences: an
    ONNX LSTM given sequence_lens, test_import_onnx_packed_recurrent.py)."""
    graph = load_template(name)
    graph.nodes = [n for n in graph.nodes if n.type != "PaddingMask"]
    graph.edges = [e for e in graph.edges if "padding" not in (e.source, e.target)]
    for edge in graph.edges:
        edge.port = None
    for node in graph.nodes:
        if node.type == "SequencePool":
            node.params["mode"] = "mean"
    return graph


def _export(name, opset, path, monkeypatch):
    """The template (or ``name``, a design) with weights of a real scale (biases and norms not
    0/1), exported by the classic exporter at ``opset``: its text length fixed, as the dynamo
    exporter (opset 18 and later), which export_model uses to keep a transformer's length free,
    would not write it."""
    monkeypatch.setattr(onnx_format, "OPSET", opset)
    monkeypatch.setattr(onnx_format, "free_lengths", lambda *args: None)
    graph = load_template(name) if isinstance(name, str) else name
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 1.5)
    export_model(graph, "onnx", path, model.state_dict())
    assert onnx.load(str(path)).opset_import[0].version == opset
    return graph, model


def _inputs(graph, n=5):
    res = validate(graph).resolution
    out = []
    for i in res.top.inputs:
        info = res.top.nodes[i]
        out.append(torch.randint(0, 1000, (n, *info.shape)) if info.dtype == "int64"
                   else torch.randn(n, *info.shape))
    return out


def _round_trip(name, opset, tmp_path, monkeypatch):
    original, model = _export(name, opset, tmp_path / "m.onnx", monkeypatch)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert summarize(graph).params == summarize(original).params
    imported = compile_graph(graph).eval()
    imported.load_state_dict(state, strict=True)
    xs = _inputs(original)
    with torch.no_grad():
        torch.testing.assert_close(imported(*xs), model(*xs), atol=1e-4, rtol=1e-4)
    return graph


@pytest.mark.parametrize("opset", [13, 17, NEWEST])
def test_lstm_text_is_one_bidirectional_lstm_giving_its_last_state(opset, tmp_path,
                                                                   monkeypatch):
    graph = _round_trip(unmasked("lstm-text"), opset, tmp_path, monkeypatch)
    types = [n.type for n in graph.nodes]
    assert types == ["Input", "Embedding", "LSTM", "Linear", "Output"]  # dropout: not in eval
    lstm = next(n for n in graph.nodes if n.type == "LSTM")
    assert lstm.params["hidden_size"] == 64 and lstm.params["bidirectional"] is True
    assert lstm.params["output"] == "last" and lstm.params.get("num_layers", 1) == 1


@pytest.mark.parametrize("opset", [14, 17, NEWEST])  # 13 cannot export attention
def test_transformer_text_comes_back_with_its_padding_mask(opset, tmp_path, monkeypatch):
    graph = _round_trip("transformer-text", opset, tmp_path, monkeypatch)
    _, model = _export("transformer-text", opset, tmp_path / "again.onnx", monkeypatch)
    imported = compile_graph(graph).eval()
    imported.load_state_dict(import_onnx(tmp_path / "again.onnx")[1], strict=True)
    ids = torch.randint(1, 1000, (4, 32))
    for row, words in enumerate((3, 10, 31, 32)):
        ids[row, words:] = 0  # padded as the text datasets pad
    with torch.no_grad():
        torch.testing.assert_close(imported(ids), model(ids), atol=1e-4, rtol=1e-4)
    types = [n.type for n in graph.nodes]
    assert types[:5] == ["Input", "PaddingMask", "Embedding", "PositionalEmbedding",
                         "TransformerEncoderLayer"]
    mask = next(n.id for n in graph.nodes if n.type == "PaddingMask")
    encoder = next(n for n in graph.nodes if n.type == "TransformerEncoderLayer")
    assert encoder.repeat == 2 and "MultiheadAttention" not in types  # the layer, not parts
    assert [(e.target, e.port) for e in graph.edges if e.source == mask] == [
        (encoder.id, "src_key_padding_mask")]


@pytest.mark.parametrize("opset", [14, 17, NEWEST])  # 13 cannot export attention
def test_transformer_text_comes_back_as_the_same_design(opset, tmp_path, monkeypatch):
    graph = _round_trip(unmasked("transformer-text"), opset, tmp_path, monkeypatch)
    assert [(n.id, n.type) for n in graph.nodes] == [
        ("tokens", "Input"), ("embed", "Embedding"), ("position", "PositionalEmbedding"),
        ("encoder", "TransformerEncoderLayer"), ("mean", "SequencePool"), ("fc", "Linear"),
        ("output", "Output")]
    encoder = next(n for n in graph.nodes if n.type == "TransformerEncoderLayer")
    assert encoder.repeat == 2
    assert encoder.params == {"nhead": 4, "dim_feedforward": 256, "dropout": 0.1,
                              "activation": "relu", "norm_first": False,
                              "layer_norm_eps": 1e-5}
    assert next(n for n in graph.nodes if n.type == "PositionalEmbedding").params["max_len"] == 32


@pytest.mark.parametrize("name", ["seed-cnn", "mlp-tabular"])
@pytest.mark.parametrize("opset", [13, 17, NEWEST])
def test_templates_round_trip_at_each_opset(name, opset, tmp_path, monkeypatch):
    _round_trip(name, opset, tmp_path, monkeypatch)


def test_help_states_the_opsets(capsys):
    with pytest.raises(SystemExit):
        main(["import-onnx", "--help"])
    assert "opsets 13-20" in " ".join(capsys.readouterr().out.split())


@pytest.mark.slow  # the dynamo exporter takes ~10 s to start
def test_text_templates_from_the_dynamo_exporter(tmp_path):
    """Files of ``torch.onnx.export(dynamo=True)`` (opset 18, other subgraphs) import too."""
    import logging
    import warnings

    for name, blocks in (("lstm-text", ["Embedding", "LSTM", "Linear"]),
                         ("transformer-text", ["Embedding", "PositionalEmbedding",
                                               "TransformerEncoderLayer", "SequencePool"])):
        original = unmasked(name)
        torch.manual_seed(0)
        model = compile_graph(original).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.1)
        path = tmp_path / f"{name}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)
            try:
                torch.onnx.export(model, (torch.randint(0, 1000, (2, 32)),), str(path),
                                  dynamo=True, opset_version=18, input_names=["tokens"],
                                  dynamic_shapes=({0: torch.export.Dim("batch")},),
                                  external_data=False)
            finally:
                logging.disable(logging.NOTSET)
        graph, state, diff = import_onnx(path)
        assert diff < 1e-4
        assert [n.type for n in graph.nodes][1:1 + len(blocks)] == blocks
        assert summarize(graph).params == summarize(original).params
        imported = compile_graph(graph).eval()
        imported.load_state_dict(state, strict=True)
        xs = _inputs(original)
        with torch.no_grad():
            torch.testing.assert_close(imported(*xs), model(*xs), atol=1e-4, rtol=1e-4)


def test_cli_imports_transformer_text_and_exports_it_with_its_weights(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)
    _export(unmasked("transformer-text"), 17, tmp_path / "t.onnx", monkeypatch)
    code = main(["import-onnx", "t.onnx", "-o", "g.json", "--weights", "w.safetensors"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "compiled graph matches onnxruntime on the file" in out.out
    code = main(["export", "g.json", "-f", "onnx", "-o", "again.onnx", "--weights",
                 "w.safetensors"])
    assert code == 0, capsys.readouterr().err
    graph, _, diff = import_onnx(tmp_path / "again.onnx")  # and back once more
    assert diff < 1e-4
    assert [n.repeat for n in graph.nodes if n.type == "TransformerEncoderLayer"] == [2]
