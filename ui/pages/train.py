"""Train page: the training config, the LR finder, start/pause/resume/stop, and the live run.

Runs train in their own processes (``layerloom.runtime.start_run``); this page only writes the
request and reads the run store. Closing the browser does not stop a run; opening the page again
finds the project's run and shows it live.
"""

from __future__ import annotations

import re

import streamlit as st

from layerloom.graph import validate
from layerloom.runtime import (ConfigError, TrainConfig, describe_fields, lr_find, pause_run,
                               resume_run, run_status, start_run, stop_run)
from layerloom.runtime.config import monitor_choices
from layerloom.runtime.runnames import data_name
from layerloom.runtime.store import ACTIVE

from .. import charts, live, projectruns
from ..datafit import (blocked_reason, chosen_data, fit_of, refused_data, show_design_errors,
                       show_notes, show_problems)
from ..errors import friendly, shown_errors
from ..fields import plain
from ..forms import field_widget, seed
from ..pagestate import DataChoice, PagesState, pages_of, project_of
from ..setting_words import EMPTY_MEANS, GROUP_WORDS, help_of, label_of, problem_in_words
from .common import config_line, metric_title, metrics_line, run_names, show_notice, swatch

# The settings most runs change, shown first; the rest sit in "More settings" by group.
MAIN = ("optimizer", "lr", "schedule", "batch_size", "epochs", "early_stopping", "patience",
        "monitor", "seed", "device")
GROUPS = ("task", "optimizer", "schedule", "loop", "early_stopping", "hardware", "reporting",
          "augmentation")


def render(state) -> None:
    st.header("Train")
    with shown_errors("The Train page"):
        pages = pages_of(state)
        show_notice(pages)
        store = live.store_of()
        run = current_run(state, pages, store)
        active = run is not None and run.status in ACTIVE
        if active:
            pages.watched = run.id
        # the settings fold away while a run trains, and stay folded over the run this session
        # watched train once it ends: its outcome and the way on to the Results page then show
        # without scrolling at 1366×768 (a click on "Training settings" opens them)
        folded = run is not None and (active or run.id == pages.watched)
        with st.expander("Training settings", expanded=not folded):
            config = config_form(pages, run_task(state, pages))
            lr_finder(state, pages, config)
        controls(state, pages, store, run, config)
        if run is not None:
            show_run(pages, store, run)


# -- the config -----------------------------------------------------------------------------

def _design_weights(state):
    """The weights file the design carries (an imported model's), or None."""
    store, pid = getattr(state, "store", None), getattr(state, "project_id", None)
    try:
        return store.weights_file(pid) if store is not None and pid else None
    except Exception:  # noqa: BLE001 - no project store: fresh weights
        return None


def run_task(state, pages: PagesState) -> str | None:
    """The task a run will train (``classification``…) on the chosen data, or None where no
    data is chosen or it does not load."""
    choice = data_choice(state, pages)
    if choice is None or getattr(state, "graph", None) is None:
        return None
    return getattr(fit_of(state, choice, pages.config.get("task", "auto"),
                          pages.config.get("target_scaling", "auto")), "task", None)


def config_form(pages: PagesState, task: str | None = None) -> TrainConfig | None:
    """The config from the form, or None (with its problems shown) when a value is out of
    range. Only the values that differ from the defaults are kept in the page state.
    ``task``: what the run will learn, whose metrics the metric to watch offers (every
    task's where None)."""
    fields = {f["name"]: f for f in describe_fields()}
    for name in pages.refresh:  # set by an action (the LR finder): re-seed the widget
        st.session_state.pop(f"train.cfg.{name}", None)
    pages.refresh = []
    values = dict(pages.config)
    chosen = {}
    # the middle column a little wider: at 1024 px five equal ones cut the metric to watch's
    # "Validation accuracy" to "Validation accurac"
    cols = st.columns([1, 1, 1.25, 1, 1])
    for i, name in enumerate(MAIN):
        with cols[i % 5]:
            # the config's check says a value out of range and turns Start off ("epochs
            # must be ≥ 1, got 0"); the browser's refusal left 0 in the box, unapplied, and
            # Start trained for the epochs before it
            chosen[name] = setting_widget(fields[name], values.get(name, fields[name]["default"]),
                                          task)
    with st.expander("More settings"):
        for group in GROUPS:
            rest = [f for f in fields.values() if f["group"] == group and f["name"] not in MAIN]
            if not rest:
                continue
            st.caption(GROUP_WORDS.get(group, group.replace("_", " ")))
            cols = st.columns(4)
            for i, f in enumerate(rest):
                with cols[i % 4]:
                    chosen[f["name"]] = setting_widget(f, values.get(f["name"], f["default"]))
    defaults = {n: tuple(f["default"]) if isinstance(f["default"], list) else f["default"]
                for n, f in fields.items()}
    pages.config = {k: v for k, v in chosen.items() if v != defaults[k]}
    try:
        return TrainConfig.from_dict(pages.config)
    except ConfigError as err:
        for problem in err.problems:
            st.error(problem_in_words(problem))
        return None


