"""Small pieces the five run pages share: changing the design, one-off notices."""

from __future__ import annotations

import streamlit as st

from layerloom.graph import Graph

from ..pagestate import PagesState


def set_graph(state, graph: Graph) -> None:
    """Make ``graph`` the current design through the designer state's ``commit`` (undoable,
    saved with the project); a plain assignment for a state without one."""
    commit = getattr(state, "commit", None)
    if callable(commit):
        commit(graph)
    else:
        state.graph = graph


def show_notice(pages: PagesState) -> None:
    """Show, once, the message an action left before it reran the page."""
    if pages.notice:
        st.info(pages.notice)
        pages.notice = None
