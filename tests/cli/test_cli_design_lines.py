"""A problem with a node of a design file names, after the problem, the file and the line of that
node, in every command that reads a design (a node inside a composite block by its line in the
block; nodes that share an id by each line), as a JSON syntax error names its line. ``sweep``
and ``lr-find`` say a design's problems before reading the data: a sweep ran every trial, each
failing for the same reason, and recorded a sweep; ``export`` said them as one export failure."""

from __future__ import annotations

import json
import sqlite3

import pytest

from layerloom.cli import main


def design() -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "t",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                      {"id": "fc", "type": "Linear", "params": {"out_featurs": 3}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}


def write(tmp_path, graph: dict):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(graph, indent=2), encoding="utf-8")
    return path


FC = ("error: fc.out_featurs: Linear has no param 'out_featurs' (did you mean 'out_features'?); "
      "it takes: out_features, bias, weight_norm, spectral_norm ({path}, line 15)\n")


@pytest.mark.parametrize("command", [
    ["validate"], ["summary"], ["codegen"], ["train", "-d", "iris", "--no-record"],
    ["lr-find", "-d", "iris"], ["export", "--format", "onnx"]])
def test_every_command_names_the_line_of_the_node(tmp_path, capsys, command):
    path = write(tmp_path, design())
    output = ["-o", str(tmp_path / "out.onnx")] if command[0] == "export" else []
    assert main([command[0], str(path), *command[1:], *output]) == 1
    assert FC.format(path=path) in capsys.readouterr().err
    assert not (tmp_path / "out.onnx").exists()


def test_a_sweep_says_the_problems_once_and_runs_no_trial(tmp_path, capsys):
    path = write(tmp_path, design())
    home = tmp_path / "home"
    assert main(["sweep", str(path), "-d", "iris", "--param", "lr=0.01,0.1", "--trials", "2",
                 "--home", str(home)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(FC.format(path=path)) and "trial" not in out + err
    if (home / "runs.db").exists():
        with sqlite3.connect(home / "runs.db") as db:
            assert db.execute("select count(*) from sweeps").fetchone()[0] == 0


def test_a_sweep_of_a_variable_that_makes_the_design_valid_runs(tmp_path, capsys):
    graph = design()
    graph["variables"] = {"hidden": 0}  # no layer of 0 units: invalid until the sweep sets it
    graph["nodes"][1]["params"] = {"out_features": "=hidden"}
    graph["nodes"][2:2] = [{"id": "head", "type": "Linear", "params": {"out_features": 3}}]
    graph["edges"][1:] = [{"source": "fc", "target": "head"}, {"source": "head", "target": "y"}]
    path = write(tmp_path, graph)
    assert main(["sweep", str(path), "-d", "iris", "--param", "hidden=4", "--trials", "1",
                 "--epochs", "1", "--home", str(tmp_path / "home")]) == 0
    assert "best: hidden=4" in capsys.readouterr().out


def test_a_node_inside_a_composite_block_and_ids_used_twice(tmp_path, capsys):
    graph = design()
    graph["nodes"][1] = {"id": "fc", "type": "Dense", "params": {"units": 3}, "repeat": 2}
    graph["blocks"] = {"Dense": {"params": {"units": 8},
                                 "nodes": [{"id": "i", "type": "Input"},
                                           {"id": "lin", "type": "Linear",
                                            "params": {"out_features": "=units", "bias": 2}},
                                           {"id": "o", "type": "Output"}],
                                 "edges": [{"source": "i", "target": "lin"},
                                           {"source": "lin", "target": "o"}]}}
    graph["nodes"].append({"id": "x", "type": "ReLU"})
    path = write(tmp_path, graph)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"error: fc/0/lin.bias: bias expected true or false, got 2 ({path}, line 52)\n" in err
    assert f"error: x: duplicate id 'x': node ids must be unique ({path}, lines 6 and 27)\n" in err


def test_a_template_given_by_name_names_no_file(capsys):
    assert main(["validate", "seed-cnn", "--set", "width=0"]) == 1
    err = capsys.readouterr().err
    assert "error: conv1.out_channels: out_channels must be at least 1, got 0 (out_channels = " \
           "round(32*width), with the variable width = 0)\n" in err