def setting_widget(decl: dict, value, task: str | None = None):
    """A training setting's box, labelled in words ("Learning rate"), its tooltip saying what
    it does and its PyTorch term; its key and stored value are the config's (``lr``). The
    metric to watch offers the metrics a run of ``task`` logs, in words ("Validation
    accuracy"), validation first."""
    shown = None
    if decl["name"] == "monitor":
        decl = dict(decl, choices=monitor_choices(task))
        shown = metric_words
    return field_widget(dict(decl, help=help_of(decl)), value, f"train.cfg.{decl['name']}",
                        label=label_of(decl["name"]), bounded=False,
                        empty=EMPTY_MEANS.get(decl["name"]), shown=shown)


def metric_words(name: str) -> str:
    """``val_accuracy`` → ``Validation accuracy``: a logged metric as the form offers it."""
    title = metric_title(name)
    return title[:1].upper() + title[1:]


def settings_problem(pages: PagesState) -> str | None:
    """The training settings' problems (said in the form above), as the reason Start is off."""
    try:
        TrainConfig.from_dict(pages.config)
    except ConfigError as err:
        return "; ".join(problem_in_words(p) for p in err.problems)
    return None


def lr_finder(state, pages: PagesState, config: TrainConfig | None) -> None:
    left, right = st.columns([1, 3])
    clicked = left.button("Find a learning rate", key="train.lrfind", disabled=config is None,
                          help="Train a copy of the model for 100 steps at rising rates and "
                               "suggest the rate where the loss falls fastest.")
    if clicked:
        graph, choice = ready(state, pages)
        if graph is not None:
            with st.spinner("Running the learning-rate range test…"):
                result = lr_find(graph, spec_of(choice), config)
            pages.lr_range = result.to_dict()
            if result.suggestion:
                pages.config["lr"] = float(f"{result.suggestion:.2g}")
                pages.refresh.append("lr")
                pages.notice = f"The learning rate is set to the suggested {result.suggestion:.2g}."
            else:
                pages.notice = "The range test found no rate to suggest: the loss never fell."
            st.rerun()
    found = pages.lr_range
    if found:
        right.caption(f"Suggested rate {found['suggestion']:.2g}" if found.get("suggestion")
                      else "No suggestion")
        st.plotly_chart(charts.lr_finder_figure(found["lrs"], found["losses"],
                                                found.get("suggestion")), key="train.lrplot",
                        config=charts.CONFIG)


# -- starting and steering a run ------------------------------------------------------------

def data_choice(state, pages: PagesState) -> DataChoice | None:
    """The dataset chosen on the Data page, else the one the design's template names."""
    del pages  # kept in the signature: the Runs page calls it so
    return chosen_data(state)


def unchosen(state) -> bool:
    """Whether the data this page would train on was chosen by no one: none picked on the Data
    page, and the design names none (a blank design), so the built-in nearest its Input stands
    in (datafit.nearest_builtin)."""
    graph = getattr(state, "graph", None)
    return (chosen_data(state, fallback=False) is None
            and not (graph is not None and graph.extra.get("dataset")))


def spec_of(choice: DataChoice) -> dict:
    """The dataset as the run store keeps it (``runtime.dataset_spec``'s form)."""
    return {"source": choice.source, "seed": choice.seed, "val_fraction": choice.val_fraction,
            "test_fraction": choice.test_fraction,
            "options": {k: list(v) if isinstance(v, tuple) else v
                        for k, v in choice.options.items()}}


