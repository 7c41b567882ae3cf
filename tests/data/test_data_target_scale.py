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
    y = ds.y_train.float()
    mean, std = float(y.mean()), float(y.std())
    fit = check_fit(_design(ds), ds, task="regression", target_scaling="off")
    [note] = fit.notes
    assert fit.standardised is None
    assert note.startswith(f"price's values are far from the scale a network's output starts "
                           f"at (mean {mean:.4g}, spread {std:.4g}) and are learned as they are "
                           f"(target_scaling is off)")
    assert f"Add a Rescaling block before the Output with scale {std:.4g} and offset " \
           f"{mean:.4g}" in note
    fixed = _design(ds, (float(f"{std:.4g}"), float(f"{mean:.4g}")))
    assert check_fit(fixed, ds, task="regression").notes == []  # followed: nothing to say
    config = {**CONFIG, "target_scaling": "off"}
    before = train(_design(ds), ds, config).metrics["test_r2"]
    after = train(fixed, ds, config).metrics["test_r2"]
    assert before < 0 < 0.9 < after, (before, after)


def test_a_design_that_cannot_learn_it_standardised_gets_the_advice(houses):
    ds = load_dataset(houses, target="price", task="regression")
    d = _design(ds).to_dict()  # a ReLU after the head: nothing to fold the scale into
    out = next(n for n in d["nodes"] if n["type"] == "Output")
    last = next(e for e in d["edges"] if e["target"] == out["id"])
    d["nodes"].append({"id": "relu", "type": "ReLU"})
    d["edges"].remove(last)
    d["edges"] += [{"source": last["source"], "target": "relu"},
                   {"source": "relu", "target": out["id"]}]
    [note] = check_fit(load_graph(d), ds, task="regression").notes
    assert "(the design does not end in a Linear that could learn it standardised)" in note
    assert "Add a Rescaling block before the Output" in note


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
