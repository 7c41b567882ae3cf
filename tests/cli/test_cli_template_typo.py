"""A command that takes a graph file or a template's name (``layerloom train mlp-tabular``, as
the README shows) answers a mistyped name as ``layerloom new -t`` does: the name it was probably
meant to be, and the templates, exit 1 (wrong input). It said only "seed-cn: no such file" and
exited 2; a missing path with a suffix (``missing.json``) is still a file that is not there.
``summary`` and ``codegen`` take a template's name too, as ``validate`` and ``train`` do."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.graph.templates import template_names


@pytest.mark.parametrize("command", [
    ["train", "seed-cn", "-d", "mnist-5k", "--no-record"],
    ["validate", "seed-cn"],
    ["summary", "seed-cn"],
    ["codegen", "seed-cn"],
])
def test_a_mistyped_template_name_is_suggested(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    assert capsys.readouterr().err == (
        f"error: seed-cn: no such file, nor a template of that name (did you mean 'seed-cnn'?); "
        f"the templates are: {', '.join(template_names())}\n")


def test_a_missing_json_file_is_still_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "seed-cnn.json", "-d", "mnist-5k", "--no-record"]) == 2
    assert capsys.readouterr().err == "error: seed-cnn.json: no such file\n"


def test_summary_and_codegen_take_a_templates_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["summary", "mlp-tabular"]) == 0
    assert "Linear" in capsys.readouterr().out
    assert main(["codegen", "mlp-tabular", "-o", "mlp.py"]) == 0
    assert "import torch" in (tmp_path / "mlp.py").read_text()