def ready(state, pages: PagesState):
    """``(graph, data choice)`` when the design is valid and fits the data; else the reasons
    are shown and ``(None, None)`` returned."""
    graph = getattr(state, "graph", None)
    choice = data_choice(state, pages)
    if graph is None:
        st.error("There is no design to train: open or create one in the Designer.")
        return None, None
    if choice is None:
        st.error("Choose the data to train on, on the Data page.")
        return None, None
    refused = refused_data(state)
    if refused:
        st.error(plain(refused) + ".")
        return None, None
    report = validate(graph)
    if not report.ok:
        st.error("The design has problems to fix in the Designer first: " +
                 "; ".join(plain(p) for p in report.errors[:5]))
        return None, None
    reason = blocked_reason(fit_of(state, choice, pages.config.get("task", "auto"),
                                   pages.config.get("target_scaling", "auto")))
    if reason:
        st.error(plain(reason))
        return None, None
    return graph, choice


def start_blocker(state, pages: PagesState) -> str | None:
    """Why Start is disabled now (shown beside it, each data problem with its node and fix),
    or None when the design is valid and fits the chosen data."""
    graph = getattr(state, "graph", None)
    choice = data_choice(state, pages)
    if graph is None:
        return "There is no design to train: open or create one in the Designer."
    if choice is None:
        return "Choose the data to train on, on the Data page."
    refused = refused_data(state)
    if refused:  # the choice kept is the one before the value typed, which is not trained on
        return refused + "."
    cached = getattr(state, "report", None)  # the designer state's, once per revision
    report = cached() if callable(cached) else validate(graph)
    if not report.ok:
        n = len(report.errors)
        count = f"{n} problem{'' if n == 1 else 's'}"
        st.markdown(f"**The design has {count} to fix in the Designer before training:**")
        show_design_errors(report.errors, state=state, key="train.designerror", to_designer=True)
        return f"The design has {count} to fix in the Designer"
    fit = fit_of(state, choice, pages.config.get("task", "auto"),
                 pages.config.get("target_scaling", "auto"))
    reason = blocked_reason(fit)
    show_notes(fit)
    if reason:
        fixable = any(getattr(p, "fixable", False) for p in getattr(fit, "problems", []))
        label = plain(choice.label or choice.source)
        if unchosen(state):
            # a design made for other data (an MLP for iris) was told to take mnist's
            # [1, 28, 28] images, data its author never picked
            st.markdown(f"**No data is chosen for this design yet**, and it does not fit "
                        f"{label}, the built-in dataset nearest its Input, which stands in until you "
                        f"choose: pick the data it is for on the **Data** page. To train it on "
                        f"{label} instead, fix this:")
            show_problems(fit, state=state, key="train.fitproblem", to_designer=True)
            return reason
        st.markdown(f"**The design does not fit {label} yet** "
                    + (f"— fix this before training (the Data page's *Fit the design to "
                       f"{label}* makes the fixes that need no new block in one click):"
                       if fixable else "— fix this in the Designer before training:"))
        show_problems(fit, state=state, key="train.fitproblem", to_designer=True)
    return reason


def current_run(state, pages: PagesState, store):
    """The run this page shows: the one chosen in this session, else the project's active or
    latest run (so a page reopened after the browser closed finds its run again)."""
    project = project_of(state)
    if pages.run_id is not None:
        try:
            run = run_status(pages.run_id, store)
        except KeyError:
            run = None
        if run is not None and run.project == project:  # not a run of a project left behind
            return run
    pages.run_id = None
    run = projectruns.current_run(store, project)
    if run is not None:
        pages.run_id = run.id
    return run


