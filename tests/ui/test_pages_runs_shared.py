"""The Runs page's table says once, above it, what every run listed shares (the design, the
project, the data, the status, the settings alike), and shows in its columns what tells the
runs apart and how they went, so that it fits a laptop's window. Before, a design with a long
name filled the pinned name column and the project column with it in every row, and the test
metrics were off screen at 1366 px (the browser check: test_runs_table_long_name_browser.py)."""

from __future__ import annotations

import pytest

from layerloom.runtime import RunStore, TrainConfig
from layerloom.ui.pages.common import run_names
from layerloom.ui.pages.runs import rows, shared

LONG = "sentiment-classifier-for-film-reviews-bidirectional"


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    store = RunStore(tmp_path / "runs.db")
    yield store
    store.close()


def _run(store, design, lr, data="mnist-5k", epochs=3):
    run = store.create_run(design, {}, {"source": data},
                           TrainConfig(epochs=epochs, lr=lr).to_dict(), project="p-1")
    store.set_status(run, "completed", "finished", best_metric=0.31,
                     best_metric_name="val_loss", best_epoch=epochs,
                     final_metrics={"test_loss": 0.26, "test_accuracy": 0.92})
    return run


def _table(store):
    runs = store.list_runs()
    return shared(runs, rows(runs, run_names(runs), {"p-1": "my project"}))


def test_runs_of_one_design_show_what_differs_and_say_the_rest_once(store):
    for lr in (0.001, 0.01, 0.1):
        _run(store, LONG, lr)
    frame, shown, said = _table(store)
    # the names say the rate, the one setting that differs: no column says it again
    assert shown == ["short", "best", "test", "started"]
    assert list(frame["short"]) == ["#3 · learning rate 0.1", "#2 · learning rate 0.01",
                                    "#1 · learning rate 0.001"]
    assert said == [f"design {LONG}", "project my project", "data mnist-5k",
                    "status completed", "adam", "batch 32", "3 epochs"]
    assert list(frame["name"])[0] == f"{LONG} #3 · learning rate 0.1"  # kept, not shown


def test_runs_of_several_designs_and_data_keep_their_columns(store):
    _run(store, "seed-cnn", 0.01)
    _run(store, "lenet5", 0.01, data="digits", epochs=2)
    frame, shown, said = _table(store)
    assert shown == ["name", "data", "settings", "best", "test", "started"]
    assert list(frame["settings"]) == ["2 epochs", "3 epochs"]
    assert said == ["project my project", "status completed", "adam", "rate 0.01", "batch 32"]


def test_a_project_named_as_its_design_is_said_once(store):
    for lr in (0.001, 0.01):
        _run(store, "seed-cnn", lr)
    runs = store.list_runs()
    _, _, said = shared(runs, rows(runs, run_names(runs), {"p-1": "seed-cnn"}))
    assert said[:2] == ["design seed-cnn", "data mnist-5k"]  # not "project seed-cnn" after it


def test_runs_are_grouped_by_design_the_latest_first(store):
    from layerloom.ui.pages.runs import by_design

    _run(store, "seed-cnn", 0.01)
    _run(store, LONG, 0.01)
    _run(store, "seed-cnn", 0.1)
    groups = by_design(store.list_runs())
    assert [(design, [r.id for r in group]) for design, group in groups.items()] == [
        ("seed-cnn", [3, 1]), (LONG, [2])]


def test_the_settings_column_stays_where_a_name_does_not_say_them(store):
    """A run's name says the fewest settings that tell it from the others (the rate here);
    where the runs differ in more, the column says them all."""
    _run(store, "seed-cnn", 0.001)
    other = store.create_run("seed-cnn", {}, {"source": "mnist-5k"},
                             TrainConfig(epochs=5, lr=0.01, batch_size=64).to_dict(),
                             project="p-1")
    assert run_names(store.list_runs())[other] == "seed-cnn #2 · learning rate 0.01"
    frame, shown, _ = _table(store)
    assert "settings" in shown
    assert list(frame["settings"]) == ["rate 0.01, batch 64, 5 epochs",
                                       "rate 0.001, batch 32, 3 epochs"]
