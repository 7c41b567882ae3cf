"""LayerLoom's own ONNX export of a design whose sequence length is a variable imports back with
that variable: the file keeps the length free (``export``), and ``import-onnx`` of it gave a
design whose Input was fixed at the exported length (``[32]``, ``[1, 128]``, no variables), so
the design that came back ran at one length only. The imported design takes ``length`` (the
exported design's value) and gives onnxruntime's outputs at other lengths."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

import layerloom.graph.import_torch.onnx_free_lengths as free_lengths
from layerloom.graph import compile_graph
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


def _exported(name: str, path, **variables):
    graph = load_template(name)
    graph.variables.update(variables)
    if name == "lstm-text":  # its LSTM read alone, as a design without a padding mask has it
        graph.nodes = [n for n in graph.nodes if n.type != "PaddingMask"]
        graph.edges = [e for e in graph.edges if "padding" not in (e.source, e.target)]
        for edge in graph.edges:
            edge.port = None
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    export_model(graph, "onnx", path, model.state_dict())
    return graph


def _against_onnxruntime(path, graph, state, shape_at, lengths, ids: int | None = None):
    """The imported design compiled at each of ``lengths`` (its variable set) against
    onnxruntime running the file at that length."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for length in lengths:
        graph.variables["length"] = length
        model = compile_graph(graph).eval()
        model.load_state_dict(state, strict=True)
        x = torch.randint(1, ids, (3, *shape_at(length))) if ids else \
            torch.randn(3, *shape_at(length))
        if ids:
            x[0, length // 2:] = 0  # a padded text
        with torch.no_grad():
            got = model(x).numpy()
        np.testing.assert_allclose(got, session.run(None, {name: x.numpy()})[0], atol=1e-4)


def _inputs(graph):
    return [n.params["shape"] for n in graph.nodes if n.type == "Input"]


def test_lstm_text_imports_back_with_its_length_free(tmp_path):
    _exported("lstm-text", tmp_path / "m.onnx", vocab=50, embed_dim=8, hidden=8)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert _inputs(graph) == [["=length"]] and graph.variables["length"] == 32
    _against_onnxruntime(tmp_path / "m.onnx", graph, state, lambda n: (n,), (7, 32, 80), ids=50)


def test_a_signal_cnn_imports_back_with_its_length_free_and_its_channels_fixed(tmp_path):
    _exported("cnn1d-sequence", tmp_path / "m.onnx")
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert _inputs(graph) == [[1, "=length"]] and graph.variables["length"] == 128
    _against_onnxruntime(tmp_path / "m.onnx", graph, state, lambda n: (1, n), (64, 128, 300))


def test_a_transformer_imports_back_taking_lengths_up_to_its_positional_table(tmp_path):
    _exported("transformer-text", tmp_path / "m.onnx", d_model=16, heads=2, layers=1, vocab=50)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert _inputs(graph) == [["=length"]] and graph.variables["length"] == 32
    _against_onnxruntime(tmp_path / "m.onnx", graph, state, lambda n: (n,), (9, 16, 32), ids=50)


def test_a_design_that_would_hold_the_length_imports_at_the_exported_length_saying_so(
        tmp_path, monkeypatch):
    """Where the design imported at the file's length does not give its outputs at another, it
    is built at the exported design's length, as before, and the import says why."""
    _exported("lstm-text", tmp_path / "m.onnx", vocab=50, embed_dim=8, hidden=8)

    def held(graph, state, lengths, file, atol, held):
        raise free_lengths.LengthHeld(
            f"{file}: the file takes {lengths.said()} (onnxruntime runs it at 32 and 16), but "
            f"the design imported at length 32 does not give the file's outputs at 16 (shape "
            f"'[3, 32]' is invalid); Reshape_3 uses a size computed from the length: it would "
            f"take only the length 32; export the model with its length fixed")
    monkeypatch.setattr(free_lengths, "check_other_length", held)
    with pytest.warns(UserWarning, match=r"^the file takes other lengths, but the design "
                      r"imported at length 32 does not give the file's outputs at 16 \(shape "
                      r"'\[3, 32\]' is invalid\); Reshape_3 uses a size computed from the "
                      r"length: its Input takes only the length 32$"):
        graph, _, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert _inputs(graph) == [[32]] and "length" not in graph.variables
