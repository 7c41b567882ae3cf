"""LayerLoom's node-editor canvas: a Streamlit custom component built on React Flow.

The frontend lives in ``frontend/`` and its built bundle in ``frontend/build/`` (committed, so
users need no Node; ``make frontend`` rebuilds it). Set ``LAYERLOOM_CANVAS_DEV_URL`` (for
example ``http://localhost:3001``, after ``npm run dev`` in ``frontend/``) to load the component
from a Vite dev server instead.

The canvas shows one level of a graph and sends one event per user action. It keeps every
event Python has not acknowledged in a queue and sends them all (the component value is
``{"events": [...]}``, strictly increasing ``seq``), so no event is ever replaced by a later
one when Streamlit merges reruns. Handle each new one in order (they are in the session under
the key) before drawing, and acknowledge the last handled::

    for event in events(st.session_state.get("designer")):
        if event["seq"] > state.last_seq:
            state.last_seq = event["seq"]
            if event["event"] == "change":
                level["nodes"], level["edges"] = event["graph"]["nodes"], event["graph"]["edges"]
    canvas(level, catalog, annotations, selected=state.selected, ack=state.last_seq,
           version=state.version, key="designer")

An event is ``{"seq", "event", "selected", ...}`` where ``event`` is ``change`` (with
``graph`` and ``base``, the ``version`` it was made on), ``select``, ``undo``, ``redo``,
``group`` (with ``ids``) or ``open`` (with ``id``); see :func:`canvas`. This module imports only
Streamlit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

__all__ = ["EVENTS", "canvas", "events"]

#: The event kinds the canvas sends.
EVENTS = ("change", "select", "undo", "redo", "group", "open")

_BUILD_DIR = Path(__file__).resolve().parent / "frontend" / "build"
_DEV_URL = os.environ.get("LAYERLOOM_CANVAS_DEV_URL", "").strip()
_RELEASE = not _DEV_URL

if _RELEASE:
    _component = components.declare_component("layerloom_canvas", path=str(_BUILD_DIR))
else:
    _component = components.declare_component("layerloom_canvas", url=_DEV_URL)


def canvas(
    graph: dict,
    catalog: list[dict],
    annotations: dict,
    *,
    selected: list[str] | None = None,
    theme: str = "light",
    height: int = 640,
    key: str | None = None,
    ack: int | None = None,
    view_key: str | None = None,
    version: str | int | None = None,
    can_undo: bool | None = None,
    can_redo: bool | None = None,
    fit_window: dict | None = None,
) -> dict | None:
    """Show one level of a graph in the node editor; return the user's last action, or None.

    Args:
        graph: one level in the graph format: ``{"nodes": [...], "edges": [...]}`` (other keys
            are not sent). Nodes without ``position`` are laid out by the canvas.
        catalog: block types, ``{"type", "category", "help", "doc_url", "params", "ports",
            "key_params"}``; composite blocks of the graph with category ``"Blocks"``.
        annotations: ``{"nodes": {id: {"output_shape", "params", "macs", "errors",
            "warnings"}}, "edges": {"<source>-><target>": {"shape"}}}``. A block with several
            outputs (catalog entry ``"outputs": "several"``, a composite's with its
            ``"output_names"``) has ``"ports"`` (names) and ``"output_shapes"`` too, and draws
            one source handle per output (``out:0``, ``out:1``…); an edge with ``source_port``
            is keyed ``"<source>:<source_port>-><target>"`` and a wire dragged from an output
            comes back with ``source_port``. A node's ``"bad_params"`` (names) are
            the params its problems name: the card shows each as a marked row.
        selected: node ids to select; applied when it differs from the previous call, so pass
            the last event's ``selected`` back (or None to leave the selection alone).
        theme: ``"light"`` or ``"dark"`` (``"auto"`` follows Streamlit's theme).
        height: height of the component in pixels.
        key: widget key. Defaults to ``"layerloom_canvas"`` so that the canvas keeps its
            state when the graph changes; give each canvas on one page its own key.
        ack: the ``seq`` of the last event Python has handled (0 before any). Every handled
            event then changes the arguments, so Streamlit always delivers Python's answer,
            and once ``ack`` reaches the newest event the canvas sent, ``graph`` and
            ``selected`` are authoritative: the canvas shows them even when they equal the
            previous call's (say, an undo that restores the graph last drawn); below it, the
            call comes from a run that began before Python had the newest events, and the
            canvas keeps what it shows until the answer to them (they ask for a run). None: the
            canvas takes ``graph`` only when it changed (and is not a late echo).
        view_key: names what is shown (say, the project and the level); the canvas keeps the
            zoom and pan of each in the browser's localStorage, so that they survive page
            switches and reloads, and shows a view key's own view when it changes. None: the
            view is not kept.
        version: names the version of ``graph`` (any string or number that changes with
            it); each ``change`` event carries the version of the graph it was made on as
            ``base``, so Python can tell a change made on an older version.
        can_undo, can_redo: whether Undo and Redo have anything to do (the session's history);
            False turns the button and its key off (until the canvas sends a change, which can
            be undone). None: always on.
        fit_window: ``{"min": px, "below": px}``: the canvas fills the browser window from its
            top down to ``below`` pixels above the window's bottom edge (room for what follows
            it), never less than ``min`` pixels tall, and follows the window's size. ``height``
            is then what it takes until it has measured the window (or where it cannot).

    Returns:
        The newest unacknowledged event, ``{"seq": int, "event": str, "selected": [ids],
        ...}`` (``graph`` and ``base`` with a ``change``), with all the events not yet
        acknowledged, oldest first, under ``"events"`` (see :func:`events`); ``seq`` increases
        strictly, so compare it with the last one handled. None before the first action.
    """
    if theme not in ("light", "dark", "auto"):
        raise ValueError(f"theme must be 'light', 'dark' or 'auto', not {theme!r}")
    level = {"nodes": list(graph.get("nodes", [])), "edges": list(graph.get("edges", []))}
    value: Any = _component(
        graph=level,
        catalog=list(catalog),
        annotations=annotations or {},
        selected=None if selected is None else [str(i) for i in selected],
        theme=theme,
        height=int(height),
        ack=None if ack is None else int(ack),
        view_key=None if view_key is None else str(view_key),
        version=None if version is None else str(version),
        can_undo=None if can_undo is None else bool(can_undo),
        can_redo=None if can_redo is None else bool(can_redo),
        fit_window=None if fit_window is None else {
            "min": int(fit_window.get("min", 0)), "below": int(fit_window.get("below", 0))},
        key=key or "layerloom_canvas",
        default=None,
    )
    queue = events(value)
    if not queue:
        return None
    return {**queue[-1], "events": queue}


def events(value: Any) -> list[dict]:
    """The events in a component value (or in what :func:`canvas` returned), oldest first:
    the canvas's queue ``{"events": [...]}``, or one event of an older canvas."""
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("events"), list):
        items = [e for e in value["events"]
                 if isinstance(e, dict) and isinstance(e.get("seq"), (int, float))]
        return sorted(items, key=lambda e: e["seq"])
    return [value] if isinstance(value.get("seq"), (int, float)) else []
