"""``layerloom new -o`` naming a folder says so, exit 2 (a file that cannot be written), as
``codegen`` and ``export`` do; it said ". already exists; ... add --force to overwrite it",
and --force then could not. ``export`` takes a template's name, as ``codegen`` does."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_new_into_a_folder_is_refused_naming_it(tmp_path, monkeypatch, capsys, force):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "designs").mkdir()
    assert main(["new", "-t", "seed-cnn", "-o", "designs", *force]) == 2
    assert capsys.readouterr().err == (
        "error: designs is a folder; give the name of a file to write, e.g. "
        "designs/seed-cnn.json\n")


def test_export_takes_a_templates_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "json", "-o", "mlp.json"]) == 0
    assert main(["validate", "mlp.json"]) == 0
