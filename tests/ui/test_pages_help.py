"""The Help page (AppTest): a newcomer's first hour in steps, the canvas's mouse and keys, and
the usual mistakes with what LayerLoom says and what to do. There was no help in the app: the
top bar's pages and the inspector's one paragraph were all a newcomer had. The page names the
pages and buttons as the app draws them."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from layerloom.ui import app
from layerloom.ui.pages import help as helppage

UI = Path(app.__file__).resolve().parent


def test_the_help_page_draws_the_steps_the_controls_and_the_mistakes():
    def script():
        from layerloom.ui.pages import help as page

        page.render(None)

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Help"]
    assert [s.value for s in at.subheader] == ["Your first hour", "On the canvas",
                                               "Common mistakes, and what to do"]
    steps = [m.value for m in at.markdown if re.match(r"\d\. \*\*", m.value)]
    assert [s.split("**")[1] for s in steps] == ["Designer", "Data", "Train", "Results", "Runs",
                                                 "Export"]
    assert [e.label for e in at.expander][0].startswith("No Flatten")
    assert len(at.expander) == len(helppage.MISTAKES) == 6


def test_help_is_in_the_top_bar_after_the_pages_it_names():
    titles = ["Designer"] + [title for _, title, _ in app.OTHER_PAGES]
    assert titles[-1] == "Help"
    assert [page for page, _ in helppage.STEPS] == titles[:-1]


def test_the_buttons_and_sections_it_names_are_the_apps():
    named = set()
    for text in [what for _, what in helppage.STEPS] + [c[1] for c in helppage.CONTROLS] + \
            [m[2] for m in helppage.MISTAKES]:
        named |= {n.strip(" …") for n in re.findall(r"\*\*([^*]+)\*\*", text)}
    assert {"New", "Start training", "Pause", "Stop", "Resume", "Compare", "Group",
            "Fit view", "Auto layout", "Flatten"} <= named
    sources = "\n".join(p.read_text() for p in [*UI.glob("*.py"), *UI.glob("pages/*.py"),
                                                 UI / "canvas/frontend/src/Canvas.jsx"]
                        if p.name != "help.py")
    sources += "\n".join(p.read_text() for p in (UI.parent / "graph").rglob("*.py"))
    missing = [n for n in named if n not in sources]
    assert not missing, f"named on the Help page but drawn nowhere: {missing}"
