"""An export's hidden scratch folder (``.layerloom-export-*``, ``.layerloom-project-*``) is
never left behind by an interrupt that lands just as the folder is made: it was made by
``tempfile.mkdtemp`` before the ``try`` that deletes it, and a SIGHUP turned into a
KeyboardInterrupt there left it (seen once in CI, test_cli_stop_signals.py)."""

from __future__ import annotations

import os

import pytest

from layerloom.graph.export import export_model
from layerloom.graph.templates import load_template
from layerloom.runtime.data import load_dataset
from layerloom.runtime.export_project import export_project


@pytest.fixture()
def interrupted_as_made(monkeypatch):
    """os.mkdir makes a scratch folder, then the interrupt lands (as a signal's would)."""
    real = os.mkdir

    def mkdir(path, mode=0o777, *args, **kwargs):
        real(path, mode, *args, **kwargs)
        if os.path.basename(os.fspath(path)).startswith(".layerloom-"):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "mkdir", mkdir)


def test_an_export_interrupted_as_its_folder_is_made_leaves_nothing(tmp_path,
                                                                   interrupted_as_made):
    with pytest.raises(KeyboardInterrupt):
        export_model(load_template("seed-cnn"), "onnx", tmp_path / "net.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_project_interrupted_as_its_folder_is_made_leaves_nothing(tmp_path,
                                                                   interrupted_as_made):
    with pytest.raises(KeyboardInterrupt):
        export_project(load_template("mlp-tabular"), load_dataset("iris"), tmp_path / "proj")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture()
def old_project(tmp_path):
    """A project folder already there, which an export with overwrite replaces (its config.json
    says it is a project exported before: overwrite replaces no other folder)."""
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "train.py").write_text("# the old project\n")
    (folder / "config.json").write_text('{"format": "layerloom-project"}\n')
    return folder


def _only_the_old_project(tmp_path):
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]  # no .proj.replaced-* left
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == ["config.json", "train.py"]
    assert (tmp_path / "proj" / "train.py").read_text() == "# the old project\n"


def test_a_project_over_a_folder_interrupted_as_its_aside_folder_is_made_leaves_the_old_one(
        tmp_path, old_project, monkeypatch):
    real = os.mkdir

    def mkdir(path, mode=0o777, *args, **kwargs):
        real(path, mode, *args, **kwargs)
        if os.path.basename(os.fspath(path)).startswith(".proj.replaced-"):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "mkdir", mkdir)
    with pytest.raises(KeyboardInterrupt):
        export_project(load_template("mlp-tabular"), load_dataset("iris"), old_project,
                       overwrite=True)
    _only_the_old_project(tmp_path)


def test_a_project_over_a_folder_interrupted_as_the_old_one_is_moved_aside_puts_it_back(
        tmp_path, old_project, monkeypatch):
    real = os.replace

    def replace(source, destination, *args, **kwargs):
        real(source, destination, *args, **kwargs)
        if os.path.basename(os.path.dirname(os.fspath(destination))).startswith(
                ".proj.replaced-"):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        export_project(load_template("mlp-tabular"), load_dataset("iris"), old_project,
                       overwrite=True)
    _only_the_old_project(tmp_path)


def test_a_project_over_a_folder_replaces_it_and_leaves_nothing_aside(tmp_path, old_project):
    export_project(load_template("mlp-tabular"), load_dataset("iris"), old_project,
                   overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]
    assert (old_project / "train.py").read_text() != "# the old project\n"


@pytest.mark.parametrize("name", ["p" * 240, "é" * 120], ids=["240 letters", "240 bytes"])
def test_a_project_with_a_long_name_can_be_replaced(tmp_path, name):
    """Its aside folder was ``.NAME.replaced-`` and 12 letters: 263 bytes, over the 255 a
    file name may have, so exporting it again failed with 'File name too long' naming that
    hidden folder."""
    folder = tmp_path / name
    export_project(load_template("mlp-tabular"), load_dataset("iris"), folder)
    (folder / "mine.txt").write_text("left by the user\n")
    export_project(load_template("mlp-tabular"), load_dataset("iris"), folder, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert not (folder / "mine.txt").exists() and (folder / "train.py").is_file()
