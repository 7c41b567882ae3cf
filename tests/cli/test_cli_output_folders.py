"""An output path in a folder that is not there: every command says so in the same one line,
with what to do, exit 2, before its work and with nothing half written. They said it five ways
("cannot write x.py: No such file or directory", "cannot write n.json.tmp: ...", a safetensors
"I/O error ... .tmpuXtu6j" with a traceback hint and exit 1 after the design was written, an
explanation computed and then refused), none of which said what to do."""

from __future__ import annotations

import errno

import pytest

from layerloom.cli import main
from layerloom.cli.common import report_exception


def _missing(path: str) -> str:
    folder = path.rsplit("/", 1)[0]
    return (f"error: {path}: there is no folder {folder} to put it in; make it first, or give a "
            f"path in a folder that exists\n")


@pytest.mark.parametrize("argv, written", [
    (["codegen", "seed-cnn", "-o", "nofolder/model.py"], "nofolder/model.py"),
    (["new", "--template", "lenet5", "-o", "nofolder/net.json"], "nofolder/net.json"),
    (["import-torch", "nomodule:Net", "--input-shape", "4", "-o", "nofolder/net.json"],
     "nofolder/net.json"),
    (["import-torch", "nomodule:Net", "--input-shape", "4", "-o", "net.json", "--weights",
      "nofolder/w.safetensors"], "nofolder/w.safetensors"),
    (["import-onnx", "model.onnx", "-o", "net.json", "--weights", "nofolder/w.safetensors"],
     "nofolder/w.safetensors"),
    (["explain", "1", "--input", "digit.png", "-o", "nofolder/why.png"], "nofolder/why.png"),
])
def test_a_missing_output_folder_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv,
                                                        written):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    (tmp_path / "model.onnx").write_bytes(b"not read: the folder is checked first")
    (tmp_path / "digit.png").write_bytes(b"not read either")
    assert main(argv) == 2
    assert capsys.readouterr().err == _missing(written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digit.png", "model.onnx"]


def test_export_says_what_to_do_too(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "seed-cnn", "-f", "onnx", "-o", "nofolder/m.onnx"]) == 2
    assert capsys.readouterr().err == (
        "error: onnx export failed: no folder nofolder to write m.onnx into; make it first, or "
        "give a path in a folder that exists\n")


def test_explain_to_a_folder_is_said_before_the_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["explain", "1", "--input", "digit.png", "-o", "out", "--force",
                 "--home", str(tmp_path / "home")]) == 1
    assert capsys.readouterr().err == (
        "error: out is a folder; give the path of a file, such as out/why.png\n")


@pytest.mark.parametrize("exc, line", [
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "gone/out.png"),
     "error: gone/out.png: there is no folder gone to put it in; make it first, or give a path "
     "in a folder that exists"),
    (PermissionError(errno.EACCES, "Permission denied", "locked.png"),
     "error: locked.png: permission denied; choose a file and folder you may use, or change "
     "their permissions"),
])
def test_an_unforeseen_file_error_is_one_line_with_what_to_do(tmp_path, monkeypatch, capsys,
                                                              exc, line):
    monkeypatch.chdir(tmp_path)
    assert report_exception(exc, debug=False) == 2
    assert capsys.readouterr().err == line + "\n"  # no "(run --debug ...)" line after it
