"""A project that fails to open (issue 11) opens the app anyway: the problem is shown and the
project's snapshots are offered, any of which opens as a new project (AppTest)."""

from __future__ import annotations

import re

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test


def shown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_a_project_that_no_longer_reads_offers_its_snapshots(home, canvas):
    store = ProjectStore()
    graph = load_template("mlp-tabular")
    pid = store.create(graph)
    store.snapshot(pid, "good one", graph)
    (store.projects / pid / "graph.json").write_text("[" * 100_000 + "]" * 100_000)

    at = app_test()
    at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["project"] != pid  # the app opened, on another project
    warnings = [shown(w.value) for w in at.warning]
    assert any(w.startswith(f"Project {pid} could not be opened: ") for w in warnings), warnings
    assert at.selectbox(key=f"unopened:snap:{pid}").options[0].startswith("good one (")
    at.button(key=f"unopened:open:{pid}").click().run()
    assert not at.exception, at.exception
    opened = at.query_params["project"]
    assert opened != pid and store.load(opened).graph.to_dict()["nodes"] == \
        graph.to_dict()["nodes"]
    assert any("Opened snapshot “good one" in shown(s.value) for s in at.success)
    assert not any("could not be opened" in shown(w.value) for w in at.warning)
