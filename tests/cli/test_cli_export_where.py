"""``layerloom export -o`` where nothing can be written exits 2, as the README says of "a file
that cannot be opened or written at all (missing, a folder, no permission)" and as ``codegen``
does: it exited 1, the code of a design or data that is wrong."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("output, message", [
    ("nodir/m.onnx", "error: onnx export failed: no folder nodir to write m.onnx into; make it "
                     "first, or give a path in a folder that exists\n"),
    (".", "error: . is a folder; give the name of a file to write, e.g. mlp-tabular.onnx\n"),
    ("out", "error: out is a folder; give the name of a file to write, e.g. "
            "out/mlp-tabular.onnx\n"),
])
def test_an_output_that_cannot_be_written_exits_2(tmp_path, monkeypatch, capsys, output,
                                                  message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["new", "-t", "mlp-tabular", "-o", "g.json"]) == 0
    capsys.readouterr()
    assert main(["export", "g.json", "-f", "onnx", "-o", output]) == 2
    assert capsys.readouterr().err == message
    assert main(["codegen", "g.json", "-o", "nodir/m.py"]) == 2  # as codegen


def test_an_existing_file_is_still_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.onnx").write_text("mine")
    assert main(["new", "-t", "mlp-tabular", "-o", "g.json"]) == 0
    assert main(["export", "g.json", "-f", "onnx", "-o", "m.onnx"]) == 1
    assert "m.onnx already exists" in capsys.readouterr().err
