"""A finished run whose data file has changed since it trained (a column emptied, so the file
now gives fewer values per sample; or read otherwise by a newer LayerLoom): the Results page
and ``layerloom explain`` say so in words naming the run, its model's input and the file's.
``explain`` printed torch's 'mat1 and mat2 shapes cannot be multiplied (1x1 and 2x64)', and
Try it told the user to set the design's Input's shape to [1]."""

from __future__ import annotations

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import train
from layerloom.runtime.attributions import ExplainError
from layerloom.runtime.explain_run import load_run

from .test_pages_results_edit_row import page

SAID = ("run 1's model takes [2] float32 per sample, but its data, form.csv, now give [1] "
        "float32: the file has changed since the run trained (or is read otherwise now), so "
        "its samples are not the ones the model learned from; train a new run on it")


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        path = home / "form.csv"
        path.write_text("age,score,label\n" + "".join(f"{20 + i},{i % 5},{'xy'[i % 2]}\n"
                                                      for i in range(40)))
        graph = load_template("mlp-tabular")
        graph.variables.update(features=2, classes=2)
        run_id = train(graph, {"source": str(path)}, {"epochs": 1}, store=store).run_id
        path.write_text("age,score,label\n" + "".join(f"{20 + i},,{'xy'[i % 2]}\n"
                                                      for i in range(40)))  # score emptied
        yield home, store, run_id


def test_explain_says_the_runs_data_have_changed(run):
    _, store, run_id = run
    with pytest.raises(ExplainError) as caught:
        load_run(run_id, store)
    assert str(caught.value) == SAID


def test_the_results_page_says_so_too(run, monkeypatch):
    home, _, run_id = run
    at = page(home, monkeypatch, run_id)
    assert not at.exception
    errors = [e.value.replace("\\[", "[").replace("\\]", "]") for e in at.error]
    assert errors and all(SAID in e for e in errors)
    assert not any("set the Input" in e or "mat1" in e for e in errors)
