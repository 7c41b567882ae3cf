"""Every template opens on the canvas with no block's card over another's, at a laptop's 1366×768
window, in a real browser (Debian's Chromium driven by Playwright against the designer started
on a free port with a fresh ``LAYERLOOM_HOME``; the fixtures are tests/ui/conftest.py's).

transformer-text's encoder card, taller once it took a padding mask as a second input, reached
over the Linear card of the row below: its feed-forward size and its repeat were hidden. The
template's positions leave its rows room for their cards. Skipped where Chromium or Playwright
is missing.
"""

from __future__ import annotations

import pytest
from canvas_browser import open_project, settled

from layerloom.graph.templates import load_template, template_names

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

NAMES = [n for n in template_names() if n not in ("resnet18", "efficientnet-b0")]  # big: slow


@pytest.fixture(scope="module")
def designs():
    return {name: load_template(name) for name in NAMES}


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("name", NAMES)
def test_no_card_of_a_template_covers_another(app_url, page, projects, name):
    ids = [n.id for n in load_template(name).nodes]
    frame = open_project(page, app_url, projects[name], f'[data-testid="node-{ids[0]}"]')
    boxes = settled(page, frame, ids)
    drawn = [(i, boxes[i]) for i in ids if boxes.get(i)]
    assert len(drawn) == len(ids), f"{name}: drawn {sorted(boxes)}"
    covered = [f"{a} and {b}" for k, (a, box_a) in enumerate(drawn)
               for b, box_b in drawn[k + 1:] if _overlap(box_a, box_b)]
    assert not covered, f"{name}: cards over one another: {', '.join(covered)}"
