"""A regression target far from unit scale (house prices of 2e5) is said before training: that
training standardises it (tests/runtime/test_train_target_scale.py follows it through), or,
where it cannot (target_scaling off, a design not ending in a Linear), the fix that keeps the
model in the data's units: a Rescaling before the Output. Without either the output starts near
0 and ends far from the targets (R² below 0); with it the same design learns them."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.cli import main
from layerloom.graph import load_graph
from layerloom.graph.templates import load_template
from layerloom.runtime import train
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.fit import check_fit

CONFIG = {"epochs": 20, "task": "regression", "num_threads": 1, "seed": 0}


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    rng = np.random.default_rng(0)
    lines = ["rooms,area,age,city,price"]
    for _ in range(240):
        rooms, area, age = rng.integers(1, 6), rng.uniform(25, 160), rng.integers(0, 60)
        city = ["paris", "lyon", "nice"][rng.integers(0, 3)]
        price = 1900 * area + 9000 * rooms - 400 * age + {"paris": 60000, "lyon": 0,
                                                             "nice": 20000}[city]
        lines.append(f"{rooms},{area:.1f},{age},{city},{price + rng.normal(0, 5000):.0f}")
    path = tmp_path_factory.mktemp("houses") / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _design(ds, rescaled: tuple[float, float] | None = None):
    graph = load_template("mlp-tabular")
    graph.variables.update(features=ds.input_shape[0], classes=1)
    if rescaled is None:
        return graph
    d = graph.to_dict()
    out = next(n for n in d["nodes"] if n["type"] == "Output")
    last = next(e for e in d["edges"] if e["target"] == out["id"])
    d["nodes"].append({"id": "scale", "type": "Rescaling",
                       "params": {"scale": rescaled[0], "offset": rescaled[1]}})
    d["edges"].remove(last)
    d["edges"] += [{"source": last["source"], "target": "scale"},
                   {"source": "scale", "target": out["id"]}]
    return load_graph(d)


def test_a_large_target_is_said_to_be_standardised_for_training(houses):
    ds = load_dataset(houses, target="price", task="regression")
    y = ds.y_train.double()
    mean, std = float(y.mean()), float(y.std())
    assert mean > 1e5  # the case in point
    fit = check_fit(_design(ds), ds, task="regression")
    assert fit.ok  # information, not a problem: training may start
    [note] = fit.notes
    assert note == (f"price is standardised for training (mean {mean:,.0f}, sd {std:,.0f}); "
                    f"predictions and metrics are in price's units, the loss on the "
                    f"standardised values (target_scaling off learns price as it is)")
    assert fit.standardised == note


def test_with_target_scaling_off_the_note_names_the_rescaling_and_the_advice_works(houses):
    ds = load_dataset(houses, target="price", task="regression")
    y = ds.y_train.double()
    mean, std = round(float(y.mean())), round(float(y.std()))
    fit = check_fit(_design(ds), ds, task="regression", target_scaling="off")
    [note] = fit.notes
    assert fit.standardised is None
    assert note.startswith(f"price's values are far from the scale a network's output starts "
                           f"at (mean {mean}, spread {std}) and are learned as they are "
                           f"(target_scaling is off)")
    assert note.endswith(
        f"Set target_scaling to auto (the Train page's setting): training then standardises "
        f"price itself. Or drop a Rescaling block (palette: Activation) on the wire from head "
        f"to the Output logits and set its scale to {std} and offset to {mean}: the layers "
        f"before it then learn standardised values, and the model still predicts in price's "
        f"units")
    fixed = _design(ds, (std, mean))
    assert check_fit(fixed, ds, task="regression").notes == []  # followed: nothing to say
    config = {**CONFIG, "target_scaling": "off"}
    before = train(_design(ds), ds, config).metrics["test_r2"]
    after = train(fixed, ds, config).metrics["test_r2"]
    assert before < 0 < 0.9 < after, (before, after)


def _ending(ds, *blocks: dict, between: tuple[str, str] | None = None):
    """The design with ``blocks`` put in a row between ``between`` (head and the Output)."""
    d = _design(ds).to_dict()
    out = next(n for n in d["nodes"] if n["type"] == "Output")
    source, target = between or (next(e for e in d["edges"] if e["target"] == out["id"])
                                 ["source"], out["id"])
    d["edges"] = [e for e in d["edges"] if (e["source"], e["target"]) != (source, target)]
    ids = [source] + [b["id"] for b in blocks] + [target]
    d["nodes"] += list(blocks)
    d["edges"] += [{"source": a, "target": b} for a, b in zip(ids, ids[1:])]
    return load_graph(d)


def test_a_design_ending_in_a_relu_is_told_to_rescale_before_it_and_that_works(houses):
    """A user who wants no negative prices ends the MLP head → ReLU: training cannot fold the
    standardisation into head, and a Rescaling after the ReLU (the advice given before) keeps
    every prediction at the mean or above. The Rescaling goes between head and the ReLU."""
    ds = load_dataset(houses, target="price", task="regression")
    y = ds.y_train.double()
    mean, std = round(float(y.mean())), round(float(y.std()))
    relu = {"id": "relu", "type": "ReLU"}
    [note] = check_fit(_ending(ds, relu), ds, task="regression").notes
    assert "(the design ends in relu, a ReLU, not in a Linear)" in note
    assert note.endswith(
        f"Drop a Rescaling block (palette: Activation) on the wire from head to relu and set "
        f"its scale to {std} and offset to {mean}: head then learns standardised values, and "
        f"relu still keeps every prediction at 0 or above (a Rescaling after relu would keep "
        f"every prediction at the mean or above)")
    scale = {"id": "scale", "type": "Rescaling", "params": {"scale": std, "offset": mean}}
    fixed = _ending(ds, scale, relu)
    assert check_fit(fixed, ds, task="regression").notes == []  # followed: nothing to say
    result = train(fixed, ds, CONFIG)
    assert result.metrics["test_r2"] > 0.9, result.metrics
    assert float(result.model.eval()(ds.x_test).detach().min()) >= 0
    after = train(_ending(ds, relu, scale), ds, CONFIG)  # the Rescaling after the ReLU
    assert float(after.model.eval()(ds.x_test).detach().min()) >= mean - 1
    assert after.metrics["test_r2"] < 0.5 < result.metrics["test_r2"]


def test_a_design_ending_in_a_sigmoid_is_told_to_span_the_targets_range(houses):
    ds = load_dataset(houses, target="price", task="regression")
    y = ds.y_train.double()
    low, high = float(y.min()), float(y.max())
    [note] = check_fit(_ending(ds, {"id": "squash", "type": "Sigmoid"}), ds,
                       task="regression").notes
    assert note.endswith(
        f"squash gives values between 0 and 1 only: drop a Rescaling block (palette: "
        f"Activation) on the wire from squash to the Output logits and set its scale to "
        f"{round(high - low)} and offset to {round(low)}, which spans price's training range "
        f"({round(low)} to {round(high)}); or remove squash: training then standardises price "
        f"itself")


def test_a_last_linear_without_bias_frozen_or_a_composite_gets_its_own_fix(houses):
    ds = load_dataset(houses, target="price", task="regression")
    d = _design(ds).to_dict()
    head = next(n for n in d["nodes"] if n["id"] == "head")
    head["params"]["bias"] = False
    [note] = check_fit(load_graph(d), ds, task="regression").notes
    assert "(its last Linear, head, has no bias to learn the mean with)" in note
    assert "Set head's bias to true: training then standardises price itself. Or drop a " \
           "Rescaling block (palette: Activation) on the wire from head to the Output logits" \
           in note
    head["params"]["bias"] = True
    head["trainable"] = False
    [note] = check_fit(load_graph(d), ds, task="regression").notes
    assert "(its last Linear, head, is frozen: trainable false)" in note
    d = _design(ds).to_dict()  # the DenseBlock (Linear, BatchNorm, ReLU, Dropout) feeds it
    d["nodes"] = [n for n in d["nodes"] if n["id"] != "head"]
    d["edges"] = [e for e in d["edges"] if "head" not in (e["source"], e["target"])]
    d["edges"].append({"source": "hidden", "target": "logits"})
    d["variables"]["hidden"] = 1
    [note] = check_fit(load_graph(d), ds, task="regression").notes
    assert "(the design ends in hidden, a composite block, not in a Linear)" in note
    assert note.endswith("Add a Linear with out_features 1 between hidden and the Output "
                         "logits: training then standardises price itself")


def test_only_a_target_far_from_unit_scale_gets_the_note(houses):
    ds = load_dataset(houses, target="age", task="regression")  # 0..59: far enough
    assert check_fit(_design(ds), ds, task="regression").notes
    ds = load_dataset(houses, target="rooms", task="regression")  # 1..5
    assert check_fit(_design(ds), ds, task="regression").notes == []


def test_validate_and_train_print_the_note(houses, tmp_path, capsys):
    from layerloom.graph import save_graph

    graph = tmp_path / "mlp.json"
    save_graph(_design(load_dataset(houses, target="price", task="regression")), graph)
    data = ["--dataset", str(houses), "--data-option", "target=price", "--data-option",
            "task=regression"]
    code = main(["validate", str(graph), *data])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: price is standardised for training (mean " in err and "valid and fits" in out
    code = main(["train", str(graph), *data, "--epochs", "1", "--home", str(tmp_path / "h"),
                 "--cfg", "num_threads=1", "--cfg", "task=regression"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "note: price is standardised for training (mean " in err  # said, and it trains
