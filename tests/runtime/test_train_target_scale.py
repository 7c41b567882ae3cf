"""A regression target far from unit scale (house prices of 2e5) is learned standardised and
given back in its units: the run reaches a good R² within a few epochs (it ended at R² below 0),
its metrics, the Results page's predictions, the bundle's predict.py and the exported project
are in the target's units, a target near unit scale trains exactly as before, and runs saved
before load, resume and export as they were."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train
from layerloom.runtime.checkpoint import load_checkpoint, save_checkpoint
from layerloom.runtime.data import load_dataset
from layerloom.runtime.diagnostics import diagnose
from layerloom.runtime.runner import execute_run

FAST = {"num_threads": 1, "seed": 0, "task": "regression", "diagnose_every": 0}


def _houses(path, n=400):
    rng = np.random.default_rng(0)
    lines = ["rooms,area,age,city,price"]
    for _ in range(n):
        rooms, area, age = rng.integers(1, 6), rng.uniform(25, 160), rng.integers(0, 60)
        city = ["paris", "lyon", "nice"][rng.integers(0, 3)]
        price = 1900 * area + 9000 * rooms - 400 * age + {"paris": 60000, "lyon": 0,
                                                             "nice": 20000}[city]
        lines.append(f"{rooms},{area:.1f},{age},{city},{price + rng.normal(0, 5000):.0f}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    return _houses(tmp_path_factory.mktemp("houses") / "houses.csv")


def _design(ds):
    graph = load_template("mlp-tabular")
    graph.variables.update(features=ds.input_shape[0], classes=1)
    return graph


def _sklearn_metrics(y, pred):
    from sklearn.metrics import mean_absolute_error, r2_score

    return mean_absolute_error(y, pred), r2_score(y, pred)


def test_a_large_target_reaches_a_good_r2_with_everything_in_its_units(houses, tmp_path):
    ds = load_dataset(houses, target="price", task="regression")
    store = RunStore(tmp_path / "runs.db")
    result = train(_design(ds), str(houses), {**FAST, "epochs": 5}, store=store)
    assert result.metrics["test_r2"] > 0.9, result.metrics
    before = train(_design(ds), ds, {**FAST, "epochs": 5, "target_scaling": "off"})
    assert before.metrics["test_r2"] < 0, before.metrics  # as every run did before
    # the loss is the standardised one; MAE, RMSE and R² are the target's, as sklearn has them
    assert result.history[-1]["val_loss"] < 1 and result.history[-1]["val_mae"] > 1000
    pred = result.model.eval()(ds.x_test).detach().numpy().ravel()
    mae, r2 = _sklearn_metrics(ds.y_test.numpy().ravel(), pred)
    assert result.metrics["test_mae"] == pytest.approx(mae, rel=1e-4)
    assert result.metrics["test_r2"] == pytest.approx(r2, rel=1e-4)
    assert 1e5 < pred.mean() < 4e5  # prices, not standardised values

    # the checkpoint's weights predict in price's units: what the Results page loads
    from layerloom.ui.predict import trained

    run = store.get(result.run_id)
    shown = trained(store, run)
    assert torch.allclose(shown.outputs(ds.x_test).ravel(), torch.from_numpy(pred), rtol=1e-5)
    assert shown.target_scale is not None and shown.target_scale.head == "head"

    # the bundle's predict.py gives the same prices for rows of the file
    from layerloom.runtime.export import export_run

    bundle = export_run(result.run_id, "bundle", tmp_path / "bundle.zip", db=store)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(bundle.path) as archive:
        archive.extractall(folder)
    script = next(folder.rglob("predict.py"))
    rows = houses.read_text().splitlines()[:6]
    table = tmp_path / "rows.csv"
    table.write_text("\n".join(",".join(r.split(",")[:4]) for r in rows) + "\n")
    done = subprocess.run([sys.executable, str(script), str(table)], capture_output=True,
                          text=True, cwd=script.parent, timeout=120, check=True)
    got = [json.loads(line)["prediction"] for line in done.stdout.splitlines()]
    from layerloom.ui.predict import from_raw

    x = from_raw(np.stack([_row_input(shown, r) for r in rows[1:]]), shown.dataset)
    want = shown.outputs(x).ravel().tolist()
    assert got == pytest.approx(want, rel=1e-5)
    assert all(1e5 < v < 5e5 for v in got)


def _row_input(shown, row: str) -> np.ndarray:
    """A file's row as the Results page's Try it feeds it."""
    from layerloom.ui.predict import encode_row

    ds = shown.dataset
    values = dict(zip(["rooms", "area", "age", "city"], row.split(",")[:4], strict=True))
    return encode_row(values, ds).reshape(-1)


def test_a_target_near_unit_scale_trains_exactly_as_before(houses, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3)).astype(np.float32)
    y = 1 / (1 + np.exp(-x @ np.array([1.0, -2.0, 0.5])))  # in 0..1
    path = tmp_path / "small.csv"
    path.write_text("a,b,c,share\n" + "\n".join(
        f"{a:.4f},{b:.4f},{c:.4f},{t:.4f}" for (a, b, c), t in zip(x, y, strict=True)) + "\n")
    ds = load_dataset(path, task="regression")
    auto = train(_design(ds), ds, {**FAST, "epochs": 3}, checkpoint=tmp_path / "a.pt")
    off = train(_design(ds), ds, {**FAST, "epochs": 3, "target_scaling": "off"})
    assert auto.history == [{**row, "time": auto.history[i]["time"]}
                            for i, row in enumerate(off.history)]
    assert auto.metrics == off.metrics
    assert load_checkpoint(tmp_path / "a.pt")["target_scale"] is None


def test_a_resumed_run_ends_with_the_very_same_weights(houses, tmp_path):
    store = RunStore(tmp_path / "runs.db")
    whole = train(_design(load_dataset(houses, target="price", task="regression")),
                  str(houses), {**FAST, "epochs": 4}, store=store)
    half = train(_design(load_dataset(houses, target="price", task="regression")),
                 str(houses), {**FAST, "epochs": 2}, store=store)
    resumed = execute_run(store, half.run_id, resume=True, epochs=4)
    a = load_checkpoint(store.get(whole.run_id).checkpoint)
    b = load_checkpoint(store.get(resumed.run_id).checkpoint)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["target_scale"]["mean"] == b["target_scale"]["mean"]
    assert resumed.metrics == whole.metrics


def test_a_run_saved_before_loads_resumes_and_exports_as_it_was(houses, tmp_path):
    """A run recorded before targets were standardised: no target_scaling in its config, no
    target_scale in its checkpoint. It goes on learning price as it is (its weights are in
    price's units), and its exports are what they were."""
    store = RunStore(tmp_path / "runs.db")
    old = train(_design(load_dataset(houses, target="price", task="regression")),
                str(houses), {**FAST, "epochs": 1, "target_scaling": "off"}, store=store)
    run = store.get(old.run_id)
    config = {k: v for k, v in run.config.items() if k != "target_scaling"}
    store.update(old.run_id, config=config)
    state = load_checkpoint(run.checkpoint)
    del state["target_scale"]
    save_checkpoint(run.checkpoint, {k: v for k, v in state.items()
                                     if k not in ("format", "version")})
    resumed = execute_run(store, old.run_id, resume=True, epochs=2)
    assert resumed.history[-1]["train_loss"] > 1e8  # still in price's units squared
    assert "target_scale" in load_checkpoint(run.checkpoint)  # saved again: None
    from layerloom.runtime.export import export_run

    export_run(old.run_id, "safetensors", tmp_path / "old.safetensors", db=store)


def test_the_exported_project_learns_it_standardised_and_saves_it_in_its_units(houses,
                                                                                tmp_path):
    from layerloom.runtime.export_project import export_run_project

    store = RunStore(tmp_path / "runs.db")
    result = train(_design(load_dataset(houses, target="price", task="regression")),
                   str(houses), {**FAST, "epochs": 2}, store=store)
    project = export_run_project(result.run_id, tmp_path / "project", db=store).path
    config = json.loads((project / "config.json").read_text())
    scale = config["task"]["target_scale"]
    assert scale["head"] == "head" and scale["mean"][0] > 1e5
    weights = torch.load(project / "weights.pt", weights_only=True)
    saved = load_checkpoint(store.get(result.run_id).checkpoint)["model"]
    assert torch.equal(weights["head.bias"], saved["head.bias"])  # in price's units
    out = tmp_path / "out"
    subprocess.run([sys.executable, "train.py", "--epochs", "5", "--out", str(out)],
                   cwd=project, capture_output=True, text=True, timeout=300, check=True)
    test = json.loads((out / "metrics.json").read_text())["test"]
    ds = load_dataset(houses, target="price", task="regression")
    assert test["test_loss"] < 0.2  # standardised
    assert 100 < test["test_mae"] < 0.3 * float(ds.y_test.std())  # price's units, learned


def test_huge_gradients_name_the_target_scale_not_the_learning_rate(houses):
    from layerloom.graph import validate
    from layerloom.runtime.target_advice import cause as target_cause

    ds = load_dataset(houses, target="price", task="regression")
    top = validate(_design(ds)).resolution.top
    cause = target_cause(top, "logits", ds, "off")
    stats = {"hidden.0.linear": {"grad_norm": 1.7e5}, "head": {"grad_norm": 1.5e6}}
    plain = diagnose(stats)
    assert [f.kind for f in plain] == ["exploding_gradient", "exploding_gradient"]
    [finding] = diagnose(stats, target=cause)
    assert finding.kind == "target_scale" and finding.block == "head"
    assert finding.message.startswith("head: its gradient norm is 1.5e+06: price is learned in "
                                      "its own units (mean 2")
    assert "(target_scaling is off)" in finding.message
    assert "a lower learning rate would only slow training" in finding.message
    assert "Set target_scaling to auto" in finding.message and "Rescaling" in finding.message
