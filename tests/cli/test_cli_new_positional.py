"""``layerloom new seed-cnn``: the template's name as the first word, as other tools' ``new``
takes it (``layerloom templates`` says "layerloom new copies one"). It was refused by argparse
("the following arguments are required: --template/-t"); ``--template NAME`` still works."""

from __future__ import annotations

import json

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
    assert main(["new", "seed-cnn", "-t", "lenet5"]) == 1
    err = capsys.readouterr().err
    assert err == ("error: two templates named: 'seed-cnn' and --template 'lenet5'; give one\n")
    assert main(["new"]) == 1
    assert capsys.readouterr().err == (
        "error: name a template, e.g. `layerloom new seed-cnn` (`layerloom templates` lists "
        "them)\n")
    assert list(tmp_path.iterdir()) == []
