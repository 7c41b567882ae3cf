"""Does the design fit the data, shown where the user is: the designer's status bar, the Data
page and the Train page (whose Start waits for it), and the one-click fix where one exists.

The check itself is :func:`layerloom.runtime.data.fit.check_fit` (no Streamlit); this module
finds the chosen data, keeps the answer for the design's revision and draws the problems, each
naming its node with the fix.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from layerloom.graph import Graph
from layerloom.runtime.data import DataError
from layerloom.runtime.data.fit import DataFit, FitProblem, apply_changes, check_fit

from .fields import plain
from .pagestate import DataChoice, pages_of

__all__ = ["DataFit", "FitProblem", "check_fit", "chosen_data", "fit_design", "fit_of",
           "show_problems", "problem_text", "Unloadable"]


class Unloadable:
    """The chosen data could not be loaded: ``message`` says why, in words."""

    def __init__(self, source: str, message: str):
        self.source, self.message = source, message
        self.ok = False
        self.problems: list = []
        self.design_ok = True


def chosen_data(state: Any, *, fallback: bool = True) -> DataChoice | None:
    """The dataset chosen on the Data page, else (with ``fallback``) the one the design's
    template names, else None."""
    pages = pages_of(state)
    if pages.data is not None:
        return pages.data
    graph = getattr(state, "graph", None)
    name = graph.extra.get("dataset") if graph is not None and fallback else None
    return DataChoice(name, {}, name) if name else None


def fit_of(state: Any, choice: DataChoice, task: str = "auto") -> DataFit | Unloadable:
    """The design of ``state`` checked against ``choice`` for ``task``, once per revision of
    the design (the designer state's cache) and data choice."""
    from .cache import dataset_of

    def make():
        try:
            ds = dataset_of(choice)
        except (DataError, OSError, ValueError) as exc:
            return Unloadable(choice.label or choice.source, str(exc))
        return check_fit(state.graph, ds, task=task or "auto")

    cached = getattr(state, "_cached", None)
    if callable(cached):
        return cached(("datafit", choice.key(), task), make)
    return make()


def fit_design(graph: Graph, ds, task: str = "auto") -> Graph:
    """A copy of ``graph`` with every fix the check can make itself (the Input's shape and
    dtype, the class count, Embedding rows; through the design's variables where they set
    them). Fixes that need a block added are left to the user."""
    fit = check_fit(graph, ds, task=task)
    return apply_changes(graph, [c for p in fit.problems for c in p.changes])


def problem_text(problem: FitProblem) -> str:
    """Markdown: the node in bold, what is wrong, then the fix."""
    where = f"**{plain(problem.node)}**: " if problem.node else ""
    return f"{where}{plain(problem.message)}  \n**Fix:** {plain(problem.fix)}."


def show_problems(fit, *, state: Any = None, key: str = "fit") -> None:
    """Each problem as a warning naming its node and the fix; with ``state`` (the designer),
    a button beside each selects its node on the canvas."""
    if isinstance(fit, Unloadable):
        st.error(f"{plain(fit.source)} could not be loaded: {plain(fit.message)}")
        return
    for i, problem in enumerate(fit.problems):
        st.warning(problem_text(problem), icon=":material/dataset:")
        show = getattr(state, "show_problem", None)
        if problem.node and callable(show):
            st.button(f"Select {problem.node}", key=f"{key}:select:{i}", type="tertiary",
                      icon=":material/my_location:", on_click=show, args=(problem.node,))


def blocked_reason(fit) -> str | None:
    """One line saying why training cannot start on this data, or None when it can."""
    if isinstance(fit, Unloadable):
        return f"{fit.source} could not be loaded: {fit.message}"
    if fit.ok or not fit.design_ok:
        return None
    first = fit.problems[0]
    more = f" (and {len(fit.problems) - 1} more)" if len(fit.problems) > 1 else ""
    return f"The design does not fit {fit.dataset}: {first}{more}"
