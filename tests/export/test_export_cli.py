"""``layerloom export GRAPH --format F -o PATH``: the check's result and the size, or the
error."""

from __future__ import annotations

import json

from layerloom.cli import main
from layerloom.graph import dumps_graph
from layerloom.graph.templates import load_template


def test_export_prints_the_check_and_the_size(tmp_path, capsys):
    graph = tmp_path / "seed.json"
    graph.write_text(dumps_graph(load_template("seed-cnn")))
    assert main(["export", str(graph), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'm.onnx'} (onnx, fresh weights (seed 0))" in out
    assert "verified: max abs diff " in out and " kB; " in out
    assert (tmp_path / "m.onnx").stat().st_size > 100_000


def test_export_bundle_lists_its_parts(tmp_path, capsys, log_gamma_block):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(log_gamma_block))
    assert main(["export", str(graph), "-f", "bundle", "-o", str(tmp_path / "b.zip")]) == 0
    out = capsys.readouterr().out
    assert "  model.torchscript.pt: loaded back, max abs diff " in out
    assert "  model.onnx: left out: bundle/onnx export failed at gamma (LogGamma)" in out


def test_export_errors(tmp_path, capsys, log_gamma_block):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(log_gamma_block))
    assert main(["export", str(graph), "-f", "onnx", "-o", str(tmp_path / "m.onnx")]) == 1
    assert ("error: onnx export failed at gamma (LogGamma): Exporting the operator "
            "'aten::lgamma' to ONNX opset version 17 is not supported") \
        in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()
    assert main(["export", str(tmp_path / "none.json"), "-f", "onnx"]) == 2
    assert "no such file" in capsys.readouterr().err
