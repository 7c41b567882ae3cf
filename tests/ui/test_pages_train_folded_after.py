"""Train page: the training settings, folded away while a run trains, stay folded once the run
this session watched ends, so that its outcome ("Completed: … Test accuracy … See the Results
page.") shows without scrolling in a 1366×768 window. Before, they unfolded the moment the run
completed and pushed the outcome below the window's edge: a newcomer saw the form again and no
sign that training had finished, nor where to go next. A run found on opening the page (one
this session did not watch) shows the settings unfolded, as before."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.ui import projectruns

from layerloom.ui.testing import train_page as page

from .test_pages_train import project  # noqa: F401 - the fixture


def _run(project_id: str, status: str) -> int:
    store = RunStore()
    run_id = store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(),
                              {"source": "iris"}, {"epochs": 4})
    store.set_status(run_id, status, "finished 4 epochs" if status == "completed" else "")
    projectruns.remember(project_id, run_id)
    return run_id


def _settings_open(at) -> bool:
    return next(e for e in at.expander if e.label == "Training settings").proto.expanded


def test_the_settings_stay_folded_over_the_run_watched_to_its_end(project):  # noqa: F811
    run_id = _run(project, "running")
    at = page(project).run()
    assert not at.exception
    assert not _settings_open(at)  # folded while it trains
    RunStore().set_status(run_id, "completed", "finished 4 epochs",
                          final_metrics={"test_accuracy": 0.964, "test_loss": 0.1})
    at.run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Completed: finished 4 epochs. Test accuracy 96.4%, loss 0.1. See the Results page."]
    assert not _settings_open(at)


def test_a_run_found_on_opening_the_page_leaves_the_settings_open(project):  # noqa: F811
    _run(project, "completed")
    at = page(project).run()
    assert not at.exception
    assert _settings_open(at)
