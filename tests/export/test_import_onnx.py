"""``import-onnx``: every template exported to ONNX imports back and gives the same outputs
(the file's own, through onnxruntime, and the original design's); what cannot import is said."""

from __future__ import annotations

import pytest
import torch

from layerloom.cli import main
from layerloom.graph import compile_graph, load_graph, validate
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template

IMPORTED = ["cnn1d-sequence", "conv-autoencoder",
            pytest.param("efficientnet-b0", marks=pytest.mark.slow),  # ~25 s on 2 cores
            "lenet5", "mlp-tabular", "resnet-mini",
            pytest.param("resnet18", marks=pytest.mark.slow),  # resnet-mini has its ops
            "seed-cnn", "transformer-text", "lstm-text"]
# every template imports (the text ones at several opsets, with weights of a real scale and
# what still cannot import: test_import_onnx_text.py); lstm-text's LSTM, given its padding
# mask, as packed sequences (an ONNX LSTM given sequence_lens: test_import_onnx_packed_recurrent)


def _sample(graph, n=4):
    res = validate(graph).resolution
    out = []
    for i in res.top.inputs:
        info = res.top.nodes[i]
        out.append(torch.randint(0, 5, (n, *info.shape)) if info.dtype == "int64"
                   else torch.randn(n, *info.shape))
    return out


@pytest.mark.parametrize("name", IMPORTED)
def test_template_round_trips_through_onnx(name, tmp_path):
    original = load_template(name)
    torch.manual_seed(0)
    model = compile_graph(original).eval()
    for m in model.modules():  # statistics other than 0 and 1, so that they matter
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 1.5)
    export_model(original, "onnx", tmp_path / "m.onnx", model.state_dict())
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert [n.id for n in graph.nodes if n.type == "Input"] == \
        [n.id for n in original.nodes if n.type == "Input"]
    imported = compile_graph(graph).eval()
    imported.load_state_dict(state, strict=True)
    xs = _sample(original)
    with torch.no_grad():
        torch.testing.assert_close(imported(*xs), model(*xs), atol=1e-4, rtol=1e-4)


def test_cli_writes_graph_and_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    export_model(load_template("seed-cnn"), "onnx", tmp_path / "seed.onnx")
    code = main(["import-onnx", "seed.onnx", "-o", "g.json", "--weights", "w.safetensors"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "compiled graph matches onnxruntime on the file" in out.out
    graph = load_graph(tmp_path / "g.json")
    assert graph.name == "seed" and {"Conv2d", "MaxPool2d", "Linear"} <= {n.type for n in
                                                                         graph.nodes}
    # the weights travel on: export takes them
    code = main(["export", "g.json", "-f", "onnx", "-o", "again.onnx", "--weights",
                 "w.safetensors"])
    assert code == 0, capsys.readouterr().err
    code = main(["import-onnx", "missing.onnx", "-o", "x.json"])
    assert code == 2 and "no ONNX file missing.onnx" in capsys.readouterr().err
    (tmp_path / "bad.onnx").write_bytes(b"\x00\x01 not a protobuf")
    code = main(["import-onnx", "bad.onnx", "-o", "x.json"])
    assert code == 1 and "bad.onnx is not a valid ONNX model" in capsys.readouterr().err
    # a second import to the same files keeps them, unless --force
    before = (tmp_path / "g.json").read_text()
    (tmp_path / "g.json").write_text(before.replace('"seed"', '"edited"'))
    code = main(["import-onnx", "seed.onnx", "-o", "g.json"])
    assert code == 1 and "g.json already exists" in capsys.readouterr().err
    assert load_graph(tmp_path / "g.json").name == "edited"
    code = main(["import-onnx", "seed.onnx", "-o", "g.json", "--force"])
    assert code == 0 and load_graph(tmp_path / "g.json").name == "seed"
