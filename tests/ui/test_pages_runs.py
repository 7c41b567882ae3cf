"""Runs page (ui/pages/runs.py) with AppTest: the table of runs, overlaid curves, opening a
run's design in the designer, and a sweep launched in its own process with its trials as a table
and a parallel-coordinates plot, and stopped with its Stop sweep button."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, start_sweep, train, wait_sweep
from layerloom.ui.pages.runs import default_params, parse_rows

TIMEOUT = 60


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def trained_home(scratch_home):
    """Two finished runs, trained once for the tests that only read them."""
    with scratch_home("runs-home") as (folder, store):
        mlp = load_template("mlp-tabular")
        wide = mlp.copy()
        wide.variables["hidden"] = 16
        first = train(mlp, "iris", {"epochs": 2}, store=store).run_id
        second = train(wide, "wine", {"epochs": 3, "lr": 0.01}, store=store,
                       variables={"features": 13}).run_id
    return folder, (first, second)


@pytest.fixture()
def two_runs(trained_home, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(trained_home[0]))
    return trained_home[1]


def page(project: str | None = None, epochs: int | None = None) -> AppTest:
    def script(pid: str = "", epochs: int = 0):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import runs
        from layerloom.ui.pagestate import PagesState
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            store = ProjectStore()
            app = (DesignerState.open(store, pid) if pid else
                   DesignerState.new(store, load_template("mlp-tabular")))
            if epochs:
                app.pages["runs"] = PagesState(config={"epochs": epochs})
            st.session_state.app = app
        runs.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"pid": project or "", "epochs": epochs or 0},
                                 default_timeout=TIMEOUT).run()


def values(elements) -> list:
    return [e.value for e in elements]


def test_every_run_is_a_row_with_design_data_config_status_and_best(two_runs):
    first, second = two_runs
    at = page()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["run"]) == [second, first]
    assert list(table["data"]) == ["wine", "iris"]
    assert list(table["config"]) == ["adam, rate 0.01, batch 32, 3 epochs",
                                     "adam, rate 0.001, batch 32, 2 epochs"]
    assert list(table["status"]) == ["completed", "completed"]
    assert table["best"].iloc[0].startswith("validation loss ")  # in words, not val_loss
    # the task's own measure first, the loss last
    assert table["test"].iloc[0].startswith("accuracy ") and ", loss " in table["test"].iloc[0]
    assert "sweep" not in table.columns  # no run of a sweep: no empty column taking room


def test_chosen_runs_are_overlaid_on_the_chosen_curve(two_runs):
    first, second = two_runs
    at = page()
    overlay = at.get("plotly_chart")[0].proto.spec
    # the legend names each run as the picker does: its design, number and rate (what differs)
    assert [t["name"] for t in json.loads(overlay)["data"]] == [
        f"mlp-tabular #{second} · learning rate 0.01",
        f"mlp-tabular #{first} · learning rate 0.001"]
    at.multiselect(key="runs.compare").set_value([first]).run()
    at.selectbox(key="runs.curve").select("training loss (per step)").run()
    overlay = at.get("plotly_chart")[0].proto.spec
    # the chart is named in words, as the picker names the curve
    assert f'#{second} ' not in overlay and '"Training loss (per step)"' in overlay
    assert at.session_state.app.pages["runs"].compare == [first]


def test_a_runs_design_opens_in_the_designer_with_its_variables(two_runs):
    first, second = two_runs
    at = page()
    at.selectbox(key="runs.open").select(second).run()
    at.button(key="runs.open.go").click().run()
    app = at.session_state.app
    assert app.graph.variables["features"] == 13 and app.graph.variables["hidden"] == 16
    assert len(app.undo_stack) == 1
    # said in the Designer, where the design now is (the page goes there)
    assert app.open_designer
    assert app.notices[-1].text.startswith(
        f"Opened the design of run “mlp-tabular #{second} · learning rate 0.01”")


def test_the_variables_the_data_sets_are_not_offered_to_sweep():
    from layerloom.ui.pages.runs import data_bound

    assert data_bound(load_template("mlp-tabular")) == {"features", "classes"}
    assert data_bound(load_template("seed-cnn")) == {"classes"}  # width: a design variable
    assert "width" in list(default_params(load_template("seed-cnn"))["setting"])


def test_sweep_rows_are_checked_before_anything_starts(home):
    graph = load_template("mlp-tabular")
    rows = default_params(graph)
    # features (the Input's size) and classes (the head's width) are the data's to set: a
    # trial at another value would not fit it
    assert list(rows["setting"]) == ["lr", "batch_size", "optimizer", "hidden", "depth",
                                     "dropout"]
    # each in the Train page's words beside the key a sweep types
    assert list(rows["what"]) == ["Learning rate", "Batch size", "Optimiser"] + [
        "a variable of the design"] * 3
    assert parse_rows(rows, graph) == (["lr=1e-4:1e-1:log"], [])
    bad = pd.DataFrame([{"sweep": True, "setting": "widht", "values": "1,2"},
                        {"sweep": True, "setting": "lr", "values": "0.1:0.01"},
                        {"sweep": True, "setting": "hidden", "values": "8,16"}])
    assert parse_rows(bad, graph) == (["hidden=8,16"], [
        "widht is neither a training setting nor a variable of the design",
        "lr: the range needs low < high, got 0.1:0.01"])
    assert parse_rows(rows.assign(sweep=False), graph) == (
        [], ["tick at least one setting to sweep"])


@pytest.mark.slow  # a sweep process and two trials
def test_a_sweep_runs_in_its_own_process_and_fills_its_table(home):
    at = page(epochs=1)
    at.selectbox(key="runs.sweep.sampler").select("grid").run()
    at.number_input(key="runs.sweep.trials").set_value(2).run()
    at.button(key="runs.sweep.go").click().run()
    assert not at.error
    assert values(at.info)[0] == "Sweep started: 2 trial(s) of lr=1e-4\\:1e-1\\:log on iris."  # as typed
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(1)
        at.run()
        sweep = next((d.value for d in at.dataframe if "val_loss" in d.value.columns), None)
        if sweep is not None and sweep["val_loss"].notna().sum() == 2:
            break
    else:
        raise AssertionError(f"the sweep did not finish: {values(at.caption)}")
    assert list(sweep.columns) == ["run", "status", "lr", "val_loss"]
    # the swept setting headed in the Train page's words, its key kept beside them
    shown = next(d for d in at.dataframe if "val_loss" in d.value.columns)
    assert json.loads(shown.proto.columns)["lr"] == {
        "label": "Learning rate (lr)", "help": "The training setting saved as lr"}
    grid = [1e-4, 10 ** -2.5, 1e-1]  # 1e-4:1e-1:log on 3 points; the grid sampler picks 2
    assert len(set(sweep["lr"])) == 2 and all(
        any(lr == pytest.approx(g) for g in grid) for lr in sweep["lr"])
    assert list(sweep["val_loss"]) == sorted(sweep["val_loss"])  # best first
    parallel = at.get("plotly_chart")[-1].proto.spec
    assert '"parcoords"' in parallel and '"label":"lr"' in parallel
    runs = RunStore().list_runs()
    assert {r.sweep_id for r in runs} == {at.session_state.app.pages["runs"].sweep_id}
    assert all(r.config["epochs"] == 1 for r in runs)


@pytest.mark.slow  # a sweep process and one trial, stopped
def test_a_running_sweep_is_stopped_by_its_button(home):
    store = RunStore()
    sweep_id = start_sweep(load_template("mlp-tabular"), "iris",
                           {"epochs": 3000, "num_threads": 1}, ["lr=1e-3:1e-1:log"], trials=4,
                           store=store)
    deadline = time.monotonic() + 60
    while not any(r.status == "running" for r in store.list_runs(sweep_id=sweep_id)):
        assert time.monotonic() < deadline, "the sweep's first trial did not start"
        time.sleep(0.2)
    at = page()
    assert at.selectbox(key="runs.sweep.shown").value == sweep_id
    at.button(key="runs.sweep.stop").click().run()
    assert not at.exception and not at.error
    assert values(at.info)[0] == (f"Sweep {sweep_id} will stop: no new trial starts, and the "
                                  f"trial training now stops after its batch, keeping its "
                                  f"results so far.")
    done = wait_sweep(sweep_id, timeout=60, store=store)
    assert done["status"] == "stopped"
    at.run()
    assert all(b.key != "runs.sweep.stop" for b in at.button)  # no longer running
    run_id = store.list_runs(sweep_id=sweep_id)[0].id
    assert f"The sweep was {done['reason']}." in values(at.caption)
    assert done["reason"].startswith("stopped by the user after 0 of 4 trials")
    trials = next(d.value for d in at.dataframe if "val_loss" in d.value.columns)
    assert list(trials["run"]) == [run_id] and list(trials["status"]) == ["stopped"]
    assert trials["val_loss"].isna().all()  # a stopped trial is not scored


def test_the_table_names_the_project_that_started_each_run(home):
    from layerloom.ui.pages.runs import rows

    store = RunStore()
    config = {"optimizer": "adam", "lr": 0.001, "batch_size": 32, "epochs": 2}
    made = [store.create_run("mlp", {}, {"source": "iris"}, config, project=p)
            for p in ("p1", None)]
    table = rows(store.list_runs())
    assert list(table.columns) == ["run", "name", "project", "data", "config", "status", "best",
                                   "test", "sweep", "started"]
    assert list(table["run"]) == made[::-1]
    assert list(table["project"]) == ["", "p1"]  # no name known: the id


def test_the_table_shows_projects_by_name_and_no_sweep_as_an_empty_cell(home):
    from layerloom.ui.projects import ProjectStore

    projects = ProjectStore()
    mine = projects.create(load_template("mlp-tabular"))
    other = projects.create(load_template("mlp-tabular"))
    assert {p.name for p in projects.list()} == {"mlp-tabular"}  # told apart as the picker does
    store = RunStore()
    config = {"optimizer": "adam", "lr": 0.001, "batch_size": 32, "epochs": 2}
    sweep = store.create_sweep("mlp sweep", {})
    alone = store.create_run("mlp", {}, {"source": "iris"}, config, project=mine)
    trial = store.create_run("mlp", {}, {"source": "iris"}, config, sweep_id=sweep,
                             project=other)
    gone = store.create_run("mlp", {}, {"source": "iris"}, config, project="deleted-ab12cd")
    at = page(mine)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["run"]) == [gone, trial, alone]
    assert list(table["sweep"]) == ["", str(sweep), ""]  # not "None"
    assert list(table["project"]) == ["deleted-ab12cd",  # no longer a project: its id
                                      f"mlp-tabular · {other.rsplit('-', 1)[-1]}",
                                      f"mlp-tabular · {mine.rsplit('-', 1)[-1]}"]
    assert list(table.columns)[:3] == ["run", "name", "project"]  # not last, where it was cut
    columns = json.loads(at.dataframe[0].proto.columns)
    # no cell is capped: the test metrics were cut at 140 px ("accuracy 92.2%, macro F1 9…");
    # the run's number, which its name says, is no column of its own, and the name stays in
    # view where a narrow window scrolls the table sideways
    assert all("width" not in c for c in columns.values())
    order = list(at.dataframe[0].proto.column_order)
    # every run is of one design, said above the table: the name column shows the rest
    assert order[0] == "short" and "run" not in order and "test" in order
    assert columns["short"]["pinned"] is True and columns["short"]["label"] == "name"
    assert columns["name"]["pinned"] is True  # where the runs are of several designs


def test_a_sweep_whose_process_fails_before_any_trial_says_why(home):
    store = RunStore()
    at = page()
    sweep_id = start_sweep(load_template("mlp-tabular"), {"source": "no-such-data"},
                           {"epochs": 1}, ["lr=1e-3:1e-1:log"], trials=2, store=store)
    at.session_state.app.pages["runs"].sweep_started = sweep_id  # as the Launch button does
    done = wait_sweep(sweep_id, timeout=60, store=store)
    assert done["status"] == "failed" and "no-such-data" in done["reason"]
    at.run()
    assert not at.exception
    assert values(at.error) == [f"The sweep could not start: {done['reason']}"]
    assert at.session_state.app.pages["runs"].sweep_started is None
    assert store.list_runs(sweep_id=sweep_id) == []


def test_a_trial_count_out_of_range_is_said_at_launch_and_starts_nothing(home):
    """1000 typed into trials stayed in the box unapplied (the browser refused it) while
    Launch ran the count before it; the count is now checked at Launch and said."""
    at = page(epochs=1)
    at.number_input(key="runs.sweep.trials").set_value(1000).run()
    at.button(key="runs.sweep.go").click().run()
    assert not at.exception
    assert "trials must be 1 to 500, got 1000" in values(at.error)
    assert at.session_state.app.pages["runs"].sweep_started is None
    assert at.number_input(key="runs.sweep.trials").value == 1000  # the box shows what runs


def test_the_sweep_says_in_words_what_it_does_and_ranks_by(home):
    at = page()
    said = next(c.value for c in at.caption if c.value.startswith("A sweep trains"))
    # the metric it ranks by named as a student reads it, beside its key; not "the config's
    # monitor (val_loss)"
    assert "ranks them by the Train page's metric to watch (val_loss: the validation loss)" \
        in said
    editor = next(d for d in at.dataframe if "setting" in d.value.columns)
    columns = json.loads(editor.proto.columns)
    assert columns["setting"]["help"].startswith("A training setting by the name it is saved")
