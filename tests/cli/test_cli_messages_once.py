"""Small message fixes: an export of a run without a checkpoint names the run once; a config
field named as other tools name it ("learning_rate") gets the "did you mean" of a typo."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore
from layerloom.runtime.config import ConfigError, TrainConfig


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    return home


@pytest.mark.parametrize("fmt", ["safetensors", "onnx"])
def test_export_of_a_run_without_checkpoint_names_it_once(home, tmp_path, capsys, fmt):
    store = RunStore(home / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {},
                              status="failed")
    code = main(["export", str(run_id), "-f", fmt, "--home", str(home),
                 "-o", str(tmp_path / f"out.{fmt}")])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith(f"error: run {run_id} (failed) saved no checkpoint")
    assert err.count(f"run {run_id}") == 1, err


def test_export_of_an_unknown_run_still_names_it(home, capsys):
    RunStore(home / "runs.db")
    assert main(["export", "999", "-f", "safetensors", "--home", str(home)]) != 0
    assert "999" in capsys.readouterr().err


@pytest.mark.parametrize("key, meant", [("learning_rate", "lr"), ("batchsize", "batch_size"),
                                        ("epoch", "epochs"), ("bacth_size", "batch_size")])
def test_config_synonyms_get_did_you_mean(key, meant):
    with pytest.raises(ConfigError, match=rf"unknown config field '{key}' \(did you mean "
                                          rf"'{meant}'\?\)"):
        TrainConfig.from_dict({key: 1})


def test_cli_config_file_with_learning_rate(home, tmp_path, mlp_file, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"learning_rate": 0.01, "epochs": 1}))
    code = main(["train", mlp_file, "--dataset", "moons", "--config", str(config)])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "unknown config field 'learning_rate' (did you mean 'lr'?)" in err


@pytest.fixture
def mlp_file(tmp_path):
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [2]}},
             {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
             {"id": "y", "type": "Output"}]
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps({
        "format": "layerloom-graph", "version": 1, "name": "mlp", "nodes": nodes,
        "edges": [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]}))
    return str(path)
