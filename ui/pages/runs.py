"""Runs page: every run in a table, chosen runs' curves overlaid, a sweep launcher over training
settings and the design's variables with its trials as a table and parallel coordinates, and
opening a run's design in the designer."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from layerloom.graph import load_graph
from layerloom.runtime import TrainConfig, parse_param, start_sweep, stop_sweep, sweep_status
from layerloom.runtime.config import FIELD_NAMES
from layerloom.runtime.data import list_datasets
from layerloom.runtime.runnames import data_name
from layerloom.runtime.store import ACTIVE
from layerloom.runtime.target_scale import loss_scale, loss_words

from .. import charts, live
from ..errors import friendly, shown_errors
from ..fields import plain
from ..forms import seed
from ..pagestate import PagesState, pages_of, project_of
from ..project_panel import project_label
from ..setting_words import label_of
from .common import (config_line, config_parts, metric_title, metrics_line, run_label,
                     run_names, show_notice)
from .train import act, data_choice, ready, spec_of

CURVES = {"validation loss": ("val", "loss"), "validation accuracy": ("val", "accuracy"),
          "validation MAE": ("val", "mae"), "training loss (per epoch)": ("train", "loss"),
          "training accuracy (per epoch)": ("train", "accuracy"),
          "training loss (per step)": ("step", "loss")}
SAMPLERS = {"tpe": "smart (Optuna TPE)", "random": "random", "grid": "grid"}
SETTING_HELP = ("A training setting by the name it is saved as (its tooltip on the Train page "
                "says it: lr is the learning rate, batch_size the batch size), or one of the "
                "design's variables (width)")
MAX_TRIALS = 500  # runs one sweep may train


def render(state) -> None:
    st.header("Runs")
    with shown_errors("The Runs page"):
        pages = pages_of(state)
        show_notice(pages)
        store = live.store_of()
        runs = store.list_runs()
        if not runs:
            st.info("No run yet: train one on the Train page, or launch a sweep below.")
        else:
            names = run_names(runs)
            table(runs, names, project_names(state))
            graph = getattr(state, "graph", None)
            compare(pages, store, runs, names,
                    default_compare(runs, project_of(state), graph.name if graph else None))
            open_design(state, pages, runs, names)
        st.divider()
        with shown_errors("The sweep"):
            sweep_launcher(state, pages, store)
            sweep_results(pages, store, runs)


# -- the table ------------------------------------------------------------------------------

def rows(runs, names: dict[int, str] | None = None,
         projects: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per run: its name (``names``: the display names, ``run_names``, by default
    worked out over ``runs``), the project that started it (``projects``: project id → name,
    shown as the project picker shows it; an id without a name shows as the id), what it
    trained on, how, how it went, and its sweep (empty for a run outside any sweep)."""
    names = names if names is not None else run_names(runs)
    projects = projects or {}
    out = []
    for run in runs:
        # named as a person says it: "validation loss 0.3132", not the key val_loss
        best = (f"{metric_title(run.best_metric_name or 'score')} {run.best_metric:.4g}"
                if run.best_metric is not None else "")
        # a loss taken on a standardised target is said so: it does not compare with 1e10
        mark = " (standardised)" if run.target_scale else ""
        best += mark if (run.best_metric_name or "").endswith("loss") and best else ""
        # the task's own measure first (accuracy, MAE…), the loss after it: where the cell is
        # clipped, what is cut is the loss, not the accuracy; named as the Results page names
        # them
        test = metrics_line(run.final_metrics, mark)
        project = (project_label(run.project, projects) if run.project in projects
                   else run.project or "")
        out.append({"run": run.id, "name": names[run.id], "project": project,
                    "data": data_name(run.dataset),
                    "config": config_line(run.config), "status": run.status,
                    "best": best, "test": test,
                    "sweep": str(run.sweep_id) if run.sweep_id is not None else "",
                    "started": pd.to_datetime(run.created, unit="s")})
    return pd.DataFrame(out)


