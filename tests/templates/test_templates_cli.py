"""``layerloom templates`` and ``layerloom new --template NAME -o FILE``."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.graph import load_graph, summarize
from layerloom.graph.templates import template_names, template_text


def test_templates_lists_every_template_as_a_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "task", "params", "input", "→", "output", "description"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert sorted(rows) == template_names()
    assert rows["seed-cnn"].split()[:4] == ["seed-cnn", "classification", "34,826", "[1,"]
    assert "[1, 28, 28] → [10]" in rows["seed-cnn"]
    assert "11,689,512  [3, 224, 224] → [1000]" in rows["resnet18"]
    assert "5,288,548" in rows["efficientnet-b0"]
    assert "reconstruction" in rows["conv-autoencoder"]
    assert "[1, 28, 28] → [1, 28, 28]" in rows["conv-autoencoder"]
    assert "Small CNN for 28×28 digits" in rows["seed-cnn"]


def test_templates_table_fits_a_narrow_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert any(line.endswith("…") for line in lines)


def test_templates_json(capsys):
    assert main(["templates", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == template_names()
    seed = entries[template_names().index("seed-cnn")]
    assert seed["params"] == 34_826 and seed["dataset"] == "mnist-5k"


def test_new_copies_the_template(tmp_path, capsys):
    out = tmp_path / "my.json"
    assert main(["new", "--template", "resnet-mini", "-o", str(out)]) == 0
    assert f"wrote {out} from template 'resnet-mini'" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8") == template_text("resnet-mini")
    graph = load_graph(out)
    assert graph.extra["dataset"] == "mnist-5k"
    assert summarize(graph).outputs == [[10]]


def test_new_defaults_to_the_template_name_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "-t", "lenet5"]) == 0
    assert (tmp_path / "lenet5.json").read_text(encoding="utf-8") == template_text("lenet5")


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "my.json"
    out.write_text("my work", encoding="utf-8")
    assert main(["new", "--template", "seed-cnn", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: {out} already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "my work"
    assert main(["new", "--template", "seed-cnn", "-o", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8") == template_text("seed-cnn")


def test_new_with_an_unknown_template_suggests_one(tmp_path, capsys):
    out = tmp_path / "my.json"
    assert main(["new", "--template", "lenet", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error: no template 'lenet' (did you mean 'lenet5'?)" in err
    assert "seed-cnn" in err
    assert not out.exists()


def test_new_into_a_missing_folder_fails_cleanly(tmp_path, capsys):
    out = tmp_path / "nowhere" / "my.json"
    assert main(["new", "--template", "seed-cnn", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out}: there is no folder {out.parent} to put "
                                       f"it in; make it first, or give a path in a folder that "
                                       f"exists\n")


def test_new_to_stdout(capsys):
    assert main(["new", "--template", "mlp-tabular", "-o", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "mlp-tabular"


def test_new_needs_a_template(capsys):
    with pytest.raises(SystemExit) as info:
        main(["new", "-o", "x.json"])
    assert info.value.code == 2
    assert "--template" in capsys.readouterr().err
