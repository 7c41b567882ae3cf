"""Results → Look inside, in a real browser at 1366×768: after another run is chosen at the top
of the page, "Which" (the most confidently wrong sample to explain) shows a sample of that run.
It went on showing the first run's label ('#47: true neg → pos (63%)') over the second run's
explanation of another sample: the drop-down's options were the new run's, its text the old
one's, as the choice (the first) had not changed. An AppTest reads the options the server sent
and cannot see it.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import re

import pytest
from canvas_browser import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("patient_expect")]

expect = pytest.importorskip("playwright.sync_api").expect


def bag(name: str, width: int):
    from layerloom.graph import load_graph

    nodes = [{"id": "x", "type": "Input", "params": {"shape": [32], "dtype": "int64"}},
             {"id": "embed", "type": "Embedding",
              "params": {"num_embeddings": 1000, "embedding_dim": width}},
             {"id": "pool", "type": "SequencePool", "params": {}},
             {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
             {"id": "y", "type": "Output"}]
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": name,
                       "nodes": nodes, "edges": edges})


@pytest.fixture(scope="module")
def designs(app_home):
    """Two text models, each with a run (before the app starts) whose wrong samples differ."""
    from layerloom.runtime import RunStore, train

    made = {"narrow": bag("narrow", 2), "wide": bag("wide", 16)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERLOOM_HOME", str(app_home))
        for name, graph in made.items():
            train(graph, "text-sentiment", {"epochs": 1, "seed": len(name)}, store=RunStore())
    return made


def wrong_labels(app_home) -> dict[str, str]:
    """Each run's first most-confidently-wrong sample, as "Which" names it."""
    from layerloom.runtime import RunStore

    store = RunStore(app_home / "runs.db")
    out = {}
    for run in store.list_runs():
        w = store.evaluation(run.id)["most_confident_wrong"][0]
        out[run.name] = (f"#{w['index']}: true {w['true_class']} → {w['predicted_class']} "
                         f"({w['confidence']:.0%})")
    return out


def test_which_names_a_sample_of_the_run_shown(app_url, app_home, page, projects, shots):
    first = wrong_labels(app_home)
    assert first["narrow"] != first["wide"]
    page.goto(f"{app_url}/results?project={projects['narrow']}")
    which = page.get_by_role("combobox", name="Which")
    expect(which).to_have_value(re.compile(r"^#\d+: true "), timeout=3 * TIMEOUT_MS)
    run = page.get_by_role("combobox").nth(1)  # the run shown (after the project bar's)
    shown = "narrow" if run.input_value().startswith("narrow") else "wide"
    other = "wide" if shown == "narrow" else "narrow"
    expect(which).to_have_value(first[shown])
    run.click()
    page.get_by_role("option").filter(has_text=f"{other} #").first.click()
    index = first[other].split(":")[0][1:]
    expect(page.get_by_text(f"test sample {index}: the model says")).to_be_visible(
        timeout=3 * TIMEOUT_MS)
    page.screenshot(path=str(shots / "inside-which-after-run-switch-1366.png"))
    expect(which).to_have_value(first[other])
