"""The status bar: total params, MACs, activation memory, the count of errors and warnings,
whether the design fits the chosen data, then every problem; clicking one opens the level that
holds its node and selects it."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from layerloom.graph import edit
from layerloom.graph.summary import format_bytes

from . import datafit
from .fields import plain, whole
from .pagestate import pages_of
from .state import DesignerState

MAX_LISTED = 60


def count(n: int) -> str:
    """``34826`` → ``34.8k``, as the canvas writes counts."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale and (unit != "k" or abs(n) >= 1e4):
            value = n / scale
            return f"{value:.0f}{unit}" if value >= 100 else f"{value:.3g}{unit}"
    return str(n)


def render(state: DesignerState) -> None:
    t = state.totals()
    fit = data_fit(state) if not t.errors else None
    # a design valid as a graph that cannot train on the chosen data (a Linear fed a feature
    # map) is not "valid" here: its blocks to change are marked as errors on the canvas too
    misfits = len(fit[1].problems) if fit is not None else 0
    shown = listed(state, fit[1] if fit is not None else None)
    # a warning the data's error restates is not counted twice ("1 error with mnist-5k,
    # 1 warning" for one Linear fed a feature map)
    warnings = sum(1 for problem in shown if problem.severity != "error")
    with st.container(border=True, horizontal=True, gap="small", vertical_alignment="center",
                      key="statusbar"):
        # the verdict first, in one piece: where the bar wraps (a 1280-pixel window), the
        # badges stay on its first line, in view under the canvas
        if t.errors:
            verdict = f":red-badge[:material/error: {t.errors} error{_s(t.errors)}]"
        elif misfits:
            verdict = (f":red-badge[:material/error: {misfits} error{_s(misfits)} with "
                       f"{plain(fit[0].label or fit[0].source)}]")
        else:
            verdict = ":green-badge[:material/check_circle: valid]"
        if warnings:
            verdict += (f" :orange-badge[:material/warning: {warnings} warning"
                        f"{_s(warnings)}]")
        if t.errors or warnings or misfits:
            # the list under the bar is below the window's edge (the canvas fills the window
            # down to the bar): the verdict opens the same list where the user is looking. A
            # problem picked there selects its block, and the popover is drawn anew (closed),
            # so that it no longer covers the block it just selected
            picked = st.session_state.get(_PICKED, 0)
            with st.popover(verdict, type="tertiary", key=f"verdict-{picked}"), \
                    st.container(key="problems-pop", gap=None):
                if misfits:
                    datafit.show_problems(fit[1], state=state, key=f"fitpop:{state.revision}",
                                          on_select=_picked)
                _list(state, shown, key="pop", on_select=_picked)
        else:
            st.markdown(verdict)
        # with an error the counts miss the blocks it stops (all of them or none, by where
        # it is): "–", as the activations say, rather than a number that cannot be trusted
        unsure = "counted once the design has no error" if t.errors else None
        st.markdown(f":material/tune: **{'–' if unsure else f'{t.params:,}'}** params",
                    help=unsure)
        st.markdown(f":material/bolt: **{'–' if unsure else count(t.macs)}** MACs per sample",
                    help=unsure)
        # "263.2 KiB", as `layerloom summary` says
        activation = ("–" if t.activation_bytes is None
                      else format_bytes(t.activation_bytes, binary=True))
        st.markdown(f":material/memory: **{activation}** activations per sample")
    # the data the design names, not chosen: said only where the design does not fit it
    if fit is not None and (fit[0].chosen or not fit[1].ok):
        with st.container(key="datafit", gap="small"):
            show_fit(state, fit[0].choice, fit[1], named=not fit[0].chosen,
                     standin=fit[0].standin)
    elif fit is None and not t.errors and datafit.chosen_data(state, fallback=False) is None:
        # the data the design names is still loading: the page is drawn again once it is, so
        # that a design that does not fit it is no longer shown "valid" (a template whose
        # Flatten was deleted, opened after the server started, was "valid" until the next edit)
        pending = datafit.pending_data(state)
        if pending is not None:
            made_for = state.graph.extra.get("dataset") == pending.source
            st.fragment(_await_data(pending, made_for), run_every=1.0)()
    problems(state, shown)


def _await_data(choice, made_for: bool = True):
    def check() -> None:
        from .cache import loaded, loading

        if loaded(choice) is not None:
            st.rerun(scope="app")
        elif loading(choice):
            st.caption(f"Checking the design against {plain(choice.label or choice.source)}, "
                       + ("the data it was made for…" if made_for else
                          "which training uses until data is chosen…"))

    return check


def show_fit(state: DesignerState, choice, fit, *, named: bool = False,
             standin: bool = False) -> None:
    """One line on whether the design fits the chosen data (``named``: none chosen, the data
    the design names; ``standin``: none named either, the built-in nearest its Input, which
    training uses until data is chosen); when not, each problem with its node and the fix."""
    label = plain(choice.label or choice.source)
    if isinstance(fit, datafit.Unloadable):
        datafit.show_problems(fit)
        return
    if fit.ok:
        st.markdown(f":green-badge[:material/dataset: fits {label}] :gray[the Input takes its "
                    f"samples and the output suits {fit.task}]")
        datafit.show_notes(fit)
        return
    if standin:
        why = ("no data is chosen yet: training uses this built-in, the nearest to the "
               "design's Input, until you choose on the Data page, and any data of classes or "
               "numbers needs this fix")
    elif named:
        why = ("the data this design was made for, which training uses until other data is "
               "chosen on the Data page")
    else:
        why = "training cannot start until this is fixed"
    st.markdown(f":red-badge[:material/dataset: does not fit {label}] :gray[{why}]")
    datafit.show_problems(fit, state=state, key=f"fit:{state.revision}")


