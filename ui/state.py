"""The designer's session state: one typed object per browser tab, kept in one session key.

:class:`DesignerState` holds the open project and its graph, the level shown (the composite
blocks opened), the selection, the undo and redo history, the last canvas event handled and the
theme. Every change of the graph goes through :meth:`DesignerState.commit`, which records undo,
bumps ``revision`` and autosaves. Validation and annotations are derived, computed once per
revision. Only :func:`current` touches Streamlit; the rest runs (and is tested) without it.

>>> import tempfile
>>> from layerloom.graph.templates import load_template
>>> from layerloom.ui.projects import ProjectStore
>>> state = DesignerState.new(ProjectStore(tempfile.mkdtemp()), load_template("seed-cnn"))
>>> state.totals().params
34826
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from layerloom.graph import Graph, GraphError, load_graph, validate
from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.graph.validate import Report

from .projects import ProjectError, ProjectStore

SESSION_KEY = "layerloom"
FIRST_TEMPLATE = "seed-cnn"
UNDO_LIMIT = 100
THEMES = ("light", "dark")

log = logging.getLogger(__name__)


@dataclass
class Notice:
    """A message for the next run of the page (``kind``: error, warning, info or success)."""

    kind: str
    text: str
    details: tuple[str, ...] = ()  # one line each, e.g. the problems of a file


@dataclass
class DesignerState:
    store: ProjectStore
    project_id: str
    graph: Graph
    path: tuple[str, ...] = ()  # composite blocks opened, outermost first
    selected: list[str] = field(default_factory=list)  # node ids at the current level
    # the canvas must be told the selection on its next draw (Python changed it); a selection
    # made on the canvas is never sent back, or it could undo a click made in the meantime
    tell_selection: bool = True
    undo_stack: list[dict] = field(default_factory=list)  # graph dicts, oldest first
    redo_stack: list[dict] = field(default_factory=list)
    last_seq: int = 0  # the canvas's last event handled
    theme: str = "light"
    view: str = "canvas"  # the main area: "canvas" or "model" (the expanded model graph)
    uploads: int = 0  # bumps after each upload, so the uploader starts empty again
    revision: int = 0  # bumps on every change of the graph: keys the derived caches
    saved_edits: int = 0  # the project's save count this session last read or wrote
    notices: list[Notice] = field(default_factory=list)
    pages: dict[str, Any] = field(default_factory=dict)  # other pages' own typed state
    _cache: dict = field(default_factory=dict, repr=False)

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, store: ProjectStore, pid: str) -> DesignerState:
        project = store.load(pid)
        state = cls(store, pid, project.graph, theme=_theme(store.settings().get("theme")),
                    saved_edits=project.edits)
        view = project.view
        state.path = tuple(p for p in view.get("path", []) if isinstance(p, str))
        state._fix_view()
        state.selected = [s for s in view.get("selected", []) if s in state._level_ids()]
        store.update_settings(last_project=pid)
        return state

    @classmethod
    def new(cls, store: ProjectStore, graph: Graph) -> DesignerState:
        return cls.open(store, store.create(graph))

    @classmethod
    def boot(cls, store: ProjectStore, wanted: str | None = None) -> DesignerState:
        """The project in the URL, else the last one opened, else a new ``seed-cnn``."""
        notes = []
        for pid, why in ((wanted, "the link"), (store.settings().get("last_project"), "")):
            if not pid:
                continue
            try:
                state = cls.open(store, pid)
            except (ProjectError, GraphError) as exc:
                notes.append(Notice("warning", f"Could not open project {pid} from "
                                               f"{why or 'last time'}: {exc}"))
                continue
            state.notices += notes
            return state
        state = cls.new(store, load_template(FIRST_TEMPLATE))
        state.notices += notes
        return state

    # -- derived, once per revision ---------------------------------------------------------

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        full = (key, self.revision)
        if full not in self._cache:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[full] = make()
        return self._cache[full]

    def report(self) -> Report:
        return self._cached("report", lambda: validate(self.graph))

    def annotations(self) -> dict:
        return self._cached(("annotations", self.path),
                            lambda: edit.annotations(self.report(), self.path))

    def catalog(self) -> list[dict]:
        return self._cached("catalog", lambda: edit.catalog(self.graph))

    def totals(self) -> edit.Totals:
        return self._cached("totals", lambda: edit.totals(self.report()))

    def level(self) -> dict:
        return edit.get_level(self.graph, self.path)

    def node(self, node_id: str):
        nodes, _ = edit.nodes_edges(self.graph, self.path)
        return next((n for n in nodes if n.id == node_id), None)

    def _level_ids(self) -> set[str]:
        nodes, _ = edit.nodes_edges(self.graph, self.path)
        return {n.id for n in nodes}

    # -- changes ----------------------------------------------------------------------------

    def commit(self, graph: Graph, *, selected: list[str] | None = None,
               from_canvas: bool = False) -> None:
        """Make ``graph`` the design: undo records the old one, the new one is saved."""
        self.undo_stack.append(self.graph.to_dict())
        del self.undo_stack[:-UNDO_LIMIT]
        self.redo_stack.clear()
        self._replace(graph, selected, from_canvas)

    def _replace(self, graph: Graph, selected: list[str] | None,
                 from_canvas: bool = False) -> None:
        self.graph = graph
        self.revision += 1
        if selected is not None:
            self.selected = list(selected)
            self.tell_selection |= not from_canvas
        self._fix_view()
        self.save()

    def apply(self, change: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a :mod:`layerloom.graph.edit` function on the design and commit its graph
        (unless nothing changed).

        Returns what it returned (the graph, or ``(graph, extra)``); a :class:`GraphError`
        becomes a notice, the design stays as it was, and None is returned.
        """
        try:
            result = change(self.graph, *args, **kwargs)
        except GraphError as exc:
            self.notify("error", str(exc))
            return None
        graph = result[0] if isinstance(result, tuple) else result
        if graph.to_dict() != self.graph.to_dict():  # a no-op leaves no undo step behind
            self.commit(graph)
        return result

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.redo_stack.append(self.graph.to_dict())
        self._replace(load_graph(self.undo_stack.pop()), None)
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        self.undo_stack.append(self.graph.to_dict())
        self._replace(load_graph(self.redo_stack.pop()), None)
        return True

    def replace_design(self, graph: Graph, message: str) -> None:
        """A whole new design in this project (an upload, a snapshot): undoable."""
        self.path = ()
        self.commit(graph, selected=[])
        self.notify("success", message)

    def switch(self, state: DesignerState) -> DesignerState:
        """Carry the session's theme, page states and canvas position over to another
        project's state (the canvas still holds its last event: it must not replay there)."""
        state.theme, state.pages, state.uploads = self.theme, self.pages, self.uploads
        state.last_seq = max(state.last_seq, self.last_seq)
        state.notices = self.notices + state.notices
        return state

    # -- view -------------------------------------------------------------------------------

    def select(self, ids: list[str], *, from_canvas: bool = False) -> None:
        if list(ids) != self.selected:
            self.selected = [i for i in ids if i in self._level_ids()]
            self.tell_selection |= not from_canvas
            self.save_view()

    def selection_for_canvas(self) -> list[str] | None:
        """The selection when the canvas must be told it, else None (it has it already)."""
        if not self.tell_selection:
            return None
        self.tell_selection = False
        return list(self.selected)

    def open_block(self, node_id: str) -> bool:
        node = self.node(node_id)
        if node is None or node.type not in self.graph.blocks:
            return False
        self.go_to(self.path + (node.type,), [])
        return True

    def go_to(self, path: tuple[str, ...], selected: list[str] | None = None) -> None:
        self.path = tuple(path)
        self._fix_view()
        self.selected = [s for s in (selected or []) if s in self._level_ids()]
        self.tell_selection = True
        self.save_view()

    def show_problem(self, node_path: str | None) -> bool:
        """Open the level holding a problem's node and select it."""
        where = edit.locate(self.graph, node_path or "")
        if where is None:
            return False
        self.go_to(where[0], [where[1]])
        return True

    def set_theme(self, theme: str) -> None:
        self.theme = _theme(theme)
        self.store.update_settings(theme=self.theme)

    def notify(self, kind: str, text: str, details: list[str] | tuple[str, ...] = ()) -> None:
        self.notices.append(Notice(kind, text, tuple(details)))

    def take_notices(self) -> list[Notice]:
        out, self.notices = self.notices, []
        return out

    def _fix_view(self) -> None:
        """Close blocks that no longer exist; drop selected ids that are gone."""
        keep = []
        for name in self.path:
            if name not in self.graph.blocks:
                break
            keep.append(name)
        self.path = tuple(keep)
        ids = self._level_ids()
        kept = [s for s in self.selected if s in ids]
        if kept != self.selected:
            self.selected = kept
            self.tell_selection = True

    def save(self) -> None:
        saved = self.store.save(self.project_id, self.graph, self._view(),
                                based_on=self.saved_edits)
        self.saved_edits = saved.edits
        if saved.kept is not None:
            self.notify("warning", "This design was also changed in another tab or window. "
                        f"Its version there is kept as the snapshot “{saved.kept.name}” "
                        "(Snapshots menu); this tab's design is the one saved now.")

    def save_view(self) -> None:
        try:
            self.store.save_view(self.project_id, self._view())
        except (OSError, ProjectError) as exc:  # the view is a nicety; never fail a click on it
            log.warning("could not save the view of %s: %s", self.project_id, exc)

    def _view(self) -> dict:
        return {"path": list(self.path), "selected": list(self.selected)}

    # -- canvas events ----------------------------------------------------------------------

    def handle_event(self, event: Any) -> bool:
        """Apply one canvas event; False when it is None or was handled already."""
        if not isinstance(event, dict) or not isinstance(event.get("seq"), (int, float)):
            return False
        if event["seq"] <= self.last_seq:
            return False
        self.last_seq = event["seq"]
        kind = event.get("event")
        selected = [s for s in event.get("selected") or [] if isinstance(s, str)]
        if kind == "change" and isinstance(event.get("graph"), dict):
            try:
                graph = edit.set_level(self.graph, self.path, event["graph"])
            except GraphError as exc:
                self.notify("error", f"The canvas sent a change that cannot be read: {exc}")
                return True
            self.commit(graph, selected=selected, from_canvas=True)
        elif kind == "select":
            self.select(selected, from_canvas=True)
        elif kind == "undo":
            self.undo()
        elif kind == "redo":
            self.redo()
        elif kind == "group":
            ids = [i for i in event.get("ids") or selected if isinstance(i, str)]
            self.group(ids)
        elif kind == "open":
            self.open_block(str(event.get("id")))
        return True

    def group(self, ids: list[str], name: str | None = None,
              promote: list[tuple[str, str]] = ()) -> str | None:
        result = self.apply(edit.group, ids, path=self.path, name=name or None,
                            promote=list(promote))
        if result is None:
            return None
        self.select([result[1]])
        return result[1]


def _theme(value: Any) -> str:
    return value if value in THEMES else "light"


def current() -> DesignerState:
    """This tab's state; the project comes from the URL (``?project=<id>``), which is kept in
    step so that a refresh reopens the same design and two tabs keep their own."""
    import streamlit as st

    state: DesignerState | None = st.session_state.get(SESSION_KEY)
    wanted = st.query_params.get("project")
    if state is None:
        state = DesignerState.boot(ProjectStore(), wanted)
    elif wanted and wanted != state.project_id:
        try:  # the user pasted another project's link into this tab
            state = state.switch(DesignerState.open(state.store, wanted))
        except (ProjectError, GraphError) as exc:
            state.notify("warning", f"Could not open project {wanted}: {exc}")
    st.session_state[SESSION_KEY] = state
    if st.query_params.get("project") != state.project_id:
        st.query_params["project"] = state.project_id
    return state


def use(state: DesignerState, other: DesignerState) -> DesignerState:
    """Make ``other`` this tab's state (after opening or creating another project)."""
    import streamlit as st

    other = state.switch(other)
    st.session_state[SESSION_KEY] = other
    st.query_params["project"] = other.project_id
    return other
