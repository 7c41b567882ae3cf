"""A file argument given as "" (a shell variable not set: ``layerloom train "$GRAPH"``) is one
line saying the name is empty, exit 2. A graph's empty name was read as the current folder
("error: .: cannot read the file (Is a directory)"), import-onnx said "no ONNX file " and
explain ": is a folder, not a file"; an ONNX "file" that is a folder was "no ONNX file"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from layerloom.cli import main

EMPTY = "the file's name is empty (a shell variable not set, such as \"$GRAPH\"?)"
GRAPH = f"error: {EMPTY}: give a graph file, such as cnn.json, or a template's name " \
        f"(layerloom templates lists them)\n"


@pytest.mark.parametrize("argv", [
    ["validate", ""], ["summary", ""], ["codegen", ""], ["export", "", "-f", "onnx"],
    ["train", "", "--dataset", "iris"], ["sweep", "", "--dataset", "iris", "--param", "lr=0.1,0.01"],
    ["lr-find", "", "--dataset", "iris"]])
def test_an_empty_graph_name_is_said(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    assert main(argv) == 2
    assert capsys.readouterr().err == GRAPH


def test_an_empty_or_folder_onnx_file_is_said(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["import-onnx", "", "-o", "net.json"]) == 2
    assert capsys.readouterr().err == f"error: {EMPTY}: give the ONNX file, such as model.onnx\n"
    (tmp_path / "exported").mkdir()
    assert main(["import-onnx", "exported", "-o", "net.json"]) == 2
    assert capsys.readouterr().err == ("error: exported is a folder; give the ONNX file in it, "
                                       "such as exported/model.onnx\n")


def test_an_empty_input_to_explain_is_said(tmp_path):
    done = subprocess.run([sys.executable, "-m", "layerloom", "explain", "1", "--input", "",
                           "--home", str(tmp_path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"error: --input: {EMPTY}: give the input to explain, such as "
                           f"digit.png\n")