class _Data(NamedTuple):
    choice: datafit.DataChoice
    chosen: bool  # on the Data page (now or in an earlier session), not only named by the design
    standin: bool = False  # neither chosen nor named: the built-in nearest the design's Input

    @property
    def label(self) -> str:
        return self.choice.label or self.choice.source

    @property
    def source(self) -> str:
        return self.choice.source


def data_fit(state: DesignerState):
    """``(data, fit)`` once a dataset is chosen on the Data page, or the design names a built-in
    that is loaded (:func:`datafit.named_data`: a template's), else None. A design that names
    none (built from a blank one) is checked against the built-in that stands in for training
    (:func:`datafit.standin_data`) for what holds whatever the data: a Linear fed an image map
    (Conv2d → Linear → Output, no Flatten) said 'valid' with a warning, while the Data and
    Train pages called it an error and Start stayed off."""
    choice = datafit.chosen_data(state, fallback=False)
    chosen = choice is not None
    task = pages_of(state).config.get("task", "auto")
    scaling = pages_of(state).config.get("target_scaling", "auto")
    if not chosen:
        choice = datafit.named_data(state)
        if choice is None:
            found = datafit.standin_fit(state, task, scaling)
            return (_Data(found[0], False, standin=True), found[1]) if found else None
    return _Data(choice, chosen), datafit.fit_of(state, choice, task, scaling)


def annotations(state: DesignerState) -> dict:
    """What the canvas (and the inspector) shows on each block: the design's own problems and,
    once data is chosen and the design has no error of its own, each way it does not fit that
    data as an error on the block to change (a Linear fed a feature map is valid as a graph, but cannot train on
    the chosen classes)."""
    fit = data_fit(state) if not state.totals().errors else None
    if fit is None:
        return state.annotations()
    choice, result = fit
    # the level shown: its use opened (the prefix its problems' paths start with)
    levels = edit.use_levels(state.report().resolution.top, state.path, state.uses)
    marked = datafit.annotate_fit(state.annotations(), result,
                                  levels[0].prefix if levels else None,
                                  choice.label or choice.source)
    fixes = _fixes_by_node(result)
    if not fixes:
        return marked
    nodes = {}
    for node_id, ann in marked.get("nodes", {}).items():
        kept = [w for w in ann.get("warnings") or [] if not _restates(fixes.get(node_id), w)]
        nodes[node_id] = ann if kept == list(ann.get("warnings") or []) else {**ann,
                                                                             "warnings": kept}
    return {**marked, "nodes": nodes}


def _fixes_by_node(fit) -> dict[str, list[str]]:
    """The fixes the data's problems name, by the node each is on."""
    out: dict[str, list[str]] = {}
    for problem in getattr(fit, "problems", None) or ():
        if problem.node and problem.fix:
            out.setdefault(problem.node, []).append(problem.fix)
    return out


def _restates(fixes: list[str] | None, message: str) -> bool:
    """Whether a design warning says what a data problem on its node says: the same fix
    ("add Flatten (or global pooling) before fc"), now an error that names the data."""
    return any(fix in message for fix in fixes or ())


def problems(state: DesignerState, shown: list) -> None:
    """The problems (:func:`listed`) under the status bar, each selecting its block."""
    if shown:
        with st.container(key="problems", gap=None):
            _list(state, shown)


def listed(state: DesignerState, fit=None) -> list:
    """The design's errors, then its warnings, each in the order of the blocks they name (as
    the design lists them; a problem of the whole design first). A warning that a problem of
    ``fit`` (the chosen data's) restates on its block is left out: that error says it."""
    report = state.report()
    fixes = _fixes_by_node(fit)
    warnings = [w for w in report.warnings if not _restates(fixes.get(w.node), w.message)]
    order = {node.id: i for i, node in enumerate(state.graph.nodes)}

    def place(problem) -> int:
        if not problem.node:
            return -1
        return order.get(problem.node.split("/", 1)[0].split(".", 1)[0], len(order))

    return sorted(report.errors, key=place) + sorted(warnings, key=place)


_PICKED = "status.picked"  # how many problems were picked from the verdict's list


def _picked() -> None:
    st.session_state[_PICKED] = st.session_state.get(_PICKED, 0) + 1


def _list(state: DesignerState, listed: list, key: str = "problem", on_select=None) -> None:
    for i, problem in enumerate(listed[:MAX_LISTED]):
        icon = ":material/error:" if problem.severity == "error" else ":material/warning:"
        if problem.node:
            st.button(plain(str(problem)), key=f"{key}:{state.revision}:{i}", icon=icon,
                      type="tertiary", help="Select this node",
                      on_click=_show, args=(state, problem.node, on_select))
        else:
            st.markdown(f"{icon} {plain(str(problem))}")
    if len(listed) > MAX_LISTED:
        st.caption(f"… and {len(listed) - MAX_LISTED} more")


@whole  # selects the block and closes the verdict's list: both, whatever the browser sends
def _show(state: DesignerState, node: str, then=None) -> None:
    state.show_problem(node)
    if then is not None:
        then()


def _s(n: int) -> str:
    return "" if n == 1 else "s"
