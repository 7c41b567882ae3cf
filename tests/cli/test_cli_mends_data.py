"""Data errors that point the right way: a table's target column is named with the option to
choose another, a size a design variable controls is fixed through that variable (``--set``),
and a design that does not fit the data is refused before any run is recorded."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main


@pytest.fixture()
def label_first(tmp_path, monkeypatch):
    """A CSV whose label is its FIRST column (the default target is the last)."""
    rows = ["label,a,b,c,d"]
    for i in range(40):
        rows.append(f"{'yes' if i % 2 else 'no'},{i % 7 / 7:.3f},{i % 5 / 5:.3f},"
                    f"{i % 3 / 3:.3f},{i % 11 / 11:.3f}")
    path = tmp_path / "lab.csv"
    path.write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    return path


def _runs(home, capsys) -> list:
    capsys.readouterr()
    if not home.exists():  # made only to record a run (`runs` refuses a --home not there)
        return []
    assert main(["runs", "--json", "--home", str(home)]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_target_column_taken_is_named_with_how_to_choose_another(label_first, tmp_path,
                                                                     capsys):
    home = tmp_path / "home"
    code = main(["train", "mlp-tabular", "--dataset", str(label_first), "--epochs", "1",
                 "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 1
    assert ("note: lab.csv's target is its column 'd' (the last column, taken when none is "
            "chosen); to predict another column, set the data option target (--data-option "
            "target=label); its other columns: label, a, b, c.") in err
    assert "On the command line: --set features=5" in err  # label one-hot (2) + a, b, c
    assert _runs(home, capsys) == []  # refused before a run was recorded


def test_the_advice_names_the_variable_that_sets_the_size(label_first, tmp_path, capsys):
    home = tmp_path / "home"
    code = main(["train", "mlp-tabular", "--dataset", str(label_first), "--data-option",
                 "target=label", "--epochs", "1", "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 1
    assert ("error: head: the design's output has 3 values per sample but lab.csv has 2 "
            "classes. Fix: set the variable classes to 2 (it sets head's out_features). On the "
            "command line: --set classes=2") in err
    assert "note:" not in err  # the target was chosen: nothing to say about it
    assert _runs(home, capsys) == []
    # Following the advice trains.
    assert main(["train", "mlp-tabular", "--dataset", str(label_first), "--data-option",
                 "target=label", "--epochs", "1", "--home", str(home), "--set", "classes=2",
                 "--set", "features=4"]) == 0
    assert [r["status"] for r in _runs(home, capsys)] == ["completed"]


def test_sweep_and_lr_find_are_checked_the_same_way(label_first, tmp_path, capsys):
    for argv in (["sweep", "mlp-tabular", "--dataset", str(label_first), "--param",
                  "lr=1e-3,1e-2", "--trials", "1", "--home", str(tmp_path / "home")],
                 ["lr-find", "mlp-tabular", "--dataset", str(label_first)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "--data-option target=label" in err and "--set features=5" in err


def test_check_input_names_the_target_column(label_first):
    from layerloom.runtime.data import DataError, check_input, load_dataset

    ds = load_dataset(str(label_first))
    with pytest.raises(DataError, match=r"gives \[5\] float32.*lab\.csv's target is its column "
                                        r"'d'.*--data-option target=label"):
        check_input(ds, [4], "float32")


def test_the_python_api_refuses_a_misfit_before_recording_a_run(label_first, tmp_path):
    from layerloom.graph.templates import load_template
    from layerloom.runtime import RunStore, TrainError, train

    store = RunStore(tmp_path / "runs.db")
    graph = load_template("mlp-tabular")
    with pytest.raises(TrainError, match=r"head: the design's output has 3 values per sample "
                                         r"but lab.csv has 2 classes\. Fix: set the variable "
                                         r"classes to 2"):
        train(graph, {"source": str(label_first), "options": {"target": "label"}},
              {"epochs": 1}, store=store, variables={"features": 4})
    assert store.list_runs() == []


@pytest.mark.parametrize(("item", "value"), [
    ("drop=['id']", ["id"]), ('drop=["id"]', ["id"]), ("drop=id", "id"),
    ("image_size=(32, 24)", (32, 24)), ("image_size=[32,24]", [32, 24]), ("n_samples=300", 300),
    ("target=price", "price"), ("x=__import__('os')", "__import__('os')")])
def test_data_options_are_read_as_the_messages_write_them(item, value):
    """The advice says drop=['id'] (Python's spelling, as in the API): the CLI takes it; a
    literal only: anything else stays text, nothing is evaluated."""
    from layerloom.cli.graph_commands import parse_data_options

    name = item.partition("=")[0]
    assert parse_data_options([item]) == {name: value}


@pytest.mark.parametrize("text", ["32,24", "32x24", "(32, 24)", "[32, 24]", " 32 x 24 "])
def test_an_image_size_given_as_text_is_a_size(text):
    from layerloom.runtime.data.options import Option

    assert Option("image_size", "size", (28, 28), "", min=1)._coerce_size(text) == (32, 24)
    assert Option("image_size", "size", (28, 28), "", min=1)._coerce_size("32") == (32, 32)
    with pytest.raises(ValueError, match="must be a size such as 28"):
        Option("image_size", "size", (28, 28), "", min=1)._coerce_size("32 by 24")


def test_validate_takes_d_for_the_dataset_as_train_does(label_first, capsys):
    graph = label_first.parent / "g.json"
    assert main(["new", "--template", "mlp-tabular", "-o", str(graph)]) == 0
    capsys.readouterr()
    code = main(["validate", str(graph), "-d", str(label_first)])
    out = capsys.readouterr()
    assert code in (0, 1) and "lab.csv" in out.out + out.err
    assert "unrecognized arguments" not in out.err


def test_a_data_option_nested_too_deep_is_text_not_a_crash():
    from layerloom.cli.graph_commands import parse_data_options

    deep = "[" * 200_000
    assert parse_data_options([f"drop={deep}"]) == {"drop": deep}
    # deeper than any Python's JSON reader goes: 3.13's reads 5,000 levels (3.11's stopped)
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_data_options([f"drop={deep}"]) == {"drop": deep}