def controls(state, pages: PagesState, store, run, config: TrainConfig | None) -> None:
    active = run is not None and run.status in ACTIVE
    if not active:
        graph, choice = getattr(state, "graph", None), data_choice(state, pages)
        st.caption(f"Trains {plain(graph.name) if graph is not None else 'no design'} on "
                   f"{plain(choice.label) if choice else 'no data yet (choose it on the Data page)'}"
                   f"{' from the weights it carries' if _design_weights(state) else ''}"
                   f"{' (no data chosen yet: the built-in dataset nearest its Input; choose yours on the Data page)' if choice and unchosen(state) else ''}.")
        head_row(state, pages)
    blocker = None if active else start_blocker(state, pages)
    # a setting out of range is said in the form above; Start says it too, first
    settings = None if active or config is not None else settings_problem(pages)
    row = st.container(horizontal=True)
    if not active:
        reasons = [r for r in (settings, blocker) if r]
        # a run stopped or paused part-way: Resume, named and first, continues it; Start says
        # that it begins another run from the first epoch (a student who stopped half-way
        # pressed the red "Start training" to go on, and saw the curves and epochs start over)
        resumable = run is not None and run.resumable and run.status != "completed"
        if resumable and row.button(**resume_button(run, store)):
            act(lambda: resume_run(run.id, store), pages, f"{shown_name(run, store)} resumed.")
        start = row.button("Start a new run" if resumable else "Start training",
                           type="secondary" if resumable else "primary", key="train.start",
                           disabled=config is None or blocker is not None,
                           help=" ".join(reasons) or (
                               ("A new run from the first epoch, with the settings above; "
                                "the stopped run stays as it is, to resume later. "
                                if resumable else "") + "Train the design on the chosen data in "
                               "a process of its own (closing the browser does not stop it)"))
        for reason in reasons:
            short = reason.split(":")[0] if reason.startswith("The design does not fit") \
                else reason
            st.caption(f":material/block: Start is off until this is fixed: "
                       f"{plain(short.rstrip('.'))}.")
        if start:
            graph, choice = ready(state, pages)
            if graph is not None:
                name = getattr(state, "name", "") or graph.name
                carried = _design_weights(state)
                if carried is not None and config.init_weights is None:  # imported weights
                    config = config.replace(init_weights=str(carried))
                run_id = start_run(graph, spec_of(choice), config, name=name, store=store,
                                   project=project_of(state))
                pages.run_id = run_id
                # Results and Export show this run next (once it has finished), not the one
                # picked there before it
                pages.results_run = pages.export_run = None
                st.rerun()
        return
    # each says what becomes of the run: a student stopping half-way feared losing the epochs
    # trained, which both keep
    if row.button("Pause", key="train.pause", disabled=run.control is not None,
                  help="Pause after this batch: the run keeps its place (epoch, step, curves) "
                       "and Resume goes on from there. Nothing is tested while paused."):
        act(lambda: pause_run(run.id, store), pages,
            f"{shown_name(run, store)} will pause after this batch.")
    if row.button("Stop", key="train.stop", disabled=run.control == "stop",
                  help="Stop after this batch and test the model as trained so far (the "
                       "Results page shows it); the run is kept: Resume goes on from this "
                       "batch, its curves and epoch count carried on."):
        act(lambda: stop_run(run.id, store), pages,
            f"{shown_name(run, store)} will stop after this batch.")


def shown_name(run, store) -> str:
    """The run as every page names it (``seed-cnn #8 · learning rate 0.001``), for the Resume
    button and what the page says once a request is sent: 'Run 8 resumed.' named it by a number
    the pages show only after ``#``."""
    names = run_names(store.list_runs()) if store is not None else {}
    return plain(names.get(run.id, f"{run.name} #{run.id}"))


def resume_button(run, store) -> dict:
    """The Resume button of a run stopped or paused part-way: it names the run and where it
    goes on from, and says that it keeps the run's own settings (the form's are for a new
    run).

    >>> from types import SimpleNamespace as Run
    >>> b = resume_button(Run(id=2, name="seed-cnn", status="stopped", config={"epochs": 3},
    ...     progress={"epoch": 2, "epochs": 3, "step": 250, "total_steps": 330}), None)
    >>> b["label"]
    'Resume seed-cnn #2 from epoch 3 of 3'
    >>> b = resume_button(Run(id=2, name="seed-cnn", status="paused", config={"epochs": 3},
    ...     progress={"epoch": 1, "epochs": 3, "step": 220, "total_steps": 330}), None)
    >>> b["label"]
    'Resume seed-cnn #2 from epoch 3 of 3'
    """
    name = shown_name(run, store)
    progress = run.progress or {}
    epochs, total = progress.get("epochs"), progress.get("total_steps")
    at = ""
    if epochs and total and total % epochs == 0 and "step" in progress:
        # the epoch it goes on in: a run stopped at an epoch's end goes on with the next one
        at = f" from epoch {min(epochs, progress['step'] // (total // epochs) + 1)} of {epochs}"
        # where it goes on from, once: its name's "0 of 60 epochs" (how far it went, where
        # the epochs tell its design's runs apart) read "… · 0 of 60 epochs from epoch 1 of 60"
        name = re.sub(r" · \d+ of \d+ epochs?(?= · |$)", "", name)
    return {"label": f"Resume {name}{at}", "key": "train.resume", "type": "primary",
            "help": f"Go on from where the {run.status} run left off, its curves and epoch "
                    f"count carried on, with its own settings ({config_line(run.config)}); "
                    f"the settings above are for a new run."}


