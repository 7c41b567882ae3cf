"""Train page (ui/pages/train.py) with Streamlit's AppTest: the config form, the LR finder, and
real runs in their own processes watched through the run store (start, live progress, pause,
resume, stop, a failure's reason, and finding the run again from a new session)."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.ui import projectruns
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import train_page


@pytest.fixture()
def project(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id


def values(elements) -> list[str]:
    return [e.value for e in elements]


def until(at: AppTest, done, timeout: float = 90.0) -> AppTest:
    """Rerun the page (as the browser's fragment timer would) until ``done(at)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if done(at):
            return at
        time.sleep(0.5)
    raise AssertionError(f"timed out; progress {progress(at)}, errors {values(at.error)}, "
                         f"info {values(at.info)}")


def progress(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def live_figures(at: AppTest) -> dict:
    """The figures the live-chart component was last given, by key."""
    for element in at.get("component_instance"):
        args = json.loads(element.proto.json_args)
        if "figures" in args:
            return {f["key"]: f for f in args["figures"]}
    return {}


def state_of(at: AppTest):
    return at.session_state.app.pages["runs"]


def test_the_form_keeps_changed_settings_and_rejects_values_out_of_range(project):
    at = train_page(project).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="train.cfg.optimizer").value == "adam"
    assert at.number_input(key="train.cfg.lr").value == pytest.approx(1e-3)
    at.number_input(key="train.cfg.epochs").set_value(3).run()
    at.selectbox(key="train.cfg.schedule").select("cosine").run()
    assert state_of(at).config == {"epochs": 3, "schedule": "cosine"}
    at.number_input(key="train.cfg.lr").set_value(0.0).run()
    # the problem names the setting as the form labels it, and its key
    assert values(at.error) == ["Learning rate (lr) must be > 0, got 0.0"]
    assert at.button(key="train.start").disabled


def test_the_settings_are_labelled_in_words_with_the_pytorch_term_in_the_tooltip(project):
    at = train_page(project).run()
    lr = at.number_input(key="train.cfg.lr")
    assert lr.label == "Learning rate"
    assert lr.help.startswith("How big a step each update takes")
    assert lr.help.endswith("In PyTorch: `lr` · saved as `lr`")
    workers = at.number_input(key="train.cfg.data_workers")
    assert workers.label == "Image loading processes"
    assert "In PyTorch: `DataLoader(num_workers=…)` · saved as `data_workers`" in workers.help
    assert at.number_input(key="train.cfg.weight_decay").label == "Weight decay"
    threads = at.number_input(key="train.cfg.num_threads")
    assert threads.label == "CPU threads"
    # an empty box says what it means: all cores, not "off" as a clipping box's empty does
    assert threads.proto.placeholder == "empty = all cores"
    assert workers.proto.placeholder == "empty = automatic"
    assert at.number_input(key="train.cfg.grad_clip").proto.placeholder == "empty = off"
    assert at.checkbox(key="train.cfg.early_stopping").label == "Stop early"
    assert "Saved as `epochs`" in at.number_input(key="train.cfg.epochs").help
    assert "Learning-rate schedule" in values(at.caption)  # the groups of More settings too
    # the labels are the form's only: the keys and the stored config are the runtime's
    lr.set_value(0.01).run()
    at.number_input(key="train.cfg.weight_decay").set_value(1e-4).run()
    assert state_of(at).config == {"lr": 0.01, "weight_decay": 1e-4}


def test_the_lr_finder_plots_the_range_test_and_fills_in_the_rate(project):
    at = train_page(project).run()
    at.button(key="train.lrfind").click().run()
    assert not at.exception and not at.error
    suggested = state_of(at).lr_range["suggestion"]
    assert 1e-7 < suggested < 10
    assert at.number_input(key="train.cfg.lr").value == pytest.approx(float(f"{suggested:.2g}"))
    assert values(at.info)[0] == f"The learning rate is set to the suggested {suggested:.2g}."
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Learning-rate range test" in spec and '"type":"log"' in spec


def test_a_design_that_does_not_fit_the_data_is_not_started(project, tmp_path):
    from layerloom.ui.pagestate import DataChoice, PagesState

    at = train_page(project)
    at.session_state["app"] = app = DesignerState.open(ProjectStore(), project)
    app.pages["runs"] = PagesState(data=DataChoice("wine", {}, "wine"))
    at.run()
    start = at.button(key="train.start")
    assert start.disabled
    assert start.help.startswith("The design does not fit wine: features: the Input is [4] but "
                                 "wine gives [13] per sample. Fix: set features's shape to [13]")
    assert any("**Fix:** set features's shape to \\[13\\]" in w for w in values(at.error))
    with pytest.raises(Exception, match="disabled"):
        start.click()  # as in a browser: a disabled button cannot be pressed
    assert RunStore().list_runs() == []


def no_flatten_project() -> str:
    """seed-cnn with pool2 wired straight into the Linear fc: valid as a graph, output
    [64, 5, 10] per sample."""
    from layerloom.graph import Edge

    graph = load_template("seed-cnn")
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    graph.edges = [e for e in graph.edges if "flat" not in (e.source, e.target)]
    graph.edges.append(Edge("pool2", "fc"))
    return DesignerState.new(ProjectStore(), graph).project_id


def test_no_flatten_on_mnist_disables_start_with_the_flatten_advice(tmp_path, monkeypatch):
    from layerloom.ui.pagestate import DataChoice, PagesState

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    pid = no_flatten_project()
    at = train_page(pid)
    at.session_state["app"] = app = DesignerState.open(ProjectStore(), pid)
    app.pages["runs"] = PagesState(data=DataChoice("mnist-5k", {}, "mnist-5k"))
    at.run()
    assert not at.exception
    start = at.button(key="train.start")
    assert start.disabled and "Fix: add Flatten (or global pooling) before fc." in start.help
    [warning] = values(at.error)  # red: Start is off until it is fixed
    assert warning.startswith("**fc**: a Linear acts on the last dimension only")
    assert warning.endswith("**Fix:** add Flatten (or global pooling) before fc.")
    assert "out_features" not in warning
    assert any("Start is off" in c for c in values(at.caption))
    # adding Flatten is no one-click fix: the page does not promise one
    [lead] = [m for m in values(at.markdown) if "does not fit mnist-5k yet" in m]
    assert "one click" not in lead and lead.endswith("fix this in the Designer before training:")
    # the button beside the advice selects the Linear to change
    select = at.button(key="train.fitproblem:select:0")
    assert select.label == "Select fc in the Designer"
    select.click().run()
    assert at.session_state.app.selected == ["fc"]
    assert at.session_state.app.open_designer  # the app's next run switches to the Designer


def test_a_run_trains_live_and_is_found_again_by_a_new_session(project):
    at = train_page(project).run()
    at.number_input(key="train.cfg.epochs").set_value(4).run()
    at.number_input(key="train.cfg.batch_size").set_value(8).run()
    at.button(key="train.start").click().run()
    assert not at.error
    run_id = state_of(at).run_id
    assert projectruns.runs_of(project) == [run_id]
    assert [b.label for b in at.button if b.key in ("train.pause", "train.stop")] == ["Pause",
                                                                                      "Stop"]
    seen_points = []

    def finished(at):
        loss = live_figures(at).get("loss")
        if loss is not None:
            seen_points.append(sum(len(trace["x"]) for trace in loss["data"]))
        return bool(at.success)

    until(at, finished)
    assert values(at.success)[0].startswith("Completed: finished 4 epochs. Test accuracy ")
    assert len(progress(at)) == 1
    assert progress(at)[0].startswith("epoch 4/4 · step 52/52 · ")  # 105 samples, batches of 8
    assert seen_points == sorted(seen_points)  # curves only gain points as the run goes
    run = RunStore().get(run_id)
    assert run.status == "completed" and run.config["epochs"] == 4
    figures = live_figures(at)
    assert list(figures) == ["loss", "accuracy", "lr"]
    loss = figures["loss"]
    assert loss["layout"]["title"]["text"] == "Loss"
    assert [t["name"] for t in loss["data"]] == ["training", "validation"]
    # the whole run: the first step, then 52 steps logged every 10th and at each epoch's last
    # (13, 26, 39, 52: the train curve reaches the validation point); one validation point an
    # epoch
    assert [len(t["x"]) for t in loss["data"]] == [10, 4]
    assert loss["data"][0]["x"][-1] == loss["data"][1]["x"][-1]
    assert seen_points[-1] == 14

    again = train_page(project).run()  # the browser was closed: a new session finds the run
    assert state_of(again).run_id == run_id
    assert values(again.success) == values(at.success)


@pytest.mark.slow  # three run processes start
def test_pause_resume_and_stop_reach_the_run(project):
    at = train_page(project).run()
    at.number_input(key="train.cfg.epochs").set_value(2000).run()
    at.button(key="train.start").click().run()
    until(at, lambda at: "step 0/" not in "".join(progress(at)) and "epoch" in
          "".join(progress(at)))
    at.button(key="train.pause").click().run()
    assert values(at.info)[0].endswith("will pause after this batch.")
    until(at, lambda at: any(v.startswith("Paused") for v in values(at.info)))
    run_id = state_of(at).run_id
    assert RunStore().get(run_id).status == "paused"
    at.button(key="train.resume").click().run()
    until(at, lambda at: RunStore().get(run_id).status == "running" and
          at.button(key="train.stop") is not None)
    at.button(key="train.stop").click().run()
    until(at, lambda at: any(v.startswith("Stopped") for v in values(at.info)))
    assert RunStore().get(run_id).status == "stopped"


def test_a_failed_run_shows_its_reason_in_words(project):
    store = RunStore()
    run_id = store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(),
                              {"source": "iris"}, {"epochs": 1})
    store.set_status(run_id, "failed", "the training loss became nan at step 3 (epoch 1): try "
                                       "a lower learning rate")
    projectruns.remember(project, run_id)
    at = train_page(project).run()
    assert not at.exception
    assert values(at.error) == ["The run failed: the training loss became nan at step 3 "
                                "(epoch 1): try a lower learning rate"]
    assert at.button(key="train.start") is not None
