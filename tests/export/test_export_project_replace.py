"""Exporting a project over an existing one (``--force``, ``overwrite=True``): the old folder was
deleted before the new one was moved in, so an export stopped at that moment (Ctrl+C) left
neither. The old folder is now moved aside and deleted only once the new one is in place."""

from __future__ import annotations

import os

import pytest

from layerloom.graph.templates import load_template
import layerloom.runtime.export_project as project_module
from layerloom.runtime.export_project import export_project

CONFIG = {"epochs": 1, "batch_size": 16}


def test_an_export_stopped_while_replacing_keeps_the_old_project_whole(tmp_path, monkeypatch):
    target = tmp_path / "proj"
    export_project(load_template("mlp-tabular"), "iris", target, CONFIG)
    (target / "notes.txt").write_text("my notes")
    before = sorted(p.name for p in target.iterdir())
    real_replace = os.replace

    def replace(src, dst):  # Ctrl+C just as the new project would take the old one's place
        if os.fspath(dst) == os.fspath(target) and ".layerloom-project-" in os.fspath(src):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(project_module.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        export_project(load_template("mlp-tabular"), "iris", target, CONFIG, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == before
    assert (target / "notes.txt").read_text() == "my notes"
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]  # no temporary folder left


def test_overwriting_replaces_the_project_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "proj"
    export_project(load_template("mlp-tabular"), "iris", target, CONFIG)
    (target / "notes.txt").write_text("my notes")
    result = export_project(load_template("mlp-tabular"), "iris", target, CONFIG,
                            overwrite=True)
    assert result.path == target and (target / "model.py").is_file()
    assert not (target / "notes.txt").exists()  # replaced, as overwriting says
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]