# columns that, where every run listed has the same value, are said once above the table
SHARED = ("project", "data", "status")


def shared(runs, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """What every run listed has in common, said once rather than in each row, so that the
    columns that tell the runs apart and how they went fit a 1366 px window, and 1024.

    Returns the frame with two columns for the eye, ``short`` (a run's name without its
    design, where every run is of one design) and ``settings`` (only the settings of
    ``config`` that differ), the columns to show and the shared facts in words.
    """
    said: list[str] = []
    hidden = {"run"}
    designs = {m.group(1) if m else name for name in frame["name"]
               for m in [re.match(r"(.*?) #\d+(?: · |$)", name)]}
    frame = frame.copy()
    if len(designs) == 1:
        design = designs.pop()
        said.append(f"design {design}")
        frame["short"] = [name[len(design):].lstrip() for name in frame["name"]]
        hidden.add("name")
    for column in SHARED:
        if column in frame and frame[column].nunique() == 1:
            value = frame[column].iloc[0]
            if value and not (column == "project" and f"design {value}" in said):
                said.append(f"{column} {value}")  # a project named as its design: said once
            hidden.add(column)
    parts = [config_parts(run.config) for run in runs]
    same = [len({p[i] for p in parts}) == 1 for i in range(len(parts[0]))]
    said += [part for part, common in zip(parts[0], same) if common]
    if all(same) or all(named_in(name, ps, same) for name, ps in zip(frame["name"], parts)):
        # nothing differs, or each run's name already says what does ("#7 · learning rate
        # 0.001 · 10 epochs" beside "rate 0.001, 10 epochs"): its room goes to the others
        hidden.add("config")
    elif any(same):
        frame["settings"] = [", ".join(p for p, common in zip(ps, same) if not common)
                             for ps in parts]
        hidden.add("config")
    if "sweep" in frame and not frame["sweep"].astype(bool).any():
        frame = frame.drop(columns="sweep")  # no run of a sweep: its room goes to the others
    instead = {"name": "short", "config": "settings"}  # shown in their place
    shown = [instead[c] if instead.get(c) in frame else c for c in frame.columns
             if c not in instead.values()]
    return frame, [c for c in shown if c not in hidden], said


def named_in(name: str, parts: list[str], same: list[bool]) -> bool:
    """Whether run name ``name`` says each of its settings ``parts`` (config_parts') that
    ``same`` does not mark as shared by every run, in the words names use for them.

    >>> named_in("cnn #7 · learning rate 0.001 · 10 epochs",
    ...          ["adam", "rate 0.001", "batch 32", "10 epochs"], [True, False, True, False])
    True
    >>> named_in("cnn #7 · learning rate 0.001", ["adam", "rate 0.001", "batch 32", "10 epochs"],
    ...          [True, False, True, False])
    False
    """
    words = [f"{parts[0]} optimiser", f"learning {parts[1]}",
             parts[2].replace("batch ", "batch size ", 1), parts[3]]
    return all(common or f"· {word}" in name for word, common in zip(words, same))


def by_design(runs) -> dict[str, list]:
    """``runs`` (newest first) grouped by the design they trained, the latest run's first."""
    groups: dict[str, list] = {}
    for run in runs:
        groups.setdefault(run.name, []).append(run)
    return groups


def table(runs, names: dict[int, str], projects: dict[str, str] | None = None) -> None:
    groups = by_design(runs)
    if len(groups) == 1:
        design_table(runs, names, projects)
    else:
        # a table per design: one table of several designs named each run's design in full
        # in every row, and a long name ("sentiment-classifier-for-film-reviews-…") pushed
        # the test metrics off a 1366 px window and the settings off a 1024 px one
        st.caption(f"{len(runs)} runs of {len(groups)} designs: each design's runs in a table "
                   f"of their own, the design that ran last first.")
        for design, group in groups.items():
            design_table(group, names, projects, design=design)
    failed = [r for r in runs[:20] if r.status == "failed" and r.reason]
    if failed:
        with st.expander(f"Why {len(failed)} recent run(s) failed"):
            for run in failed:
                st.markdown(f"**#{run.id}** {plain(run.reason)}")


def design_table(runs, names: dict[int, str], projects: dict[str, str] | None = None,
                 design: str | None = None) -> None:
    """``runs`` in a table, what they all share said once above it; ``design``: the design
    they share, where the page shows a table per design, named first."""
    frame = rows(runs, names, projects)
    # every column shown whole at 1366×768 and 1024: the run's number is not a column of its
    # own (its name says it: "seed-cnn #3"), no cell is capped, and what every run shares (its
    # design, project, data, settings) is said once above the table; where the window is
    # narrower still the table scrolls sideways beside the name, which stays in view
    frame, shown, said = shared(runs, frame)
    said = [plain(fact) for fact in said]  # a design's name is the user's text, not markdown
    which = f"All {len(frame)} runs listed" if len(frame) > 1 else "The run"
    if design is not None:  # one table of several: its design first, then what its runs share
        said = [fact for fact in said if fact != plain(f"design {design}")]
        which = f"**{plain(design)}** · " + which[:1].lower() + which[1:]
        st.caption(which + (": " + " · ".join(said) if said else ""))
    elif said:
        st.caption(f"{which}: " + " · ".join(said))
    config_help = "The optimiser, its learning rate, the batch size and the epochs"
    st.dataframe(frame, hide_index=True, column_order=shown, column_config={
        "name": st.column_config.TextColumn(pinned=True),
        "short": st.column_config.TextColumn(
            "name", pinned=True, help="The run's number and what sets it apart from the "
                                      "others (its design is named above the table)"),
        "config": st.column_config.TextColumn(help=config_help),
        "settings": st.column_config.TextColumn(
            "config", help=config_help + " that differ between the runs (the others are "
                                         "named above the table)"),
        "test": st.column_config.TextColumn(
            help="The test evaluation (the Results page shows all of it)"),
        "best": st.column_config.TextColumn(
            help="The best validation score of its epochs (what early stopping watches)"),
        "sweep": st.column_config.TextColumn(help="The sweep the run was a trial of"),
        "started": st.column_config.DatetimeColumn(format="MMM D, HH:mm")})


def project_names(state) -> dict[str, str]:
    """Project id → name, of the projects the designer's store holds (none without one)."""
    store = getattr(state, "store", None)
    try:
        return {p.id: p.name for p in store.list()} if store is not None else {}
    except Exception:  # noqa: BLE001 - a broken project store: the table shows ids
        return {}


def default_compare(runs, project: str | None, design: str | None, n: int = 3) -> list[int]:
    """The runs the comparison starts with: the latest ``n`` (``runs`` are newest first) of
    the current project, else of its design (runs of that name), else of the design that ran
    last; never runs of unrelated designs side by side."""
    for pool in ([r for r in runs if project and r.project == project],
                 [r for r in runs if design and r.name == design],
                 [r for r in runs if runs and r.name == runs[0].name]):
        if pool:
            return [r.id for r in pool[:n]]
    return []


def compare(pages: PagesState, store, runs, names: dict[int, str],
            start: list[int] | None = None) -> None:
    st.subheader("Compare")
    by_id = {r.id: r for r in runs}
    default = [i for i in pages.compare if i in by_id] or \
        (start if start is not None else [r.id for r in runs[:3]])
    seed("runs.compare", default)
    st.session_state["runs.compare"] = [i for i in st.session_state["runs.compare"]
                                        if i in by_id]
    left, right = st.columns([3, 1])
    # the display name alone: a chip holds a few words, and the names tell the runs apart
    chosen = left.multiselect("Runs", list(by_id), key="runs.compare",
                              format_func=lambda i: names[i])
    seed("runs.curve", "validation loss")
    curve = right.selectbox("Curve", list(CURVES), key="runs.curve")
    pages.compare = list(chosen)
    split, name = CURVES[curve]
    rows = {i: live.rows_of(store, i) for i in chosen}
    if name == "loss":
        split, name = loss_curve(split, [by_id[i] for i in chosen], names, rows)
    labels = {i: names[i] + (" (standardised loss)" if name == "loss" and by_id[i].target_scale
                             else "") for i in chosen}
    per_run = {labels[i]: rows[i] for i in chosen}
    colors = {labels[i]: charts.run_color(i) for i in chosen}  # a run's own, on every page
    # the curve drawn named as the picker names it ("Validation loss"; the validation MAE
    # where the runs' losses do not compare)
    shown = next((c for c, keys in CURVES.items() if keys == (split, name)), curve)
    st.plotly_chart(charts.overlay_figure(per_run, split, name, colors=colors,
                                          x="step" if split == "step" else "epoch",
                                          title=shown[:1].upper() + shown[1:]),
                    key="runs.overlay", config=charts.CONFIG)


def loss_curve(split: str, runs, names: dict[int, str], rows: dict[int, list]) -> tuple:
    """The curve to draw for a loss curve of ``runs``, saying what their loss is on: a
    regression run that learns its target standardised (runtime/target_scale.py) has a loss of
    about 0.04 where one learning it in its units has 1e10. Where the chosen runs' losses are on
    different scales they are not overlaid: the validation MAE, in the target's units, is drawn
    instead when every one of them has it, and the page says why."""
    scales: dict = {}
    for run in runs:
        scales.setdefault(loss_scale(run.target_scale), []).append(run)
    if len(scales) == 1:
        entry = runs[0].target_scale if runs else None
        if entry:
            st.caption(plain(f"The loss is on {loss_words(entry)}; MAE, RMSE and R² are in "
                             f"{entry.get('target') or 'the target'}'s units."))
        return split, "loss"
    said = "; ".join(f"{', '.join(names[r.id] for r in group)}: on "
                     f"{loss_words(group[0].target_scale)}" for group in scales.values())
    has_mae = all(charts.series(rows[r.id], "val", "mae", x="epoch")[0] for r in runs)
    if has_mae:
        st.warning(plain(f"These runs' losses are on different scales ({said}), so their loss "
                         f"curves do not compare: the chart shows the validation MAE instead, "
                         f"in the target's units, which each of them has."), icon="⚖️")
        return "val", "mae"
    st.warning(plain(f"These runs' losses are on different scales ({said}): their loss curves "
                     f"do not compare."), icon="⚖️")
    return split, "loss"


def open_design(state, pages: PagesState, runs, names: dict[int, str]) -> None:
    by_id = {r.id: r for r in runs}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    run_id = left.selectbox("A run's design", list(by_id), key="runs.open",
                            format_func=lambda i: run_label(by_id[i], names[i]))
    if right.button("Open in the designer", key="runs.open.go"):
        run = by_id[run_id]
        graph = load_graph(run.graph)
        if run.variables:
            graph.variables.update(run.variables)
        if run.project and run.project != project_of(state) and hasattr(state, "store"):
            # a run of another design: its design opens as a project of its own. It replaced
            # the design open here (an MLP built for iris became another project's CNN)
            _open_as_new(state, pages, graph, names[run.id], run.id, run.dataset)
            st.rerun()
        replace = getattr(state, "replace_design", None)
        message = (f"Opened the design of run “{names[run.id]}”; undo brings the previous "
                   f"design back.")
        if not callable(replace):
            state.graph = graph
        elif not replace(graph, message) and state.graph.to_dict() != graph.to_dict():
            # not saved (a full disk, a read-only folder): never said to be in the Designer
            why = state.notices[-1].text if state.notices else ""
            pages.notice = f"The design of run “{names[run.id]}” was not opened. {why}".strip()
            st.rerun()
        # the button says where the design opens: the Designer shows it, with the notice
        # of what changed. The page stayed on Runs, its notice at the top while the button
        # the user had scrolled to is near the bottom: the click seemed to do nothing
        state.open_designer = True
        st.rerun()


def _open_as_new(state, pages: PagesState, graph, name: str, run_id: int,
                 dataset: dict | None = None) -> None:
    """The run's design as a new project, made the tab's, with the run's data (``dataset``,
    its record) as its data where they are still there; the design open before is left as it
    was."""
    from ..project_panel import unique_name
    from ..state import new_project

    before = getattr(state, "graph", None)
    graph.name = unique_name(state.store, f"{graph.name} run {run_id}")
    other = new_project(state, graph, f"The project of run “{name}”")
    if other is None:  # the projects folder cannot be written: said, the design kept
        pages.notice = state.notices[-1].text
        return
    kept = f" “{before.name}” is as it was." if before is not None else ""
    other.notify("success", f"Opened the design of run “{name}” as the new project "
                            f"“{graph.name}”.{kept}")
    other.open_designer = True  # as for a run of this project (open_design)
    # the data it trained on: the new project was checked against the data its design names
    # (a template's iris), and a design trained on wine.csv opened as '1 error with iris'
    source = (dataset or {}).get("source")
    builtins = {d["name"] for d in list_datasets()}
    if isinstance(source, str) and (source in builtins or Path(source).is_file()):
        from ..datafit import remember_data
        from ..predict import choice_of

        remember_data(other, choice_of(dataset), chosen=True)


# -- sweeps ---------------------------------------------------------------------------------

def default_params(graph) -> pd.DataFrame:
    """Starting rows: the rate on a log range, and each numeric variable around its value,
    but for those the data sets (:func:`data_bound`): a trial at another value would not fit."""
    out = [{"sweep": True, "setting": "lr", "values": "1e-4:1e-1:log"},
           {"sweep": False, "setting": "batch_size", "values": "32,64,128"},
           {"sweep": False, "setting": "optimizer", "values": "adam,sgd,adamw"}]
    for row in out:  # each setting in the Train page's words beside the key a sweep types
        row["what"] = label_of(row["setting"])
    bound = data_bound(graph) if graph is not None else set()
    for name, value in (graph.variables if graph is not None else {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or name in bound:
            continue
        if isinstance(value, int):
            values = ",".join(str(v) for v in sorted({max(1, value // 2), value, value * 2}))
        else:
            values = f"{value / 2:g},{value:g},{value * 2:g}"
        out.append({"sweep": False, "setting": name, "values": values,
                    "what": "a variable of the design"})
    return pd.DataFrame(out)


# blocks that keep their input's width, walked through back from the Output; and the params that
# set a layer's output width
SHAPE_KEEPING = {"ReLU", "LeakyReLU", "GELU", "SiLU", "ELU", "Tanh", "Sigmoid", "Softmax",
                 "LogSoftmax", "Dropout", "Identity", "Mish", "Hardswish", "Softplus", "PReLU",
                 "ReLU6", "Hardtanh", "Hardsigmoid", "Rescaling", "BatchNorm1d", "LayerNorm"}
WIDTH_PARAMS = ("out_features", "out_channels", "units")


def data_bound(graph) -> set[str]:
    """The variables the data decides: those the Input's params read (the sample's shape) and
    those that set the width of the layer giving the Output its values (the class or target
    count), found back from the Output through the blocks that keep their input's width."""
    import re

    def read(values) -> set[str]:
        flat = [x for v in values for x in (v if isinstance(v, (list, tuple)) else [v])]
        text = " ".join(v for v in flat if isinstance(v, str) and v.startswith("="))
        return set(re.findall(r"[A-Za-z_]\w*", text)) & set(graph.variables)

    by_id = {n.id: n for n in graph.nodes}
    feeding = {e.target: e.source for e in graph.edges}
    bound: set[str] = set()
    for node in graph.nodes:
        if node.type == "Input":
            bound |= read(node.params.values())
        elif node.type == "Output":
            layer = by_id.get(feeding.get(node.id))
            while layer is not None and layer.type in SHAPE_KEEPING:
                layer = by_id.get(feeding.get(layer.id))
            if layer is not None:
                bound |= read(layer.params.get(k) for k in WIDTH_PARAMS)
    return bound


def parse_rows(frame: pd.DataFrame, graph) -> tuple[list[str], list[str]]:
    """``(params as "name=values" for runtime.search, problems in words)``."""
    params, problems = [], []
    known = set(FIELD_NAMES) | set(graph.variables if graph is not None else {})
    for row in frame.to_dict("records"):
        if not row.get("sweep"):
            continue
        name = str(row.get("setting") or "").strip()
        values = str(row.get("values") or "").strip()
        if name not in known:
            problems.append(f"{name or '(empty)'!s} is neither a training setting nor a "
                            f"variable of the design")
            continue
        text = f"{name}={values}"
        try:
            parse_param(text)
        except Exception as err:  # noqa: BLE001 - TrainError with the syntax, in words
            problems.append(friendly(err).replace("--param ", ""))
            continue
        params.append(text)
    if not params and not problems:
        problems.append("tick at least one setting to sweep")
    return params, problems


def sweep_launcher(state, pages: PagesState, store) -> None:
    st.subheader("Sweep")
    graph = getattr(state, "graph", None)
    monitor = TrainConfig.from_dict(pages.config).monitor
    st.caption(f"A sweep trains several runs, each with the Train page's settings and other "
               f"values of those ticked below, and ranks them by the Train page's metric to "
               f"watch ({monitor}: the {metric_title(monitor)}). Ranges are low:high (add :log "
               f"for a log scale), lists are a,b,c.")
    frame = st.data_editor(default_params(graph), key="runs.sweep.params", hide_index=True,
                           num_rows="dynamic", column_config={
                               "sweep": st.column_config.CheckboxColumn(width="small"),
                               "setting": st.column_config.TextColumn(help=SETTING_HELP),
                               "what": st.column_config.TextColumn(disabled=True)})
    cols = st.columns(3)
    seed("runs.sweep.trials", 6)
    seed("runs.sweep.sampler", "tpe")
    # no bounds on the box: a count typed out of range is said at Launch; the browser's own
    # refusal left 1000 in the box unapplied, and Launch ran the count before it unseen
    trials = cols[0].number_input("trials", step=1, key="runs.sweep.trials",
                                  help=f"How many runs the sweep trains: 1 to {MAX_TRIALS}")
    sampler = cols[1].selectbox("sampler", list(SAMPLERS), key="runs.sweep.sampler",
                                format_func=SAMPLERS.get)
    started = pages.sweep_started
    busy = started is not None and sweep_status(started, store)["status"] == "queued"
    if cols[2].button("Launch sweep", key="runs.sweep.go", type="primary", disabled=busy):
        params, problems = parse_rows(frame, graph)
        if trials is None or not 1 <= trials <= MAX_TRIALS:
            problems.append(f"trials must be 1 to {MAX_TRIALS}, got "
                            f"{'nothing' if trials is None else int(trials)}")
        for problem in problems:
            st.error(plain(problem))
        if problems:
            return
        graph, choice = ready(state, pages)
        if graph is None:
            return
        config = TrainConfig.from_dict(pages.config)
        pages.sweep_started = start_sweep(graph.to_dict(), spec_of(choice), config.to_dict(),
                                          params, trials=int(trials), sampler=sampler,
                                          name=f"{graph.name} sweep", store=store)
        pages.sweep_id = None
        pages.notice = (f"Sweep started: {int(trials)} trial(s) of {', '.join(params)} on "
                        f"{data_choice(state, pages).label}.")
        st.rerun()


def sweep_results(pages: PagesState, store, runs) -> None:
    started = pages.sweep_started
    if started is not None:  # the sweep this session started, until its process begins it
        info = sweep_status(started, store)
        if info["status"] == "queued":
            st.fragment(_waiting_for(store, started), run_every=1.0)()
            return
        pages.sweep_started = None
        if info["status"] == "failed" and not store.list_runs(sweep_id=started):
            st.error(f"The sweep could not start: {plain(info['reason'])}")
            return
        pages.sweep_id = started
    known = sorted({r.sweep_id for r in runs if r.sweep_id is not None} |
                   ({pages.sweep_id} if pages.sweep_id else set()), reverse=True)
    if not known:
        return
    seed("runs.sweep.shown", pages.sweep_id or known[0])
    if st.session_state["runs.sweep.shown"] not in known:
        st.session_state["runs.sweep.shown"] = known[0]
    sweep_id = st.selectbox("Sweep", known, key="runs.sweep.shown",
                            format_func=lambda i: f"sweep {i}: {store.sweep(i)['name']}")
    info = sweep_status(sweep_id, store)  # a sweep whose process died is marked failed
    running = info["status"] in ("queued", "running") and (info["pid"] is not None or any(
        r.status in ACTIVE for r in store.list_runs(sweep_id=sweep_id)))
    if running:  # new trials appear as they finish, without reloading the page
        asked = info.get("control") == "stop"
        if st.button("Stopping…" if asked else "Stop sweep", key="runs.sweep.stop",
                     disabled=asked):
            act(lambda: stop_sweep(sweep_id, store), pages,
                f"Sweep {sweep_id} will stop: no new trial starts, and the trial training now "
                f"stops after its batch, keeping its results so far.")
        st.fragment(lambda: trials_panel(store, sweep_id), run_every=2.0)()
    else:
        trials_panel(store, sweep_id)


def _waiting_for(store, sweep_id: int):
    def panel() -> None:
        if sweep_status(sweep_id, store)["status"] != "queued":
            st.rerun(scope="app")
        st.info("Starting the sweep: loading the data and building the model…")

    return panel


def trials(store, sweep_id: int) -> tuple[pd.DataFrame, str]:
    """The sweep's trials: run, status, each swept setting, and the objective (completed
    trials only: a stopped trial's best so far is on its run, not scored here)."""
    info = store.sweep(sweep_id)
    spec = info["spec"]
    names = [p["name"] for p in spec.get("params", [])]
    objective = spec.get("objective", "value")
    out = []
    for run in sorted(store.list_runs(sweep_id=sweep_id), key=lambda r: r.id):
        row = {"run": run.id, "status": run.status}
        for name in names:
            row[name] = run.config.get(name, (run.variables or {}).get(name))
        value = run.best_metric  # a trial stopped mid-training has no result (Optuna: pruned)
        row[objective] = (value if run.status == "completed" and value is not None
                          and math.isfinite(value) else None)
        out.append(row)
    return pd.DataFrame(out, columns=["run", "status", *names, objective]), objective


def trials_panel(store, sweep_id: int) -> None:
    frame, objective = trials(store, sweep_id)
    info = store.sweep(sweep_id)
    done = frame[objective].notna().sum() if len(frame) else 0
    st.caption(f"{info['status']} · {len(frame)} of {info['spec'].get('trials', '?')} trial(s) "
               f"started, {done} scored · objective {objective} "
               f"({info['spec'].get('direction', '')})")
    if info.get("reason") and info["status"] in ("stopped", "failed"):
        st.caption(f"The sweep was {plain(info['reason'])}." if info["status"] == "stopped"
                   else f"The sweep failed: {plain(info['reason'])}")
    if frame.empty:
        return
    ascending = info["spec"].get("direction", "minimize") == "minimize"
    # the swept settings headed in the Train page's words, their keys in the tooltip
    words = {name: st.column_config.Column(f"{label_of(name)} ({name})",
                                           help=f"The training setting saved as {name}")
             if name in FIELD_NAMES else
             st.column_config.Column(name, help="A variable of the design")
             for name in frame.columns if name not in ("run", "status", objective)}
    st.dataframe(frame.sort_values(objective, ascending=ascending, na_position="last"),
                 hide_index=True, column_config=words)
    shown = frame.drop(columns=["run", "status"])
    if shown[objective].notna().any() and len(shown.columns) > 1:
        st.plotly_chart(charts.parallel_figure(shown, objective), key=f"runs.parallel.{sweep_id}",
                        config=charts.CONFIG)
