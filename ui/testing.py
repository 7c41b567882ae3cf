"""Helpers for testing the app with Streamlit's ``AppTest``, where the canvas (a browser
component) cannot run: :class:`FakeCanvas` stands in for it.

>>> fake = FakeCanvas()
>>> fake({"nodes": [], "edges": []}, [], {}) is None
True
>>> fake.send("select", selected=["conv1"])
>>> fake.event["seq"], fake.event["event"], fake.event["selected"]
(1, 'select', ['conv1'])
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
# AppTest runs this script, which runs the app: a script of its own, outside ui/, so Streamlit
# does not take ui/pages/ for old-style page scripts (see layerloom.ui.serve).
LAUNCH = "from layerloom.ui.app import main\n\nmain()\n"


def shown(text: str) -> str:
    """Markdown or a label as the browser shows it: user text arrives escaped
    (``out\\_features``, see :func:`layerloom.ui.fields.plain`)."""
    return re.sub(r"\\(.)", r"\1", text)


def toasted(at, icon: str | None = ":material/check_circle:") -> list[str]:
    """The toasts of an AppTest's last run as the browser shows them (by default the success
    ones, which carry a check icon; ``icon=None``: all)."""
    return [shown(t.value) for t in at.toast if icon is None or t.icon == icon]


def widget(widgets, label: str):
    """The widget of an AppTest element list whose label the browser shows as ``label``."""
    return next(w for w in widgets if shown(w.label) == label)


def popovers(at) -> dict:
    """``{label: block}`` of every popover on the page (AppTest has no accessor of its own):
    its label as drawn, its ``children`` what it holds."""
    found: dict = {}

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "popover":
                found[child.proto.popover.label] = child
            walk(child)

    walk(at._tree)
    return found


def app_test(timeout: float = 60):
    """A Streamlit ``AppTest`` of the whole app, not yet run."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(LAUNCH, default_timeout=timeout)


def train_page(project_id: str, timeout: float = 60):
    """A Streamlit ``AppTest`` of the Train page alone, in a fresh browser session on project
    ``project_id``, not yet run."""
    from streamlit.testing.v1 import AppTest

    def script(pid: str = ""):
        import streamlit as st

        from layerloom.ui.pages import train
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        train.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"pid": project_id}, default_timeout=timeout)


class FakeCanvas:
    """Stands in for ``layerloom.ui.canvas.canvas``: records what the page drew and returns the
    event a test queued, as the real component returns the user's last action until the next.

    Patch it in with ``monkeypatch.setattr(layerloom.ui.canvas, "canvas", FakeCanvas())``.
    """

    def __init__(self):
        self.calls: list[dict] = []
        self.event: dict | None = None
        self.seq = 0

    def __call__(self, graph, catalog, annotations, *, selected=None, theme="light",
                 height=640, key=None, ack=None, view_key=None, version=None,
                 can_undo=None, can_redo=None, fit_window=None):
        self.calls.append({"graph": copy.deepcopy(graph), "catalog": catalog,
                           "annotations": copy.deepcopy(annotations),
                           "selected": selected, "theme": theme, "ack": ack,
                           "view_key": view_key, "version": version,
                           "can_undo": can_undo, "can_redo": can_redo,
                           "fit_window": fit_window, "height": height})
        return self.event

    @property
    def last(self) -> dict:
        """The arguments of the last draw."""
        return self.calls[-1]

    def send(self, kind: str, graph: dict | None = None, selected: list | None = None,
             **extra) -> None:
        """Queue one user action (``change``, ``select``, ``undo``…); the next run gets it.
        ``graph`` defaults to the level last drawn."""
        self.seq += 1
        level = graph if graph is not None else (self.last["graph"] if self.calls else
                                                 {"nodes": [], "edges": []})
        self.event = {"seq": self.seq, "event": kind, "graph": copy.deepcopy(level),
                      "selected": list(selected or []), **extra}
        if kind == "change" and self.calls and "base" not in extra:
            self.event["base"] = self.last.get("version")  # made on the graph last drawn