# -- fine-tuning: fitting an imported model's head to the data's classes ----------------------

HEAD_UNDO = "train.replace_head"  # state.pages: the revision the last replacement made


def head_plan(state, pages: PagesState):
    """``(head id, its out_features, the data's class count, why not)``: why not is None when
    "Replace the head" can run (the design carries weights and the chosen data has another
    number of classes than its head gives), else the reason in words."""
    from layerloom.graph import GraphError
    from layerloom.graph.import_torch.finetune import head_node

    graph = getattr(state, "graph", None)
    try:
        head = head_node(graph)
    except GraphError as exc:
        return None, None, None, str(exc).split(": ", 1)[-1]
    outputs = graph.node(head).params.get("out_features")
    cached = getattr(state, "report", None)
    report = cached() if callable(cached) else validate(graph)
    info = report.resolution.top.nodes.get(head) if report.ok else None
    if info is not None and info.shape:
        outputs = info.shape[-1]
    choice = data_choice(state, pages)
    if choice is None:
        return head, outputs, None, "Choose the data to train on, on the Data page."
    from ..cache import dataset_of

    try:
        classes = dataset_of(choice).classes
    except Exception as exc:  # noqa: BLE001 - data that do not load: said, not a traceback
        return head, outputs, None, f"The data do not load: {friendly(exc)}"
    if not classes:
        return head, outputs, None, "The chosen data have no classes (not a classification)."
    if len(classes) == outputs:
        return head, outputs, len(classes), (f"The head already gives {outputs} outputs, one "
                                             f"per class of the data.")
    return head, outputs, len(classes), None


def head_row(state, pages: PagesState) -> None:
    """"Replace the head", shown when the design carries weights (an imported model's)."""
    if _design_weights(state) is None:
        return
    head, outputs, classes, why = head_plan(state, pages)
    row = st.container(horizontal=True)
    label = (f"Replace the head: {outputs} → {classes} classes" if why is None
             else "Replace the head")
    clicked = row.button(label, key="train.replace_head", disabled=why is not None,
                         help=why or f"Fit the last Linear ({head}) to the data's {classes} "
                                     f"classes: it starts fresh, every other weight is kept")
    undo = state.pages.get(HEAD_UNDO) if isinstance(getattr(state, "pages", None), dict) \
        else None
    if undo is not None and undo["revision"] == getattr(state, "revision", None):
        if row.button("Undo the head replacement", key="train.replace_head.undo",
                      help="The designer's Undo (Ctrl+Z): the design and its weights as "
                           "before; Redo brings both back"):
            undo_head(state, pages, undo)
    if clicked and why is None:
        replace_head_now(state, pages, head, outputs, classes)


def fitted_weights(graph, data: bytes) -> tuple[bytes, list[str], int]:
    """The weights ``data`` (safetensors) fitted to ``graph``: tensors whose shape differs
    (the replaced head) start fresh, as training starts them (seed 0). The new file's bytes,
    the fresh keys, and how many tensors were kept."""
    import torch
    from safetensors.torch import load as load_tensors
    from safetensors.torch import save as save_tensors

    from layerloom.graph import compile_graph
    from layerloom.graph.import_torch.finetune import load_fitting

    tensors = load_tensors(data)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = compile_graph(graph)
    fresh = load_fitting(model, tensors)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return save_tensors(state), fresh, len(tensors) - len(fresh)


