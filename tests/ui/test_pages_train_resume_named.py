"""Train page: a run stopped or paused part-way is gone on with by a Resume button that names it
and the epoch it goes on from, shown first and as the page's main action; Start then says that
it begins a new run. Start read "Start training", red and first, beside a grey "Resume": a
student who had stopped half-way pressed it to go on, and saw a new run's curves and epoch count
start over."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.ui import projectruns

from layerloom.ui.testing import train_page as page

from .test_pages_train import project  # noqa: F401 - the fixture


def stopped_run(project_id: str, tmp_path, status: str = "stopped") -> int:  # noqa: F811
    """A run of the project stopped in its third epoch (step 250 of 330), its checkpoint on
    disk, as a run stopped by request leaves it."""
    store = RunStore()
    run_id = store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(),
                              {"source": "iris"}, {"epochs": 3, "lr": 0.01})
    checkpoint = tmp_path / "run.pt"
    checkpoint.write_bytes(b"checkpoint")
    store.update(run_id, checkpoint=str(checkpoint),
                 progress={"epoch": 2, "epochs": 3, "step": 250, "total_steps": 330})
    store.set_status(run_id, status, "stopped by request at step 250 (epoch 3, after batch 30 "
                                     "of 110)")
    projectruns.remember(project_id, run_id)
    return run_id


def test_resume_names_the_run_and_comes_first_start_says_a_new_run(project, tmp_path):  # noqa: F811
    stopped_run(project, tmp_path)
    at = page(project).run()
    assert not at.exception and not at.error
    buttons = [b for b in at.button if b.key in ("train.resume", "train.start")]
    assert [b.key for b in buttons] == ["train.resume", "train.start"]
    resume, start = buttons
    assert resume.label == "Resume mlp-tabular #1 from epoch 3 of 3"
    assert resume.proto.type == "primary"
    assert "with its own settings (adam, rate 0.01, batch 32, 3 epochs)" in resume.help
    assert "the settings above are for a new run" in resume.help
    assert start.label == "Start a new run"
    assert start.proto.type == "secondary"
    assert start.help.startswith("A new run from the first epoch, with the settings above; the "
                                 "stopped run stays as it is, to resume later.")


def test_with_nothing_to_resume_start_is_the_main_action(project, tmp_path):  # noqa: F811
    at = page(project).run()
    assert not _has(at, "train.resume")
    start = at.button(key="train.start")
    assert start.label == "Start training"
    assert start.proto.type == "primary"


def _has(at, key: str) -> bool:
    return any(b.key == key for b in at.button)


def test_pause_and_stop_say_that_the_run_keeps_its_place(project):  # noqa: F811
    import os
    import time

    store = RunStore()
    run_id = store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(),
                              {"source": "iris"}, {"epochs": 3})
    store.set_status(run_id, "running", pid=os.getpid(), heartbeat=time.time(),
                     started=time.time(),
                     progress={"epoch": 0, "epochs": 3, "step": 5, "total_steps": 42})
    projectruns.remember(project, run_id)
    at = page(project).run()
    assert not at.exception
    assert at.button(key="train.pause").help == (
        "Pause after this batch: the run keeps its place (epoch, step, curves) and Resume goes "
        "on from there. Nothing is tested while paused.")
    assert at.button(key="train.stop").help == (
        "Stop after this batch and test the model as trained so far (the Results page shows "
        "it); the run is kept: Resume goes on from this batch, its curves and epoch count "
        "carried on.")


def test_resume_says_where_it_goes_on_from_once(project, tmp_path):  # noqa: F811
    """Where the epochs tell a design's runs apart, a run stopped part-way is named by how far
    it went ("mlp-tabular #2 · 2 of 3 epochs"): the button read "Resume mlp-tabular #2 · 2 of 3
    epochs from epoch 3 of 3", the epochs twice in two ways."""
    store = RunStore()
    store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(), {"source": "iris"},
                     {"epochs": 10, "lr": 0.01})
    run_id = stopped_run(project, tmp_path)
    from layerloom.ui.pages.common import run_names

    assert run_names(store.list_runs())[run_id] == "mlp-tabular #2 · 2 of 3 epochs"
    at = page(project).run()
    assert not at.exception
    resume = next(b for b in at.button if b.key == "train.resume")
    assert resume.label == "Resume mlp-tabular #2 from epoch 3 of 3"


def test_resume_says_which_run_it_resumed_by_its_name(project, tmp_path, monkeypatch):  # noqa: F811
    """Once Resume is pressed the page names the run as its button did: it said "Run 1
    resumed.", a number the pages show only after '#'."""
    import layerloom.ui.pages.train as train_page

    run_id = stopped_run(project, tmp_path)
    resumed = []
    monkeypatch.setattr(train_page, "resume_run", lambda rid, store: resumed.append(rid))
    at = page(project).run()
    next(b for b in at.button if b.key == "train.resume").click().run()
    assert resumed == [run_id]
    assert not at.exception
    shown = [m.value for m in [*at.success, *at.info, *at.toast, *at.markdown, *at.caption]]
    assert any("mlp-tabular #1 resumed." in str(v) for v in shown), shown
    assert not any("Run 1 resumed" in str(v) for v in shown), shown
