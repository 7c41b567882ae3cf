"""Each exported file says which input sizes it takes, found by running it. A text model's ONNX
file keeps the length free where the model does (an LSTM's any length, a transformer's up to its
positional table's), and a file that fixes a length the model leaves free says so at export: in
its notes, on the command line and in a bundle's card. A user found it only when onnxruntime
refused a 40-token review in their program ("Got invalid dimensions for input: tokens … Got: 40
Expected: 32")."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import onnxruntime as ort
import pytest
import torch

import layerloom.graph.export.onnx as onnx_format
from layerloom.cli import main
from layerloom.graph import compile_graph, dumps_graph
from layerloom.graph.export import ExportError, RunInfo, export_model
from layerloom.graph.export.formats import FORMATS, Format
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


def _small(name: str, **variables):
    graph = load_template(name)
    graph.variables.update(variables)
    torch.manual_seed(0)
    return graph, compile_graph(graph).eval()


def _session(path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_an_lstm_onnx_file_takes_token_ids_of_any_length(tmp_path):
    graph, model = _small("lstm-text", vocab=50, embed_dim=8, hidden=8)
    result = export_model(graph, "onnx", tmp_path / "m.onnx", model.state_dict())
    session = _session(tmp_path / "m.onnx")
    for batch, length in ((1, 7), (4, 32), (2, 80)):
        ids = torch.randint(0, 50, (batch, length))
        with torch.no_grad():
            want = model(ids).numpy()
        np.testing.assert_allclose(session.run(None, {"tokens": ids.numpy()})[0], want,
                                   atol=1e-5)
    assert result.notes["sizes"] == ("any batch size, and tokens of any length (checked at 32, "
                                     "16, 64)")
    assert "fixed_length" not in result.notes


def test_a_signal_cnn_onnx_file_takes_signals_of_any_length_along_their_last_axis(tmp_path):
    """cnn1d-sequence pools globally, so its model reads [1, L] of any L; its ONNX file read
    only 128 samples ('index: 2 Got: 300 Expected: 128'). Its channels stay fixed."""
    graph, model = _small("cnn1d-sequence")
    result = export_model(graph, "onnx", tmp_path / "m.onnx", model.state_dict())
    session = _session(tmp_path / "m.onnx")
    for batch, length in ((1, 300), (3, 128), (2, 40)):
        x = torch.randn(batch, 1, length)
        with torch.no_grad():
            want = model(x).numpy()
        np.testing.assert_allclose(session.run(None, {"signal": x.numpy()})[0], want, atol=1e-5)
    assert result.notes["sizes"] == ("any batch size, and signal of any length along its last "
                                     "axis (checked at 128, 64, 256)")
    imported, _, diff = import_onnx(tmp_path / "m.onnx")  # its length the design's variable
    assert diff < 1e-4
    assert [n.params["shape"] for n in imported.nodes if n.type == "Input"] == [[1, "=length"]]
    assert imported.variables["length"] == 128


def test_a_transformer_onnx_file_takes_lengths_up_to_its_positional_table_and_imports_back(
        tmp_path):
    graph, model = _small("transformer-text", d_model=16, heads=2, layers=1, vocab=50)
    result = export_model(graph, "onnx", tmp_path / "m.onnx", model.state_dict())
    session = _session(tmp_path / "m.onnx")
    for batch, length in ((1, 9), (3, 32)):
        ids = torch.randint(0, 50, (batch, length))
        with torch.no_grad():
            want = model(ids).numpy()
        np.testing.assert_allclose(session.run(None, {"tokens": ids.numpy()})[0], want,
                                   atol=1e-5)
    assert result.notes["sizes"] == ("any batch size, and tokens of any length up to 32 (the "
                                     "model itself takes no more; checked at 16)")
    # import-onnx takes the length as the variable 'length', at the design's, which the file's
    # metadata keeps
    imported, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert [n.params["shape"] for n in imported.nodes if n.type == "Input"] == [["=length"]]
    assert imported.variables["length"] == 32


def test_a_file_that_fixes_the_length_says_so_at_export(tmp_path, capsys, monkeypatch):
    """Where neither exporter keeps the length free, the file is written for the design's
    length alone, and the export warns which length it takes."""
    monkeypatch.setattr(onnx_format, "free_lengths", lambda *args: None)
    graph, _ = _small("lstm-text", vocab=50, embed_dim=8, hidden=8)
    (tmp_path / "g.json").write_text(dumps_graph(graph))
    assert main(["export", str(tmp_path / "g.json"), "-f", "onnx",
                 "-o", str(tmp_path / "m.onnx")]) == 0
    out = capsys.readouterr().out
    assert ("warning: this file takes any batch size, but only tokens of exactly 32: pad or cut "
            "them to 32 (the model itself takes other lengths: 16 and 64 were checked; this "
            "file refuses them or gives other outputs)") in out
    with pytest.raises(Exception, match="Got: 16 Expected: 32"):
        _session(tmp_path / "m.onnx").run(None, {"tokens": np.zeros((1, 16), np.int64)})
    # the TorchScript file keeps the length free, and says that
    assert main(["export", str(tmp_path / "g.json"), "-f", "torchscript",
                 "-o", str(tmp_path / "m.pt")]) == 0
    assert ("takes: any batch size, and tokens of any length (checked at 32, 16, 64)"
            in capsys.readouterr().out)


def test_a_bundle_card_says_what_each_file_takes(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_format, "free_lengths", lambda *args: None)
    graph, model = _small("lstm-text", vocab=50, embed_dim=8, hidden=8)
    run = RunInfo(dataset={"name": "reviews", "task": "classification",
                           "classes": ["neg", "pos"], "vocab": ["<pad>", "<unk>", "good"]},
                  state_dict=model.state_dict())
    result = export_model(graph, "bundle", tmp_path / "b.zip", run=run)
    assert result.notes["fixed_length"] is True
    assert result.notes["sizes"].startswith(
        "graph.json: any batch size, and tokens of any length (checked at 32, 16, 64); ")
    assert result.notes["sizes"].endswith(
        "model.onnx: any batch size, but only tokens of exactly 32: pad or cut them to 32 (the "
        "model itself takes other lengths: 16 and 64 were checked; this file refuses them or "
        "gives other outputs)")
    with zipfile.ZipFile(result.path) as archive:
        card = archive.read("README.md").decode()
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"]["model.onnx"]["takes"].startswith(
        "any batch size, but only tokens of exactly 32")
    assert "| model.onnx |" in card and "only tokens of exactly 32: pad or cut them to 32" in card


def test_a_file_wrong_on_a_batch_of_one_is_refused(monkeypatch, tmp_path):
    """Traced on a batch of 2, checked on 3: a file that computes otherwise on a batch of one,
    a user's first call, is an export failure too."""
    real = FORMATS["torchscript"]

    def load(ref, path):
        runner = real.load(ref, path)
        return lambda inputs: [o + 1 if inputs[0].shape[0] == 1 else o for o in runner(inputs)]

    monkeypatch.setitem(FORMATS, "torchscript", Format(
        real.name, real.suffix, real.help, real.write, load))
    graph, _ = _small("mlp-tabular")
    with pytest.raises(ExportError, match=r"^torchscript export failed: on a batch of 1, output 0 "
                                          r"differs from the model's by up to 1 "):
        export_model(graph, "torchscript", tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []



PREDICT = """
import runpy, sys
sys.argv = ["predict.py", *sys.argv[1:]]
runpy.run_path("predict.py", run_name="__main__")
"""


def test_predict_py_cuts_or_pads_a_npy_of_token_ids_as_its_card_says(tmp_path, isolated):
    """The card says a .npy of token ids is 'cut or padded to 32', as a text's words are;
    predict.py refused one of 20 ('holds an array of shape [20]; the model takes one sample of
    shape [32]')."""
    graph, model = _small("lstm-text", vocab=50, embed_dim=8, hidden=8)
    run = RunInfo(dataset={"name": "reviews", "task": "classification",
                           "classes": ["neg", "pos"], "vocab": [f"w{i}" for i in range(50)]},
                  state_dict=model.state_dict())
    result = export_model(graph, "bundle", tmp_path / "b.zip", run=run)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    assert "cut or padded to 32" in (folder / "README.md").read_text()
    ids = torch.randint(2, 50, (2, 40))
    padded = torch.zeros(3, 32, dtype=torch.long)
    padded[0, :20] = ids[0, :20]  # 20 ids, padded with 0 (<pad>)
    padded[1:] = ids[:, :32]  # 40 ids, cut to 32
    with torch.no_grad():
        want = torch.softmax(model(padded).double(), -1).numpy()
    np.save(folder / "short.npy", ids[0, :20].numpy())
    np.save(folder / "long.npy", ids.numpy())
    got = []
    for name in ("short.npy", "long.npy"):
        done = isolated(PREDICT, folder, name, "--top", "2")
        assert done.returncode == 0, done.stderr
        got += [[json.loads(line)["probabilities"][c] for c in ("neg", "pos")]
                for line in done.stdout.splitlines()]
    np.testing.assert_allclose(got, want, atol=2e-6)
