"""Train page and Runs table: a completed run's test metrics read as the Results page shows
them, named in words and shares as percentages ("accuracy 96.4%, macro F1 96.41%, loss
0.1016"); they read as the records' keys ("loss 0.1016, accuracy 0.964, macro_f1 0.9641"), the
loss first and the accuracy a fraction where Results said 96.40%."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.ui import projectruns
from layerloom.ui.pages.runs import rows

from layerloom.ui.testing import train_page as page

from .test_pages_train import project  # noqa: F401 - the fixture

METRICS = {"test_loss": 0.1016, "test_accuracy": 0.964, "test_macro_f1": 0.9641}


def completed_run(project_id: str) -> int:
    store = RunStore()
    run_id = store.create_run("mlp-tabular", load_template("mlp-tabular").to_dict(),
                              {"source": "iris"}, {"epochs": 4})
    store.set_status(run_id, "completed", "finished 4 epochs", final_metrics=METRICS)
    projectruns.remember(project_id, run_id)
    return run_id


def test_the_completed_run_says_its_test_metrics_in_words(project):  # noqa: F811
    completed_run(project)
    at = page(project).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Completed: finished 4 epochs. Test accuracy 96.4%, macro F1 96.41%, loss 0.1016. "
        "See the Results page."]


def test_the_runs_table_says_them_the_same_way(project):  # noqa: F811
    completed_run(project)
    table = rows(RunStore().list_runs())
    assert table["test"].iloc[0] == "accuracy 96.4%, macro F1 96.41%, loss 0.1016"
