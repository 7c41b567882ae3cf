"""Train page: the metric to watch is a choice among the metrics the run will log for its task,
in words, the validation ones first; the config keeps the key (``val_accuracy``). It was a
free-text box a newcomer had to type a key into, and a key the run does not log failed the run
only once it had started."""

from __future__ import annotations


from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import train_page

KEY = "train.cfg.monitor"


def _project(tmp_path, monkeypatch, template: str) -> str:
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return DesignerState.new(ProjectStore(), load_template(template)).project_id


def test_a_classifier_watches_one_of_its_four_metrics_named_in_words(tmp_path, monkeypatch):
    at = train_page(_project(tmp_path, monkeypatch, "mlp-tabular")).run()
    assert not at.exception
    box = at.selectbox(key=KEY)
    assert box.label == "Metric to watch"
    assert box.options == ["Validation loss", "Validation accuracy", "Training loss",
                           "Training accuracy"]
    assert box.value == "val_loss"
    box.set_value("val_accuracy").run()
    assert not at.exception and not at.error
    assert at.session_state.app.pages["runs"].config["monitor"] == "val_accuracy"


def test_a_regression_offers_the_mae_instead_of_accuracy(tmp_path, monkeypatch):
    graph = load_template("mlp-tabular")
    graph.extra["task"] = "regression"  # the design's own task: numbers from the measurements
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    at = train_page(DesignerState.new(ProjectStore(), graph).project_id).run()
    assert not at.exception
    assert at.selectbox(key=KEY).options == ["Validation loss", "Validation MAE",
                                             "Training loss", "Training MAE"]
