"""User text is text in the bundle's model card (issue 11): a graph's name, description and task,
a run's name, its dataset's name and class labels holding HTML or Markdown are escaped."""

from __future__ import annotations

import zipfile

from layerloom.graph import load_graph
from layerloom.graph.export import RunInfo, export_model

from .conftest import chain_graph

EVIL = "<img src=x onerror=alert(1)> [click](http://evil.example) **bold** ![i](x.png) `c`"


def test_user_text_in_the_model_card_is_escaped(tmp_path):
    data = chain_graph(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 2}),
                       ("y", "Output", {}), name="net " + EVIL, task="task " + EVIL)
    data["description"] = f"# Heading\n- item {EVIL}\n1. first\n<script>alert(1)</script>"
    graph = load_graph(data)
    run = RunInfo(name="run " + EVIL, run_id=7,
                  dataset={"name": "data " + EVIL, "task": "task " + EVIL,
                           "classes": [EVIL, "plain"]})
    export_model(graph, "bundle", tmp_path / "b.zip", run=run)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        card = archive.read("README.md").decode()
    for raw in ("<img", "<script", "](http", "**bold**", "![i]", "`c`"):
        assert raw not in card, raw
    assert card.startswith("# net &lt;img src=x onerror=alert\\(1\\)&gt; "
                           "\\[click\\]\\(http://evil.example\\) \\*\\*bold\\*\\*")
    assert "\n\\# Heading\n\\- item &lt;img" in card
    assert "\n1\\. first\n&lt;script&gt;alert\\(1\\)&lt;/script&gt;\n" in card
    assert "from run 7 (run &lt;img src=x" in card
    assert "- Dataset: data &lt;img" in card
    assert "- Task: task &lt;img src=x onerror=alert\\(1\\)&gt;" in card

