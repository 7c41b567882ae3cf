"""Does the design fit the data, shown where the user is: the designer's status bar, the Data
page and the Train page (whose Start waits for it), and the one-click fix where one exists.

The check itself is :func:`layerloom.runtime.data.fit.check_fit` (no Streamlit); this module
finds the chosen data, keeps the answer for the design's revision and draws the problems, each
naming its node with the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import streamlit as st

from layerloom.graph import Graph, edit, validate
from layerloom.runtime.data import DataError
from layerloom.runtime.data.fit import (DataFit, FitProblem, apply_changes, check_fit,
                                        unshaped_input)

from .fields import plain, whole
from .pagestate import DataChoice, pages_of, project_of

log = logging.getLogger("layerloom.ui")

__all__ = ["DataFit", "FitProblem", "annotate_fit", "changes_text", "check_fit", "chosen_data",
           "fit_changes", "fit_design", "fit_of", "for_design_of", "linear_on_map", "named_data",
           "pending_data",
           "remember_data", "saved_data", "standin_data", "standin_fit",
           "show_problems",
           "problem_text", "Unloadable"]


class Unloadable:
    """The chosen data could not be loaded: ``message`` says why, in words."""

    def __init__(self, source: str, message: str):
        self.source, self.message = source, message
        self.ok = False
        self.problems: list = []
        self.design_ok = True


def chosen_data(state: Any, *, fallback: bool = True) -> DataChoice | None:
    """The dataset the Data page shows for the project: the one chosen in this session, else
    the one kept with the project (chosen in an earlier session), else (with ``fallback``)
    the one the design names, else the first built-in (what the Data page then shows); None
    without ``fallback`` when none was chosen."""
    pages = pages_of(state)
    pid = project_of(state)
    if pages.data is not None and pages.data_project in (None, pid):
        return pages.data
    saved = saved_data(state)
    if saved is not None:
        pages.data, pages.data_project = saved, pid
        return saved
    if not fallback:
        return None
    graph = getattr(state, "graph", None)
    name = graph.extra.get("dataset") if graph is not None else None
    if not name:
        from layerloom.runtime.data import list_datasets

        name = nearest_builtin(graph, list_datasets())
    return DataChoice(name, {}, name) if name else None


def nearest_builtin(graph: Any, entries: list[dict]) -> str | None:
    """The built-in dataset (of ``entries``, list_datasets' form) nearest the design's first
    Input, for a design that names none: the first of the Input's dtype and shape, else of its
    dtype and number of dimensions, else of its dtype, else the first. A blank design of token
    ids ([64] int64 into an Embedding) stood before mnist-5k's images, and was told to set its
    Input to float32, undoing the text model its author had built.

    >>> from layerloom.graph import load_graph
    >>> text = load_graph({"format": "layerloom-graph", "version": 1, "name": "t", "edges": [],
    ...     "nodes": [{"id": "x", "type": "Input", "params": {"shape": [64], "dtype": "int64"}}]})
    >>> nearest_builtin(text, [{"name": "mnist-5k", "input_shape": [1, 28, 28],
    ...     "dtype": "float32"}, {"name": "text-sentiment", "input_shape": [32], "dtype": "int64"}])
    'text-sentiment'
    """
    names = [entry["name"] for entry in entries]
    first = next((n for n in (graph.nodes if graph is not None else []) if n.type == "Input"),
                 None)
    if first is None:
        return names[0] if names else None
    dtype = first.params.get("dtype", "float32")
    shape = first.params.get("shape")
    shape = list(shape) if isinstance(shape, (list, tuple)) else None
    same = [e for e in entries if e.get("dtype") == dtype]
    for group in ([e for e in same if shape is not None and list(e["input_shape"]) == shape],
                  [e for e in same if shape is not None and len(e["input_shape"]) == len(shape)],
                  same):
        if group:
            return group[0]["name"]
    return names[0] if names else None


def named_data(state: Any) -> DataChoice | None:
    """The built-in the design names (a template's ``dataset``: seed-cnn's mnist-5k) once it is
    loaded, else None; the first call starts loading it on a thread of its own, so the page is
    drawn at once and a later run (the user's next edit) has it. With no data chosen yet, the
    designer checks the design against it: a template whose Flatten is deleted is an error
    there, as the Train page, which trains on that data, already said."""
    from layerloom.runtime.data import list_datasets

    from .cache import load_ahead, loaded

    graph = getattr(state, "graph", None)
    name = graph.extra.get("dataset") if graph is not None else None
    if not isinstance(name, str) or name not in {e["name"] for e in list_datasets()}:
        return None
    choice = DataChoice(name, {}, name)
    if loaded(choice) is None:
        load_ahead(choice)
        return None
    return choice


def pending_data(state: Any) -> DataChoice | None:
    """The built-in the design names while :func:`named_data` has it loading (or has just
    loaded it, after this run asked), else the stand-in while :func:`standin_data` has it
    loading (or has just loaded it, and the design does not fit it), else None: the designer
    checks the design against it once it is loaded, without waiting for the user's next
    edit."""
    from layerloom.runtime.data import list_datasets

    from .cache import loaded, loading

    graph = getattr(state, "graph", None)
    name = graph.extra.get("dataset") if graph is not None else None
    if not name:
        choice = _standin_choice(state)
        if choice is None or loading(choice):
            return choice
        # loaded since this run asked: a new run shows the problem (where there is none, it
        # would only ask again)
        return choice if _fit_to_standin(state, _loaded_standin(choice)) else None
    if not isinstance(name, str) or name not in {e["name"] for e in list_datasets()}:
        return None
    choice = DataChoice(name, {}, name)
    return choice if loading(choice) or loaded(choice) is not None else None


def standin_data(state: Any) -> DataChoice | None:
    """For a design that names no data and has none chosen (built from a blank design), whose
    output is an image-like map (three or more dimensions per sample): the built-in nearest
    its Input (:func:`nearest_builtin`), which the Data and Train pages show and train on until
    the user chooses, once it is loaded (the first call starts loading it on a thread of its
    own, as :func:`named_data` does); else None. A design whose output is a vector has no
    Flatten missing, and loads nothing."""
    return _loaded_standin(_standin_choice(state))


def _loaded_standin(choice: DataChoice | None) -> DataChoice | None:
    """``choice`` (a stand-in) once loaded, else None, its loading started."""
    from .cache import load_ahead, loaded

    if choice is None:
        return None
    if loaded(choice) is None:
        load_ahead(choice)
        return None
    return choice


def standin_fit(state: Any, task: str | None = None,
                target_scaling: str | None = None) -> tuple[DataChoice, DataFit] | None:
    """``(stand-in, fit)`` where the design, named no data and given none, does not fit the
    built-in that stands in for training (:func:`standin_data`, loaded) in a way that holds
    whatever the data (:func:`linear_on_map`); else None. ``task`` and ``target_scaling``
    are the Train page's settings unless given."""
    return _fit_to_standin(state, standin_data(state), task, target_scaling)


def _fit_to_standin(state: Any, choice: DataChoice | None, task: str | None = None,
                    target_scaling: str | None = None) -> tuple[DataChoice, DataFit] | None:
    """:func:`standin_fit` for the stand-in ``choice`` already found (None: not loaded)."""
    if choice is None:
        return None
    config = pages_of(state).config
    task = task if task is not None else config.get("task", "auto")
    target_scaling = target_scaling if target_scaling is not None \
        else config.get("target_scaling", "auto")
    fit = linear_on_map(fit_of(state, choice, task, target_scaling),
                        state.report().resolution.top)
    return (choice, fit) if fit is not None else None


def _standin_choice(state: Any) -> DataChoice | None:
    """The stand-in :func:`standin_data` would load, loaded or not, or None."""
    from layerloom.runtime.data import list_datasets

    graph = getattr(state, "graph", None)
    if graph is None or graph.extra.get("dataset") or not _maps_out(state):
        return None
    if chosen_data(state, fallback=False) is not None:
        return None
    name = nearest_builtin(graph, list_datasets())
    return DataChoice(name, {}, name) if name else None


def _maps_out(state: Any) -> bool:
    """Whether an Output of the design (at the top level) gives a map of three or more
    dimensions per sample."""
    report = getattr(state, "report", None)
    top = report().resolution.top if callable(report) else None
    if top is None:
        return False
    return any(len(top.nodes[o].shape or ()) >= 3 for o in top.outputs if o in top.nodes)


def linear_on_map(fit: DataFit | Unloadable, top) -> DataFit | None:
    """Of ``fit`` (a design checked against a stand-in: data nobody chose), what holds for any
    data with classes or target numbers: a Linear fed an image-like map ([C, H, W]), which
    acts on its last dimension only, so that a map reaches the output where a vector must, its
    fix a Flatten (or global pooling) before it. None when there is no such problem, or when
    the stand-in differs from the design at its Input (the shapes the check names would then
    be the stand-in's, not the design's) or is not one of classes or numbers."""
    if not isinstance(fit, DataFit) or fit.task not in ("classification", "regression"):
        return None
    if any(p.kind not in ("flatten", "width") for p in fit.problems):
        return None
    kept = []
    for problem in fit.problems:
        info = top.nodes.get(problem.node) if problem.node else None
        fed = info.in_shapes[0] if info is not None and info.in_shapes else None
        if problem.kind == "flatten" and info is not None and info.type == "Linear" \
                and fed is not None and len(fed) >= 3:
            kept.append(problem)
    return DataFit(fit.dataset, fit.task, kept) if kept else None


def saved_data(state: Any) -> DataChoice | None:
    """The dataset kept with the project, when it can still be loaded from where it was: a
    built-in, or a file or folder still on disk (an upload that is gone is not offered)."""
    store, pid = getattr(state, "store", None), getattr(state, "project_id", None)
    reader = getattr(store, "data_choice", None)
    if not pid or not callable(reader):
        return None
    try:
        choice = DataChoice.from_dict(reader(pid))
    except Exception:  # noqa: BLE001 - a choice that cannot be read is no choice
        return None
    if choice is None:
        return None
    from layerloom.runtime.data import list_datasets

    if choice.source in {entry["name"] for entry in list_datasets()} \
            or Path(choice.source).exists():
        return choice
    return None


def remember_data(state: Any, choice: DataChoice, *, chosen: bool = False) -> None:
    """Make ``choice`` the project's dataset for this session and, when it is not the one the
    project would use anyway, or the user ``chosen`` it (fitted the design to it), keep it
    with the project (a reload, a new session and the Train page then use it)."""
    before = chosen_data(state)
    pages = pages_of(state)
    pages.data, pages.data_project = choice, project_of(state)
    if not chosen and before is not None and before.to_dict() == choice.to_dict():
        return
    store, pid = getattr(state, "store", None), getattr(state, "project_id", None)
    writer = getattr(store, "set_data_choice", None)
    if pid and callable(writer):
        try:
            writer(pid, choice.to_dict())
        except Exception as exc:  # noqa: BLE001 - kept for this session all the same
            log.warning("could not keep the data choice of %s: %s", pid, exc)


def for_design_of(choice: DataChoice, graph: Any) -> DataChoice:
    """``choice`` read as ``graph``'s Input takes it, as training reads it
    (``runtime/data/for_design.py``: an .npz of [N, H, W] images for an Input [H, W])."""
    from dataclasses import replace

    from layerloom.runtime.data.for_design import design_input_shape, for_design

    options = for_design(choice.source, choice.options, design_input_shape(graph))
    return choice if options == choice.options else replace(choice, options=options)


def fit_of(state: Any, choice: DataChoice, task: str = "auto",
           target_scaling: str = "auto") -> DataFit | Unloadable:
    """The design of ``state`` checked against ``choice`` for ``task``, once per revision of
    the design (the designer state's cache) and data choice; ``target_scaling`` is the Train
    page's setting, which decides what the check says of a large regression target."""
    from .cache import dataset_of

    def make():
        try:
            ds = dataset_of(for_design_of(choice, state.graph))
        except (DataError, OSError, ValueError) as exc:
            return Unloadable(choice.label or choice.source, str(exc))
        fit = check_fit(state.graph, ds, task=task or "auto",
                        target_scaling=target_scaling or "auto")
        unshaped = None if fit.design_ok else unshaped_input(state.graph, ds)
        if unshaped is None:
            return fit
        # a design built from a blank canvas whose Input has no shape yet: checked as it will
        # be once the Input takes the data, that fix first (the Data page said only "problems
        # to fix in the Designer first", though it knows the shape to set)
        fit = check_fit(apply_changes(state.graph, unshaped.changes), ds, task=task or "auto",
                        target_scaling=target_scaling or "auto")
        if fit.design_ok:
            fit.problems.insert(0, unshaped)
        return fit

    cached = getattr(state, "_cached", None)
    if callable(cached):
        return cached(("datafit", choice.key(), task, target_scaling), make)
    return make()


def fit_changes(fit: DataFit) -> list:
    """The edits the one-click fit makes for ``fit`` (each a
    :class:`~layerloom.runtime.data.fit.Change`), in the order its problems name them."""
    return [c for p in fit.problems for c in p.changes]


def fit_design(graph: Graph, ds, task: str = "auto", fit: DataFit | None = None) -> Graph | None:
    """A copy of ``graph`` with every fix the check (``fit``, made here when not given) can
    make itself (the Input's shape and dtype, the class count, Embedding rows, through the
    design's variables where they set them; and the few edits further down that a new Input
    shape needs, such as a convolution's padding), or None when there is nothing to change or
    the changes would leave the design with errors: a one-click fix never does. Fixes that
    need a block added are left to the user."""
    changes = fit_changes(fit if fit is not None else check_fit(graph, ds, task=task))
    if not changes:
        return None
    fixed = apply_changes(graph, changes)
    return fixed if validate(fixed).ok else None


def annotate_fit(annotations: dict, fit, prefix: str | None = "", label: str = "") -> dict:
    """``annotations`` (as :func:`layerloom.graph.edit.annotations` gives them for a level)
    with each problem of ``fit`` as an error on the block it names, so the canvas marks the
    block to change (a Linear fed a map, the Input, the layer that sets the width), as it marks
    a design error: "does not fit mnist-5k: … Fix: …". ``prefix`` is the level's, as
    :func:`layerloom.graph.edit.use_levels` gives it (``""`` at the top; None: no level). A
    problem deeper in a composite marks the node that holds it at this level, as design errors
    do; a problem on no node, or on a node of another level, is left to the status bar.
    ``annotations`` is not changed."""
    problems = [p for p in getattr(fit, "problems", None) or () if p.node]
    if not problems or isinstance(fit, Unloadable) or prefix is None:
        return annotations
    nodes = {k: dict(v) for k, v in annotations.get("nodes", {}).items()}
    for problem in problems:
        local = edit.local_at(problem.node, prefix, nodes)
        if local is None:
            continue
        node_id, deeper = local
        text = f"does not fit {label or fit.dataset}: {problem.message} Fix: {problem.fix}."
        if deeper:
            text = f"{deeper}: {text}"
        errors = list(nodes[node_id].get("errors") or [])
        if text not in errors:
            errors.append(text)
        nodes[node_id]["errors"] = errors
    return {**annotations, "nodes": nodes}


def changes_text(changes) -> str:
    """The edits of a one-click fit in words, one per line (the button's description)."""
    return "  \n".join(f"- set {plain(str(c))}" for c in changes)


def problem_text(problem: FitProblem) -> str:
    """Markdown: the node in bold, what is wrong, then the fix."""
    where = f"**{plain(problem.node)}**: " if problem.node else ""
    return f"{where}{plain(problem.message)}  \n**Fix:** {plain(problem.fix)}."


def show_problems(fit, *, state: Any = None, key: str = "fit",
                  to_designer: bool = False, on_select=None) -> None:
    """Each problem as an error naming its node and the fix (training cannot start until it
    is fixed: the status bar counts it as an error too); with ``state`` (the designer),
    a button beside each selects its node on the canvas (``to_designer``: on another page,
    the button opens the Designer there too)."""
    if isinstance(fit, Unloadable):
        st.error(f"{plain(fit.source)} could not be loaded: {plain(fit.message)}")
        return
    for i, problem in enumerate(fit.problems):
        st.error(problem_text(problem), icon=":material/dataset:")
        show = getattr(state, "show_problem", None)
        if problem.node and callable(show):
            st.button(f"Select {problem.node}" + (" in the Designer" if to_designer else ""),
                      key=f"{key}:select:{i}", type="tertiary", icon=":material/my_location:",
                      on_click=_select, args=(state, problem.node, to_designer, on_select))


def show_design_errors(errors, *, state: Any = None, key: str = "design",
                       to_designer: bool = False, most: int = 5) -> None:
    """The design's own errors (``validate``'s problems: a cycle, an in_features that is not
    its input's), each in a box naming its block and param, as ``show_problems`` shows the
    data's, with the same button to select the block; the first ``most`` of them, then how
    many more the Designer's status bar lists."""
    for i, problem in enumerate(errors[:most]):
        node = getattr(problem, "node", None)
        param = getattr(problem, "param", None)
        where = (f"**{plain(node)}**" + (f" ({plain(param)})" if param else "") + ": ") \
            if node else ""
        st.error(f"{where}{plain(problem.message)}", icon=":material/account_tree:")
        show = getattr(state, "show_problem", None)
        if node and callable(show):
            st.button(f"Select {node}" + (" in the Designer" if to_designer else ""),
                      key=f"{key}:select:{i}", type="tertiary", icon=":material/my_location:",
                      on_click=_select, args=(state, node, to_designer, None))
    if len(errors) > most:
        st.caption(f"…and {len(errors) - most} more, all in the list under the Designer's "
                   f"canvas.")


@whole  # selects the block (and opens the Designer, closes the list): all of it
def _select(state: Any, node: str, to_designer: bool, then=None) -> None:
    if state.show_problem(node) and to_designer:
        state.open_designer = True
    if then is not None:
        then()


def show_notes(fit) -> None:
    """Advice that blocks nothing (a regression target far from unit scale), one box each;
    what training does of itself (standardising such a target) as information."""
    for note in getattr(fit, "notes", None) or ():
        if note == getattr(fit, "standardised", None):
            st.info(plain(note), icon=":material/straighten:")
        else:
            st.warning(plain(note), icon=":material/straighten:")


def refused_data(state: Any) -> str | None:
    """Why the data cannot be trained on while the Data page refuses a value typed out of range
    ("validation share must be between 0 and 0.9, got 0.95"), or None: the choice kept is the
    one before it, which the page no longer shows."""
    problems = pages_of(state).data_refused.get(project_of(state))
    if not problems:
        return None
    one = len(problems) == 1
    return (f"The Data page has {'a value' if one else 'values'} out of range: "
            + "; ".join(problems) + f". Fix {'it' if one else 'them'} there to train")


def blocked_reason(fit) -> str | None:
    """One line saying why training cannot start on this data, or None when it can."""
    if isinstance(fit, Unloadable):
        return f"{fit.source} could not be loaded: {fit.message}"
    if fit.ok or not fit.design_ok:
        return None
    first = fit.problems[0]
    more = f" (and {len(fit.problems) - 1} more)" if len(fit.problems) > 1 else ""
    return f"The design does not fit {fit.dataset}: {first}{more}"
