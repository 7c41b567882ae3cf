"""An export of several files (``-f python``: the code and the weights it loads) is put in place
all together or not at all. Its files were moved one after the other, so a Ctrl+C between the
two moves left the new code beside the old weights, an export that looked whole and loaded the
wrong numbers, and the command said only "interrupted"."""

from __future__ import annotations

import os

import pytest

from layerloom.cli import main
from layerloom.graph import place_files
from layerloom.graph.place_files import place_together


def _stop_at_move(monkeypatch, number: int, error: BaseException) -> None:
    """``os.replace`` raises ``error`` at its ``number``-th move into the export's folder."""
    real_replace, moves = os.replace, []

    def replace(src, dst):
        if ".layerloom-export-" in os.fspath(src):
            moves.append(dst)
            if len(moves) == number:
                raise error
        return real_replace(src, dst)

    monkeypatch.setattr(place_files.os, "replace", replace)


def _export_python(tmp_path, hidden: int) -> int:
    """mlp-tabular as net.py and net.safetensors, its code and weights as wide as ``hidden``."""
    return main(["export", "mlp-tabular", "-f", "python", "-o", str(tmp_path / "net.py"),
                 "--set", f"hidden={hidden}", "--force"])


def test_ctrl_c_between_the_code_and_its_weights_keeps_the_old_export_whole(
        tmp_path, monkeypatch, capsys):
    assert _export_python(tmp_path, 64) == 0
    old = {name: (tmp_path / name).read_bytes() for name in ("net.py", "net.safetensors")}
    capsys.readouterr()
    _stop_at_move(monkeypatch, 2, KeyboardInterrupt())  # the code moved in, not yet the weights
    assert _export_python(tmp_path, 32) == 130
    assert {name: (tmp_path / name).read_bytes() for name in old} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.py", "net.safetensors"]
    assert capsys.readouterr().err.splitlines() == [
        f"the python export was stopped before it was complete: nothing written; "
        f"{tmp_path / 'net.py'} and {tmp_path / 'net.safetensors'} are as before",
        "interrupted"]


def test_a_first_export_stopped_half_way_leaves_no_file(tmp_path, monkeypatch, capsys):
    _stop_at_move(monkeypatch, 2, KeyboardInterrupt())
    assert _export_python(tmp_path, 64) == 130
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().err.splitlines()[0] == (
        "the python export was stopped before it was complete: nothing written")


def test_a_failed_second_move_restores_the_first_file(tmp_path, monkeypatch):
    """The same for a move that fails (a full disk, a permission), not only Ctrl+C."""
    assert _export_python(tmp_path, 64) == 0
    old = (tmp_path / "net.py").read_bytes()
    _stop_at_move(monkeypatch, 2, PermissionError(13, "Permission denied"))
    assert _export_python(tmp_path, 32) != 0
    assert (tmp_path / "net.py").read_bytes() == old


def test_place_together_moves_every_file_or_none(tmp_path, monkeypatch):
    new, keep = tmp_path / "new", tmp_path / "keep"
    new.mkdir()
    keep.mkdir()
    (tmp_path / "a.txt").write_text("old a")
    for name in ("a.txt", "b.txt"):
        (new / name).write_text(f"new {name[0]}")
    moves = [(new / "a.txt", tmp_path / "a.txt"), (new / "b.txt", tmp_path / "b.txt")]
    real_replace = os.replace

    def replace(src, dst):
        if os.fspath(dst).endswith("b.txt"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(place_files.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        place_together(moves, keep)
    assert (tmp_path / "a.txt").read_text() == "old a" and not (tmp_path / "b.txt").exists()
    monkeypatch.setattr(place_files.os, "replace", real_replace)
    assert place_together([(new / "b.txt", tmp_path / "b.txt")], keep) == [tmp_path / "b.txt"]
    assert (tmp_path / "b.txt").read_text() == "new b"


NET = """
from torch import nn


class Net(nn.Module):
    def __init__(self, width=WIDTH):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)
"""


def _import(tmp_path, width: int) -> int:
    """import-torch of a Linear(4, ``width``) as net.json with its weights as net.safetensors."""
    (tmp_path / f"net{width}.py").write_text(NET.replace("WIDTH", str(width)))
    return main(["import-torch", str(tmp_path / f"net{width}.py:Net"), "--input-shape", "4",
                 "-o", str(tmp_path / "out" / "net.json"), "--weights",
                 str(tmp_path / "out" / "net.safetensors"), "--force"])


def test_an_import_stopped_between_the_design_and_its_weights_keeps_the_old_pair(
        tmp_path, monkeypatch):
    """import-torch (and import-onnx) wrote the design, then the weights: stopped between the
    two, the new design lay beside the old weights (and a net.safetensors.tmp)."""
    (tmp_path / "out").mkdir()
    assert _import(tmp_path, 3) == 0
    old = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    real_replace, moves = os.replace, []

    def replace(src, dst):  # Ctrl+C as the second file is moved into place
        if os.path.dirname(dst) == str(tmp_path / "out"):
            moves.append(dst)
            if len(moves) == 2:
                raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(place_files.os, "replace", replace)
    assert _import(tmp_path, 5) == 130
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == old


def test_a_project_export_stopped_says_the_old_folder_is_as_before(tmp_path, monkeypatch,
                                                                   capsys):
    """It said only "interrupted", leaving the user to wonder what became of the folder."""
    target = tmp_path / "proj"
    args = ["export", "mlp-tabular", "-f", "project", "--data", "iris", "-o", str(target)]
    assert main(args) == 0
    (target / "notes.txt").write_text("my notes")
    capsys.readouterr()
    real_replace = os.replace

    def replace(src, dst):  # Ctrl+C just as the new project would take the old one's place
        if os.fspath(dst) == os.fspath(target) and ".layerloom-project-" in os.fspath(src):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert main([*args, "--force"]) == 130
    assert (target / "notes.txt").read_text() == "my notes"
    assert capsys.readouterr().err.splitlines() == [
        f"the project export was stopped before it was complete: nothing written; {target} is "
        f"as before", "interrupted"]
