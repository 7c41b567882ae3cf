"""A block's long id wraps between its words, at a 1366×768 window, in a real browser (Debian's
Chromium driven by Playwright against the designer on a free port with a fresh
``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

An imported model names its blocks by their attribute paths: a nanoGPT-style
``position_embedding_table`` read 'position_embedding_tabl' over 'e' on its card, cut wherever
the line ran out. It now wraps after an underscore (graph.js ``idWords``), a part longer than a
line still anywhere.

Screenshots go to the screenshots folder (``shots``). Skipped where Chromium or Playwright is
missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import linked, open_project, settled

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

# the text of each line an element's text is drawn on, top to bottom
LINES_JS = """el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    for (let i = 0; i < t.length; i++) {
      const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
      chars.push([Math.round(r.getBoundingClientRect().top), t.data[i]]);
    }
  }
  const lines = new Map();
  for (const [top, c] of chars) lines.set(top, (lines.get(top) || '') + c);
  return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]); }"""


@pytest.fixture(scope="module")
def designs():
    return {"ids": linked("long-ids", [
        ("idx", "Input", {"shape": [32], "dtype": "int64"}),
        ("token_embedding_table", "Embedding", {"num_embeddings": 100, "embedding_dim": 16}),
        ("position_embedding_table", "PositionalEmbedding", {"max_len": 32}),
        ("final_layer_norm", "LayerNorm", {}),
        ("output1", "Output", {})])}


def test_a_long_id_wraps_after_an_underscore(app_url, page, projects, shots):
    frame = open_project(page, app_url, projects["ids"],
                         '[data-testid="node-position_embedding_table"]')
    settled(page, frame, ["idx", "position_embedding_table"])
    page.screenshot(path=str(shots / "canvas-long-ids.png"))
    for node in ("token_embedding_table", "position_embedding_table"):
        lines = frame.locator(f'[data-testid="node-{node}"] .ll-id').evaluate(LINES_JS)
        assert "".join(lines) == node
        # each line ends at an underscore, or is the id's last part
        assert all(line.endswith("_") for line in lines[:-1]), lines
        assert lines[-1] in node.split("_") or lines[-1].endswith(node.split("_")[-1]), lines
