"""Exports of a trained run: its weights, its metrics and curves, its data's preprocessing."""

from __future__ import annotations

import json
import zipfile

import pytest
import torch

from layerloom.cli import main
from layerloom.graph import compile_graph, load_graph
from layerloom.graph.templates import load_template

runtime = pytest.importorskip("layerloom.runtime.runner")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from layerloom.runtime import RunStore, TrainConfig, train

    folder = tmp_path_factory.mktemp("runs")
    store = RunStore(folder / "runs.db")
    result = train(load_template("mlp-tabular"), "iris", TrainConfig(epochs=2, seed=0),
                   store=store)
    return folder, store, result.run_id


def test_run_export_carries_the_trained_weights(trained):
    from layerloom.runtime.checkpoint import load_checkpoint
    from layerloom.runtime.export import run_export

    folder, store, run_id = trained
    graph, info = run_export(run_id, store)
    saved = load_checkpoint(store.get(run_id).checkpoint)["model"]
    assert info.state_dict.keys() == saved.keys()
    assert all(torch.equal(info.state_dict[k], saved[k]) for k in saved)
    assert set(info.curves) >= {"train/loss", "val/loss"}
    assert [x for x, _ in info.curves["train/loss"]] == [1, 2]
    assert info.dataset["classes"] == ["setosa", "versicolor", "virginica"]
    assert info.dataset["normalization"]["kind"] == "feature"
    assert info.metrics and all(isinstance(v, float) for v in info.metrics.values())


def test_cli_exports_a_run_id_as_a_bundle(trained, capsys):
    folder, store, run_id = trained
    target = folder / "iris.zip"
    assert main(["export", str(run_id), "--db", str(folder / "runs.db"), "-f", "bundle",
                 "-o", str(target)]) == 0
    assert f"(bundle, trained weights of run {run_id})" in capsys.readouterr().out
    with zipfile.ZipFile(target) as archive:
        metrics = json.loads(archive.read("metrics.json"))
        config = json.loads(archive.read("config.json"))
        manifest = json.loads(archive.read("manifest.json"))
        graph = load_graph(archive.read("graph.json").decode())
        card = archive.read("README.md").decode()
        assert "curves.html" in archive.namelist()
    assert metrics == store.get(run_id).final_metrics
    assert config["epochs"] == 2
    assert manifest["classes"] == ["setosa", "versicolor", "virginica"]
    assert manifest["preprocessing"]["normalization"]["kind"] == "feature"
    assert f"from run {run_id}" in card and "- Dataset: iris" in card
    assert compile_graph(graph).layerloom_summary.params > 0


def test_cli_names_a_missing_run(trained, capsys):
    folder, _, _ = trained
    assert main(["export", "999", "--db", str(folder / "runs.db"), "-f", "onnx"]) == 1  # bad input, as resume 999 says
    assert "error: no run 999 in " in capsys.readouterr().err  # and the runs it holds
