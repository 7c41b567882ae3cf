"""An output path under a file (``-o notes.txt/model.py``: a folder was meant): every command
says that the file is no folder, in one line, exit 2, and writes nothing. ``codegen`` and
``new`` said "notes.txt/model.py: Not a directory", ``import-torch`` and ``export`` that there
was no folder notes.txt (there is: as a file), and ``export -f project`` exited 1 where a
missing folder is exit 2 in every other command."""

from __future__ import annotations

import pytest

from layerloom.cli import main

NET = "from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n" \
      "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n" \
      "    def forward(self, x):\n        return self.fc(x)\n"


@pytest.mark.parametrize("argv, line", [
    (["codegen", "seed-cnn", "-o", "notes.txt/model.py"],
     "notes.txt/model.py: notes.txt is a file, not a folder; give a path in a folder that "
     "exists"),
    (["new", "--template", "lenet5", "-o", "notes.txt/net.json"],
     "notes.txt/net.json: notes.txt is a file, not a folder; give a path in a folder that "
     "exists"),
    (["import-torch", "net.py:Net", "--input-shape", "4", "-o", "notes.txt/net.json"],
     "notes.txt/net.json: notes.txt is a file, not a folder; give a path in a folder that "
     "exists"),
    (["export", "seed-cnn", "-f", "onnx", "-o", "notes.txt/m.onnx"],
     "onnx export failed: notes.txt is a file, not a folder, so m.onnx cannot be written in "
     "it; give a path in a folder that exists"),
    (["export", "mlp-tabular", "-f", "project", "--data", "iris", "-o", "notes.txt/p"],
     "notes.txt is a file, not a folder, so the project p cannot be written in it; give a path "
     "in a folder that exists"),
])
def test_an_output_under_a_file_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv,
                                                       line):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    (tmp_path / "net.py").write_text(NET)
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {line}\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == [
        "net.py", "notes.txt"]


def test_a_missing_project_folder_is_exit_2_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "project", "--data", "iris", "-o",
                 "nofolder/p"]) == 2
    assert capsys.readouterr().err == (
        "error: no folder nofolder to write the project p into; make it first, or give a path "
        "in a folder that exists\n")
