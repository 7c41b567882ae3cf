"""``layerloom new seed-cnn``: the template's name as the first word, as other tools' ``new``
takes it (``layerloom templates`` says "layerloom new copies one"). It was refused by argparse
("the following arguments are required: --template/-t"); ``--template NAME`` still works."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main


def test_new_takes_the_templates_name_as_its_first_word(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "mlp-tabular", "-o", "mlp.json"]) == 0
    assert "wrote mlp.json from template 'mlp-tabular'" in capsys.readouterr().out
    design = json.loads((tmp_path / "mlp.json").read_text())
    assert {n["type"] for n in design["nodes"]} >= {"Input", "Linear", "Output"}


def test_new_with_the_option_and_the_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "--template", "seed-cnn"]) == 0
    assert main(["new", "seed-cnn", "-t", "seed-cnn", "-o", "b.json"]) == 0  # the same name twice
    assert (tmp_path / "seed-cnn.json").read_text() == (tmp_path / "b.json").read_text()


def test_new_with_two_names_or_none_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:  # a usage error, as argparse's own: exit 2
        main(["new", "seed-cnn", "-t", "lenet5"])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: two templates named: 'seed-cnn' and --template 'lenet5'; give one\n")
    with pytest.raises(SystemExit) as info:
        main(["new"])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: name a template: layerloom new NAME, or --template NAME (`layerloom templates` "
        "lists them)\n")
    assert list(tmp_path.iterdir()) == []
