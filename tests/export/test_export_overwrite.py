"""Exports never write where the user did not say (issue 11) and say truly what they wrote
(issue 15): the default name is a slug of the graph's name in the current folder, an existing
file is refused without --force, --home finds a run, files get ordinary permissions."""

from __future__ import annotations

import json
import os
import stat

import pytest

from layerloom.cli import main
from layerloom.cli.export import slug
from layerloom.graph import dumps_graph
from layerloom.graph.templates import load_template


def _graph_file(tmp_path, name: str):
    graph = load_template("mlp-tabular")
    graph.name = name
    path = tmp_path / "g.json"
    path.write_text(dumps_graph(graph))
    return path


@pytest.mark.parametrize("name, expected", [
    ("/etc/passwd", "etc-passwd"), ("My net!", "my-net"), ("..", "model"), ("", "model"),
    ("../../x\x1b[2J", "x-2j"), ("seed-cnn", "seed-cnn")])
def test_slug_of_a_graph_name_is_a_plain_file_name(name, expected):
    assert slug(name) == expected


def test_a_graph_named_by_an_absolute_path_is_written_in_the_current_folder(
        tmp_path, monkeypatch, capsys):
    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    work = tmp_path / "work"
    work.mkdir()
    graph = _graph_file(work, str(victim.with_suffix("")))
    monkeypatch.chdir(work)
    assert main(["export", str(graph), "-f", "json"]) == 0
    assert victim.read_text() == "precious"
    written = work / (slug(str(victim.with_suffix(""))) + ".json")
    assert json.loads(written.read_text())["name"] == str(victim.with_suffix(""))
    out = capsys.readouterr().out
    assert "(json, the graph only, no weights)" in out and "fresh weights" not in out


def test_an_existing_file_is_refused_without_force(tmp_path, capsys):
    graph = _graph_file(tmp_path, "net")
    target = tmp_path / "out.onnx"
    target.write_text("keep me")
    assert main(["export", str(graph), "-f", "onnx", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert str(target) in err and "already exists" in err and "--force" in err
    assert target.read_text() == "keep me"
    assert main(["export", str(graph), "-f", "onnx", "-o", str(target), "--force"]) == 0
    assert target.stat().st_size > 1000


def test_python_export_refuses_when_the_weights_beside_it_exist(tmp_path, capsys):
    graph = _graph_file(tmp_path, "net")
    (tmp_path / "m.safetensors").write_text("keep me")
    assert main(["export", str(graph), "-f", "python", "-o", str(tmp_path / "m.py")]) == 1
    err = capsys.readouterr().err
    assert "m.safetensors (the weights that go beside m.py) already exists" in err
    assert not (tmp_path / "m.py").exists()
    assert (tmp_path / "m.safetensors").read_text() == "keep me"


def test_safetensors_are_written_with_the_mode_of_other_files(tmp_path):
    graph = _graph_file(tmp_path, "net")
    old = os.umask(0o022)
    try:
        assert main(["export", str(graph), "-f", "safetensors",
                     "-o", str(tmp_path / "w.safetensors")]) == 0
        assert main(["export", str(graph), "-f", "json", "-o", str(tmp_path / "w.json")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "w.safetensors").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "w.json").stat().st_mode) == 0o644


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    pytest.importorskip("layerloom.runtime.runner")
    from layerloom.runtime import RunStore, TrainConfig, train

    home = tmp_path_factory.mktemp("home")
    result = train(load_template("mlp-tabular"), "iris", TrainConfig(epochs=1, seed=0),
                   store=RunStore(home / "runs.db"))
    return home, result.run_id


def test_export_takes_home_and_json_of_a_run_says_it_holds_no_weights(trained, tmp_path,
                                                                      capsys):
    home, run_id = trained
    target = tmp_path / "g.json"
    assert main(["export", str(run_id), "--home", str(home), "-f", "json",
                 "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert "trained weights of run" not in out
    assert f"the graph only, no weights; -f safetensors or -f bundle writes run {run_id}'s" in out
    assert json.loads(target.read_text())["format"] == "layerloom-graph"
    assert main(["export", str(run_id), "--home", str(home), "-f", "safetensors",
                 "-o", str(tmp_path / "w.safetensors")]) == 0
    assert f"(safetensors, trained weights of run {run_id})" in capsys.readouterr().out


def test_db_is_a_hidden_deprecated_alias(trained, tmp_path, capsys):
    home, run_id = trained
    assert main(["export", str(run_id), "--db", str(home / "runs.db"), "-f", "json",
                 "-o", str(tmp_path / "g.json")]) == 0
    assert "--db is deprecated" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "--db" not in capsys.readouterr().out


def test_python_code_is_written_whatever_the_files_suffix(tmp_path, capsys):
    """The generated module is loaded back by its path, not by the suffix a user chose."""
    graph = _graph_file(tmp_path, "net")
    target = tmp_path / "model.python"
    assert main(["export", str(graph), "-f", "python", "-o", str(target)]) == 0
    assert "class " in target.read_text()
    assert (tmp_path / "model.safetensors").stat().st_size > 100
    assert "model.safetensors" in capsys.readouterr().out


def test_python_code_named_like_its_weights_is_refused(tmp_path, capsys):
    graph = _graph_file(tmp_path, "net")
    target = tmp_path / "model.safetensors"
    assert main(["export", str(graph), "-f", "python", "-o", str(target), "--force"]) == 1
    err = capsys.readouterr().err
    assert "would be both the code and the weights" in err and "give the code a .py name" in err
    assert not target.exists()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_as_the_output_is_refused_naming_it(tmp_path, capsys, force):
    graph = _graph_file(tmp_path, "net")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    # 2, as the README says of a file that cannot be written at all ("a folder")
    assert main(["export", str(graph), "-f", "onnx", "-o", str(folder), *force]) == 2
    err = capsys.readouterr().err
    assert f"{folder} is a folder; give the name of a file to write, e.g. {folder}/net.onnx" in err
    assert "--force" not in err and ".layerloom-export-" not in err
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