def replace_head_now(state, pages: PagesState, head: str, outputs, classes: int) -> None:
    """Fit the head to ``classes``, keep every other weight; save the design (undoable) and
    the weights; say what changed."""
    from layerloom.graph import GraphError
    from layerloom.graph.import_torch.finetune import replace_head

    from ..savelog import Edit

    weights = _design_weights(state)
    graph = state.graph.copy()
    try:
        before = weights.read_bytes()
        replace_head(graph, classes)
        data, fresh, kept = fitted_weights(graph, before)
        after = state.store.keep_weights(state.project_id, data)  # a version, not in use yet
    except GraphError as exc:
        pages.notice = f"The head was not replaced: {exc}"
        st.rerun()
        return
    except Exception as exc:  # noqa: BLE001 - a weights file that cannot be read: in words
        pages.notice = f"The head was not replaced: {friendly(exc)}"
        st.rerun()
        return
    what = f"head: {graph.node(head).type} {outputs} → {classes} classes"
    # the design and its new weights are saved together, as one undoable edit: the designer's
    # undo (and redo) switches both
    if not state.commit(graph, edit=Edit("designer", f"replace head {head}: {what}"),
                        weights=after):
        pages.notice = "The head was not replaced: the design could not be saved."
        st.rerun()
        return
    state.pages[HEAD_UNDO] = {"revision": state.revision}
    pages.notice = (f"{what}; {kept} other tensors kept ({', '.join(fresh) or head} start "
                    f"fresh). The design and its weights are saved.")
    st.rerun()


def undo_head(state, pages: PagesState, undo: dict) -> None:
    """Undo the last head replacement (while it is the last edit): the designer's undo, which
    restores the design and the weights it carried."""
    if state.undo():
        pages.notice = "The head replacement is undone: the design and its weights as before."
    else:
        pages.notice = "Could not undo the head replacement."
    state.pages.pop(HEAD_UNDO, None)
    st.rerun()


def act(request, pages: PagesState, done: str) -> None:
    """Send a request to a run; a run that cannot take it says why in words."""
    try:
        request()
    except Exception as err:  # noqa: BLE001 - shown in words, the page goes on
        pages.notice = f"Could not do that: {friendly(err)}"
    else:
        pages.notice = done
    st.rerun()


# -- the run --------------------------------------------------------------------------------

def show_run(pages: PagesState, store, run) -> None:
    # its display name, as the Runs and Results pages list it (seed-cnn #3 · learning rate 0.01)
    name = run_names(store.list_runs()).get(run.id, f"{run.name} #{run.id}")
    st.subheader(f"Run {plain(name)}", anchor=False)
    st.caption(f"{swatch(run.id)} {plain(data_name(run.dataset))} · {config_line(run.config)}",
               unsafe_allow_html=True)  # the dot: the run's colour in the Runs page's charts
    seed("train.per_epoch", False)
    per_epoch = st.toggle("Per epoch", key="train.per_epoch",
                          help="Show one point per epoch instead of every logged step.")
    live.watch(store, run.id, per_epoch, header=status_line, run=run)


def status_line(run) -> None:
    reason = run.reason or ""
    if run.status == "failed":
        st.error(f"The run failed: {plain(reason) or 'no reason was recorded'}")
    elif run.status == "completed":
        # named and shown as the Results page shows them ("accuracy 96.4%, macro F1 96.4%"),
        # not as the records' keys ("loss 0.1016, accuracy 0.964, macro_f1 0.964")
        metrics = metrics_line(run.final_metrics,
                               " (standardised)" if getattr(run, "target_scale", None) else "")
        st.success(f"Completed: {plain(reason)}." + (f" Test {metrics}." if metrics else "")
                   + " See the Results page.")
    elif run.status in ("paused", "stopped"):
        more = " Resume continues it exactly." if run.resumable else ""
        st.info(f"{run.status.capitalize()}{': ' + plain(reason) if reason else ''}.{more}")
    elif run.status in ACTIVE and (run.status == "queued" or run.phase):
        st.info(f"Starting: {PHASES.get(run.phase, PHASES['process'])}…")


# What a starting run is doing (``Run.phase``), in words.
PHASES = {"process": "starting the run's process", "data": "loading the data",
          "model": "building the model", "first batch": "training the first batch"}
