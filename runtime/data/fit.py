"""Does a design fit a dataset? Checked before anything trains, with the node to change and the
right fix for each problem.

The design's Input must take the dataset's samples (shape and dtype; token ids need an
Embedding with a row for every id) and its Output must give what the task compares with: one
value per class for classification, the targets for regression, the input itself for
reconstruction. The commonest beginner mistake, a Linear fed a feature map (``MaxPool → Linear``
with no ``Flatten``), is valid as a graph (a Linear acts on the last dimension) but gives
``[64, 5, 10]`` per sample where a classifier must give ``[10]``: the fix named is "add Flatten
(or global pooling) before fc", never a different ``out_features``.

>>> from types import SimpleNamespace
>>> from layerloom.graph.templates import load_template
>>> mnist = SimpleNamespace(name="mnist-5k", task="classification", input_shape=(1, 28, 28),
...                         dtype="float32", classes=[str(d) for d in range(10)],
...                         target_dim=None, vocab=None)
>>> check_fit(load_template("seed-cnn"), mnist).ok
True
>>> g = load_template("seed-cnn")
>>> g.nodes = [n for n in g.nodes if n.id != "flat"]
>>> g.edges = [e for e in g.edges if "flat" not in (e.source, e.target)]
>>> from layerloom.graph import Edge
>>> g.edges.append(Edge("pool2", "fc"))
>>> [(p.node, p.fix) for p in check_fit(g, mnist).problems]
[('fc', 'add Flatten (or global pooling) before fc')]

Nothing here imports Streamlit; the dataset is anything with ``name``, ``task``,
``input_shape``, ``dtype``, ``classes``, ``target_dim`` and ``vocab`` (a loaded
:class:`~layerloom.runtime.data.Dataset`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from layerloom.graph import Graph, validate

from .check import channel_axis_fix, lacks_channel_axis

TASKS = ("classification", "regression", "reconstruction")
_VARIABLE = re.compile(r"^=\s*([A-Za-z_]\w*)\s*$")
# Blocks that keep their input's shape: walked through when looking for the layer that set
# the output's width.
_SAME_SHAPE = {"ReLU", "LeakyReLU", "GELU", "SiLU", "ELU", "Tanh", "Sigmoid", "Softmax",
               "LogSoftmax", "Dropout", "BatchNorm1d", "LayerNorm", "Identity", "Mish",
               "Hardswish", "Softplus", "PReLU", "SELU", "Hardtanh", "ReLU6", "AlphaDropout"}


@dataclass(frozen=True)
class Change:
    """One edit that fixes (part of) a problem: a node's param or a design variable."""

    value: Any
    node: str | None = None
    param: str | None = None
    variable: str | None = None  # when set, the variable is changed (node/param read it)
    why: str = ""  # for an edit further down that the new Input needs: what it keeps working
    # when set, the Input ``node`` (a padding mask's) is removed and the blocks it fed
    # (``feeds``) take the Input ``value`` (the token ids) instead; ``param`` is None
    feeds: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.variable:
            return f"the variable {self.variable} to {self.value}"
        if self.feeds:
            return (f"{', '.join(self.feeds)}'s input to {self.value} ({self.node}, then "
                    f"unused, removed)")
        return f"{self.node}'s {self.param} to {self.value}" + \
            (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class FitProblem:
    """One way the design does not fit the data.

    ``node`` is the node to change (None for the design as a whole), ``param`` the param the
    fix is about, ``variable`` the design variable that controls it (when one does),
    ``message`` what is wrong (both sides named), ``fix`` what to do, ``kind`` one of
    ``inputs``, ``input``, ``dtype``, ``vocab``, ``flatten``, ``width``, ``output``, ``task``,
    ``channels`` (the data lack the channel axis the design's Input rightly has: the data
    change, not the design);
    ``changes`` the edits that fix it (empty: the fix is a hand edit, such as adding a block).
    """

    node: str | None
    message: str
    fix: str
    kind: str
    param: str | None = None
    variable: str | None = None
    changes: tuple[Change, ...] = ()

    @property
    def fixable(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        where = f"{self.node}: " if self.node else ""
        return f"{where}{self.message} Fix: {self.fix}."

    def to_dict(self) -> dict:
        return {"node": self.node, "param": self.param, "variable": self.variable,
                "kind": self.kind, "message": self.message, "fix": self.fix}


@dataclass
class DataFit:
    """The check's answer. ``design_ok`` is False when the design itself is invalid (its own
    problems come first; nothing was compared); ``task`` is the task it was checked for."""

    dataset: str
    task: str
    problems: list[FitProblem] = field(default_factory=list)
    design_ok: bool = True
    notes: list[str] = field(default_factory=list)  # advice that blocks nothing
    # the note saying that training standardises a large regression target (information, not
    # advice), or None
    standardised: str | None = None

    @property
    def ok(self) -> bool:
        return self.design_ok and not self.problems

    @property
    def fixable(self) -> bool:
        """Every problem has edits that fix it (one click fits the design)."""
        return bool(self.problems) and all(p.fixable for p in self.problems)


def resolve_task(task: str, graph: Graph, ds) -> str:
    """The task a run trains (as ``runtime.model.resolve_task``): the one asked for, else the
    design's declared task, else the dataset's."""
    if task and task != "auto":
        return task
    declared = graph.extra.get("task")
    if declared in TASKS and (declared != "classification" or ds.classes):
        return declared
    return ds.task


def check_fit(graph: Graph, ds, variables: Mapping[str, Any] | None = None,
              task: str = "auto", target_scaling: str = "auto",
              init_weights: str | None = None) -> DataFit:
    """Compare ``graph`` (validated with ``variables``) with the dataset ``ds`` for ``task``
    ("auto": as training would choose); ``target_scaling`` and ``init_weights`` are the
    training settings that decide how a regression target is learned (see
    :func:`target_scale_note`)."""
    kind = resolve_task(task, graph, ds)
    fit = DataFit(ds.name, kind)
    report = validate(graph, variables)
    if not report.ok:
        fit.design_ok = False
        return fit
    top = report.resolution.top
    values = dict(report.resolution.variables)
    inputs = list(top.inputs)
    outputs = [o for o in top.outputs if top.nodes[o].used]
    mask = _padding_input(top, inputs, ds)
    if mask is not None:  # an imported text model's attention_mask: the ids show the padding
        graph = apply_changes(graph, mask.changes)
        report = validate(graph, variables)
        by_hand = not report.ok or not (ds.vocab and ds.vocab[0] == "<pad>")
        mask = replace(mask, changes=()) if by_hand else mask
        fit.problems.append(mask)
        if not report.ok:
            return fit
        top = report.resolution.top
        inputs = list(top.inputs)
    if len(inputs) != 1:
        fit.problems.append(FitProblem(
            None, f"training feeds {ds.name} to one Input, but the design has "
                  f"{len(inputs)}{' (' + ', '.join(inputs) + ')' if inputs else ''}.",
            "keep exactly one Input" if inputs else "add an Input block", "inputs"))
    if len(outputs) != 1:
        fit.problems.append(FitProblem(
            None, f"training compares one Output with {ds.name}'s targets, but the design has "
                  f"{len(outputs)}{' (' + ', '.join(outputs) + ')' if outputs else ''}.",
            "keep exactly one Output" if outputs else "add an Output block after the last layer",
            "inputs"))
    if any(p is not mask for p in fit.problems):
        return fit
    source = top.nodes[inputs[0]]
    layout = _signal_layout_problem(top, source, ds)
    if layout is not None:  # a new Input shape alone would not give the Conv1d its channels
        fit.problems.append(layout)
        return fit
    fit.problems += _input_problems(graph, source, ds, values)
    if any(p.kind != "channels" for p in fit.problems):  # the data's own fix leaves the design
        # Judge the rest as it will be once the Input takes the data. Layers further down that
        # the new shape breaks (a pooling window larger than what is left of the image) get
        # the fewest edits that make the design valid again, named in the fix; where none is
        # found the fix is a hand edit, never a one-click change that leaves errors.
        fixed = apply_changes(graph, [c for p in fit.problems for c in p.changes])
        report = validate(fixed, variables)
        if not report.ok and any(p.fixable for p in fit.problems):
            fit.problems, fixed = _with_repair(fit.problems, fixed, report, variables,
                                               _text_length(graph, source.id, ds))
            report = validate(fixed, variables)
        if not report.ok or any(not p.fixable for p in fit.problems if p is not mask):
            return fit
        top = report.resolution.top
        graph = fixed
    fit.problems += _vocab_problems(graph, top, ds)
    fit.problems += _output_problems(graph, top, outputs[0], kind, ds)
    fit.notes += _step_layout_notes(top, inputs[0], ds)
    if kind == "regression" and not fit.problems:
        note, standardised = target_scale_note(graph, top, outputs[0], ds, target_scaling,
                                               init_weights)
        if note:
            fit.notes.append(note)
            fit.standardised = note if standardised else None
    return fit


def target_scale_note(graph: Graph, top, output: str, ds, target_scaling: str = "auto",
                      init_weights: str | None = None) -> tuple[str | None, bool]:
    """What happens to a regression target far from unit scale (house prices of 2e5): where
    training standardises it (``runtime/target_scale.py``), that it does and with what, so the
    user knows the loss's scale and that predictions and metrics stay in the target's units;
    else why it would end far from the targets, and the fix; with whether training
    standardises it. The fix is exact for how the design ends (``runtime/target_advice.py``).
    No note for a target near unit scale, or a design ending in a Rescaling (standardised by
    hand), after its last activation or before it."""
    from ..target_advice import advice, rescaled, typed
    from ..target_scale import far_from_unit, plan, target_stats

    stats = target_stats(ds)
    if stats is None or not far_from_unit(*stats) or rescaled(top, output):
        return None, False
    name = (getattr(ds, "meta", None) or {}).get("target") or "the target"
    scale = plan(graph, top, output, ds, target_scaling, init_weights)
    if scale is not None:
        return (f"{scale.describe(name)}, the loss on the standardised values (target_scaling "
                f"off learns {name} as it is)"), True
    found = advice(top, output, ds, target_scaling, init_weights)
    if found is None:
        return None, False
    mean, std = stats[0][0], stats[1][0]
    return (f"{name}'s values are far from the scale a network's output starts at (mean "
            f"{typed(mean)}, spread {typed(std)}) and are learned as they are ({found.why}): "
            f"the output begins near 0 and moves by about the learning rate a step, so "
            f"training would end far from them, with gradients that look like an explosion. "
            f"{found.fix}"), False


def _onehot_width(ds) -> str:
    """`` (its 5 columns, region as 4 one-hot columns, one per category)``: where a table's
    width is not its count of columns, what makes it so (:func:`.preprocessing.width_words`);
    empty otherwise."""
    from .preprocessing import width_words

    columns = (getattr(ds, "meta", None) or {}).get("columns")
    said = width_words(columns) if isinstance(columns, list) else ""
    return f" ({said})" if said else ""


def _with_repair(problems: list[FitProblem], fixed: Graph, report, variables,
                 other_data: str = "pick data of the size the design was made for",
                 ) -> tuple[list[FitProblem], Graph]:
    """The Input's problems with the edits further down that its new shape needs (see
    :mod:`.fitrepair`) added to the first one's fix and changes, and the design with them; or,
    when no few edits make it valid, every one of them a hand edit naming what breaks, or
    ``other_data``."""
    from .fitrepair import repair

    edits = repair(fixed, variables)
    first = next(i for i, p in enumerate(problems) if p.fixable)
    problem = problems[first]
    if edits:
        more = tuple(Change(e.value, e.node, e.param, why=e.why) for e in edits)
        named = ", ".join(str(c) for c in more)
        problems[first] = replace(problem, fix=f"{problem.fix}, and set {named}",
                                  changes=problem.changes + more)
        return problems, apply_changes(fixed, more)
    errors = "; ".join(str(e) for e in report.errors[:2])
    more = f" (and {len(report.errors) - 2} more)" if len(report.errors) > 2 else ""
    problems = [replace(p, changes=()) for p in problems]
    problems[first] = replace(problem, changes=(), fix=(
        f"{problem.fix}, then change the layers that do not work on it in the Designer "
        f"({errors}{more}), or {other_data}"))
    return problems, fixed


def _text_length(graph: Graph, input_id: str, ds) -> str:
    """Where the design's Input takes ``[L]`` token ids and ``ds`` is a text dataset (its texts
    padded or cut to its option ``length``): loading it with ``length=L``, which leaves the
    design, and an imported model's weights, as they are (a position table of ``L`` rows stays
    whole). Else the general advice."""
    shape = getattr(graph.node(input_id), "params", {}).get("shape")
    if getattr(ds, "vocab", None) is None or ds.dtype != "int64" or \
            not isinstance(shape, list) or len(shape) != 1 or not isinstance(shape[0], int) \
            or shape[0] < 1:
        return "pick data of the size the design was made for"
    length = shape[0]
    return (f"keep the design and load {ds.name} with length={length}, the tokens per text "
            f"it was made for (CLI: --data-option length={length}; Data page: the dataset's "
            f"Options)")


def _texts_read_as_categories(ds) -> tuple[str, int] | None:
    """``(column, categories)`` when ``ds`` is a table read from a file whose only input
    column is non-numeric (one-hot categories): what a CSV of short texts gives when it is
    not read as text; else None."""
    meta = getattr(ds, "meta", None) or {}
    columns = meta.get("columns") if isinstance(meta, Mapping) else None
    if not isinstance(columns, list) or len(columns) != 1:
        return None
    column = columns[0]
    if not isinstance(column, Mapping) or column.get("kind") != "categorical":
        return None
    return str(column.get("name")), len(column.get("categories") or ())


def apply_changes(graph: Graph, changes) -> Graph:
    """A copy of ``graph`` with ``changes`` (from :attr:`FitProblem.changes`) made."""
    fixed = graph.copy()
    for change in changes:
        if change.feeds:
            for edge in fixed.edges:
                if edge.source == change.node:
                    edge.source = change.value
            fixed.nodes = [n for n in fixed.nodes if n.id != change.node]
        elif change.variable:
            fixed.variables[change.variable] = change.value
        elif change.node and change.param:
            node = fixed.node(change.node)
            if node is not None:
                node.params[change.param] = change.value
    return fixed


# -- the input ------------------------------------------------------------------------------

def unshaped_input(graph: Graph, ds, variables: Mapping[str, Any] | None = None
                   ) -> FitProblem | None:
    """Where the design's only errors are that its one Input has no shape yet (a design built
    from a blank canvas), the problem that says so with the data's shape as its fix, so that
    the design can be checked against the data as it will be once the Input takes them; None
    for any other design. :func:`check_fit` says nothing of an invalid design.

    >>> from types import SimpleNamespace
    >>> from layerloom.graph import load_graph
    >>> g = load_graph({"format": "layerloom-graph", "version": 1, "name": "mine", "nodes": [
    ...     {"id": "x", "type": "Input"}, {"id": "fc", "type": "Linear",
    ...     "params": {"out_features": 3}}, {"id": "y", "type": "Output"}],
    ...     "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]})
    >>> wine = SimpleNamespace(name="wine.csv", input_shape=(13,))
    >>> unshaped_input(g, wine).fix
    "set x's shape to [13]"
    """
    report = validate(graph, variables)
    inputs = [n for n in graph.nodes if n.type == "Input"]
    if report.ok or len(inputs) != 1 or inputs[0].params.get("shape") is not None:
        return None
    node = inputs[0]
    if any(p.node != node.id or p.param != "shape" for p in report.errors):
        return None
    want = [int(s) for s in ds.input_shape]
    change = Change(want, node.id, "shape")
    if not validate(apply_changes(graph, [change]), variables).ok:
        return None
    return FitProblem(node.id, f"the Input has no shape yet; {ds.name} gives {want} per sample.",
                      f"set {node.id}'s shape to {want}", "input", param="shape",
                      changes=(change,))


def _padding_input(top, inputs: list[str], ds) -> FitProblem | None:
    """Of two int64 Inputs, one that feeds PaddingMask blocks only (a Hugging Face model's
    attention_mask, 0 at padding) where the data are token ids: the problem, with the change
    that feeds those blocks the ids instead. Ids LayerLoom made (its text datasets) are padded
    with id 0, which a PaddingMask of pad_value 0 marks: the change is one click. Ids made
    elsewhere (an .npz of the model's own tokenizer's ids) are padded with that tokenizer's
    pad id, which the data do not say: the change is named for a hand edit (changes empty),
    and the rest of the design is judged as it will be with it. None otherwise."""
    if len(inputs) != 2 or ds.dtype != "int64":
        return None
    ours = bool(ds.vocab) and ds.vocab[0] == "<pad>"
    for mask, ids in (inputs, inputs[::-1]):
        feeds = [n for n, info in top.nodes.items() if mask in info.inputs]
        if not feeds or any(top.nodes[n].type != "PaddingMask" for n in feeds) \
                or top.nodes[ids].dtype != "int64" or top.nodes[mask].dtype != "int64" \
                or top.nodes[mask].shape != top.nodes[ids].shape:
            continue
        pads = sorted({top.nodes[n].copies[0].params.get("pad_value") for n in feeds})
        changes = [Change(ids, mask, feeds=tuple(feeds))]
        changes += [Change(0, n, "pad_value") for n in feeds
                    if top.nodes[n].copies[0].params.get("pad_value") != 0]
        marks = "its zeros" if pads == [0] else "its steps equal to " + ", ".join(map(str, pads))
        said = (f"training feeds {ds.name}'s token ids to one Input, but the design has 2 "
                f"({ids}, {mask}); {mask} only marks padding ({marks}, for "
                f"{', '.join(feeds)}), which the ids show themselves")
        if ours:
            return FitProblem(
                mask, f"{said}: {ds.name} pads with id 0 (<pad>).",
                f"feed {', '.join(feeds)} from {ids} (with pad_value 0) and remove {mask}",
                "inputs", changes=tuple(changes))
        return FitProblem(
            mask, f"{said}, padded with the pad id of the tokenizer that made them.",
            f"feed {', '.join(feeds)} from {ids}, set its pad_value to that pad id (0 for "
            f"BERT's [PAD], 1 for RoBERTa's <pad>), and remove {mask}", "inputs",
            changes=tuple(changes[:1]))  # judged rewired; the pad id is the user's to set
    return None

def _input_problems(graph: Graph, source, ds, values: dict) -> list[FitProblem]:
    have = [None if s in (None, -1) else int(s) for s in (source.shape or [])]
    want = [int(s) for s in ds.input_shape]
    shape_ok = len(have) == len(want) and all(
        h is None or h == w for h, w in zip(have, want, strict=True))
    dtype = "int64" if str(source.dtype) in ("int64", "long") else "float32"
    problems = []
    node = graph.node(source.id)
    words = _texts_read_as_categories(ds) if dtype == "int64" != ds.dtype else None
    if words is not None:
        # a table whose texts are a word or two each reads them as categories (one-hot
        # columns): neither the Input's shape nor its dtype is what to change, but how the file
        # is read
        column, count = words
        return [FitProblem(
            source.id, f"the Input takes token ids (a text model), but {ds.name} was read as a "
                       f"table: its column {column!r} as {count} categories (its texts are a "
                       f"word or two each).",
            f"load {ds.name} as text: the options kind=text and text_column={column} (CLI: "
            f"--data-option kind=text --data-option text_column={column}; Data page: the "
            f"file's options)", "input")]
    if not shape_ok and dtype == ds.dtype and lacks_channel_axis(have, want):
        problems.append(FitProblem(
            source.id, f"the Input is {_show(have)} but {ds.name} gives {want} per sample.",
            channel_axis_fix(ds), "channels"))
    elif not shape_ok:
        changes, names = _shape_changes(graph, node, want)
        # only the variables the fix changes: one already at its value is no part of it
        names = [n for n in names
                 if values_of(changes, n) != values.get(n, graph.variables.get(n))]
        via = (f" (through the variable{'s' if len(names) > 1 else ''} "
               f"{', '.join(f'{n} = {values_of(changes, n)}' for n in names)})" if names else "")
        direct = next((c.value for c in changes if c.param == "shape"), None)
        if names and direct is not None:
            # a variable alone does not do it (``[1, "=length"]`` fed [3, 64]): say that the
            # shape itself changes too, as `--set length=64` would leave the 1
            via = (f": the variable{'s' if len(names) > 1 else ''} "
                   f"{', '.join(f'{n} = {values_of(changes, n)}' for n in names)}, and "
                   f"{source.id}'s shape itself to {json.dumps(direct)}")  # as the file has it
        problems.append(FitProblem(
            source.id, f"the Input is {_show(have)} but {ds.name} gives {want} per "
                       f"sample{_onehot_width(ds)}.",
            f"set {source.id}'s shape to {want}{via}{_channel_axis_added(ds, have)}", "input",
            param="shape",
            variable=names[0] if len(names) == 1 else None, changes=tuple(changes)))
    if dtype != ds.dtype:
        changes = (Change(ds.dtype, source.id, "dtype"),)
        if ds.dtype == "int64":
            fix = (f"set {source.id}'s dtype to int64 and feed it to an Embedding (or pick a "
                   f"dataset of float values)")
        elif _ids_as_floats(ds):
            # an array file of whole numbers read as values: the data's option is the fix,
            # not a design that would then need its Embedding taken out
            fix = (f"if {ds.name}'s x holds token ids, load it with the option dtype=int64 "
                   f"(CLI: --data-option dtype=int64; Data page: the file's options) and keep "
                   f"the design; if it holds values, set {source.id}'s dtype to float32")
            changes = ()
        else:
            fix = f"set {source.id}'s dtype to float32 (token ids are for text datasets)"
        problems.append(FitProblem(
            source.id, f"the Input takes {_kind(dtype)} but {ds.name} gives {_kind(ds.dtype)}.",
            fix, "dtype", param="dtype", changes=changes))
    return problems


def _channel_axis_added(ds, have: list) -> str:
    """Where the loader gave 8-bit images a channel axis that an Input of ``[H, W]`` does not
    take (rows read as a sequence): how to keep the file's own shape instead."""
    want = [int(s) for s in ds.input_shape]
    if not (getattr(ds, "meta", None) or {}).get("channel_axis_added") or len(have) != 2 \
            or any(h is not None and h != w for h, w in zip(have, want[1:], strict=True)):
        return ""
    return (f" (or, to keep {_show(have)}, load {ds.name} with the option channel_axis=none: "
            f"CLI --data-option channel_axis=none; Data page: the file's options)")


def _ids_as_floats(ds) -> bool:
    """An array file (``.npz``) read as float32 whose x holds only whole numbers ≥ 0, as
    token ids do (its loader takes ``dtype=int64`` for them)."""
    if not str(getattr(ds, "source", "")).lower().endswith(".npz"):
        return False
    x = getattr(ds, "x_train", None)
    if x is None or not hasattr(x, "numel") or x.numel() == 0:
        return False
    from .normalize import undo

    raw = undo(x[:2000].numpy(), ds.normalization)  # in the file's own units
    return bool((raw >= -1e-3).all() and (abs(raw - raw.round()) < 1e-3).all())


RECURRENT = ("LSTM", "GRU", "RNN")
MAX_SIGNAL_CHANNELS = 16  # [C, L] with C at most this and below L: channels-first signals


def _step_layout_notes(top, input_id: str, ds) -> list[str]:
    """A recurrent block fed straight from the Input reads ``[steps, features]``; data of
    channels-first signals, ``[C, L]`` with a few channels (``waveforms``: ``[1, 128]``), would
    reach it as C steps of L values: it trains, but as no sequence model. The advice (it blocks
    nothing: such a design may be meant) is a Permute between them."""
    want = [int(s) for s in ds.input_shape]
    if len(want) != 2 or not want[0] < want[1] or want[0] > MAX_SIGNAL_CHANNELS:
        return []
    channels, length = want
    values = "value" if channels == 1 else "values"
    return [f"{reader} ({info.type}) reads its input as [steps, features], so it sees "
            f"{channels} step{'s' if channels > 1 else ''} of {length} values, but {ds.name} "
            f"gives signals as [channels, length] = {want}: add a Permute block with dims "
            f"[1, 0] between {input_id} and {reader}, so that it reads {length} steps of "
            f"{channels} {values}"
            for reader, info in top.nodes.items()
            if info.type in RECURRENT and input_id in info.inputs]


def _signal_layout_problem(top, source, ds) -> FitProblem | None:
    """Signals stored channels last, ``[L, C]`` (64 steps of 3 sensors: ``[64, 3]``), fed to
    a design whose Input goes straight into a Conv1d, which reads ``[channels, length]``: the
    Input's shape set to the data's would make the 64 steps its channels. The fix is a
    Permute (a hand edit), or the data saved channels first. A table's row of readings
    (``[64]``) gets a Reshape to one channel, ``[1, 64]``."""
    want = [int(s) for s in ds.input_shape]
    have = list(source.shape or [])
    if len(have) != 2 or have == want or ds.dtype != "float32":
        return None
    first = _first_reader(top, source.id)
    if first is None or first.type != "Conv1d":
        return None
    reader = first.path
    after = reader.split("/", 1)[0]  # the block of this level the new block goes before
    if len(want) == 1:
        # a row of a table (a CSV of 64 readings a row): one channel of 64 steps
        return FitProblem(
            source.id, f"{ds.name} gives {want} per sample, one row of {want[0]} values, but "
                       f"{reader} (Conv1d) reads [channels, length], and the Input is "
                       f"{_show(have)}.",
            f"set {source.id}'s shape to {want} and add a Reshape block with shape "
            f"[1, {want[0]}] between {source.id} and {after} (so that {reader} reads 1 "
            f"channel of {want[0]} steps)", "input", param="shape")
    if len(want) != 2 or not want[1] < want[0] or want[1] > MAX_SIGNAL_CHANNELS:
        return None
    length, channels = want
    return FitProblem(
        source.id, f"{ds.name} gives {want} per sample, {length} steps of {channels} "
                   f"channel{'s' if channels > 1 else ''} (channels last), but {reader} "
                   f"(Conv1d) reads [channels, length], and the Input is {_show(have)}.",
        f"set {source.id}'s shape to {want} and add a Permute block with dims [1, 0] between "
        f"{source.id} and {after} (so that {reader} reads {channels} channels of {length} "
        f"steps), or save {ds.name}'s samples as [{channels}, {length}]", "input",
        param="shape")


def _first_reader(level, input_id: str, depth: int = 0):
    """The first layer that reads ``input_id`` (its NodeInfo), looking into a composite block
    that reads it (``block1`` → its ``conv``); None where none does."""
    for info in level.nodes.values():
        if input_id not in info.inputs or not info.used:
            continue
        if info.block is not None and info.copies and depth < 8:
            inner = info.copies[0]
            return _first_reader(inner, inner.inputs[0], depth + 1) if inner.inputs else None
        return info
    return None


def values_of(changes: list[Change], name: str) -> Any:
    return next(c.value for c in changes if c.variable == name)


def _shape_changes(graph: Graph, node, want: list[int]) -> tuple[list[Change], list[str]]:
    """Set the Input's shape; a size written as a variable (``"=features"``) is changed through
    its variable, so the rest of the design that reads it follows."""
    raw = node.params.get("shape") if node is not None else None
    raw = list(raw) if isinstance(raw, (list, tuple)) and len(raw) == len(want) else None
    wanted: dict[str, int] = {}
    shape: list = []
    for i, size in enumerate(want):
        match = _VARIABLE.match(raw[i]) if raw and isinstance(raw[i], str) else None
        name = match.group(1) if match else None
        if name in graph.variables and wanted.get(name, size) == size:
            wanted[name] = size
            shape.append(raw[i])
        else:
            shape.append(size)
    changes = [Change(size, variable=name) for name, size in wanted.items()]
    if shape != raw:
        changes.append(Change(shape, node.id, "shape"))
    return changes, list(wanted)


# -- token ids ------------------------------------------------------------------------------

def _vocab_problems(graph: Graph, top, ds) -> list[FitProblem]:
    if ds.dtype != "int64" or not getattr(ds, "vocab", None):
        return []
    n = len(ds.vocab)
    problems = []
    for path, info, layer in top.leaves():
        if info.type != "Embedding" or not info.used:
            continue
        rows = int(layer.params.get("num_embeddings") or 0)
        if rows >= n:
            continue
        raw = info.node.params.get("num_embeddings")
        match = _VARIABLE.match(raw) if isinstance(raw, str) and "/" not in path else None
        variable = match.group(1) if match and match.group(1) in graph.variables else None
        if variable:
            fix = f"set the variable {variable} to {n} (it sets {path}'s num_embeddings)"
            changes = (Change(n, variable=variable),)
        elif "/" not in path:
            fix = f"set {path}'s num_embeddings to {n}"
            changes = (Change(n, path, "num_embeddings"),)
        else:
            fix = f"set {path}'s num_embeddings to at least {n} in its block"
            changes = ()
        problems.append(FitProblem(
            path, f"the Embedding has {rows} rows but {ds.name}'s token ids run from 0 to "
                  f"{n - 1} ({n} words in its vocabulary).",
            fix, "vocab", param="num_embeddings", variable=variable, changes=changes))
    return problems


# -- the output -----------------------------------------------------------------------------

def _output_problems(graph: Graph, top, output: str, kind: str, ds) -> list[FitProblem]:
    out = list(top.nodes[output].shape or [])
    last = top.nodes[output].inputs[0] if top.nodes[output].inputs else output
    if kind == "classification":
        if not ds.classes:
            return [FitProblem(None, f"{ds.name} has numeric targets, not classes, but the run "
                                     f"is set to classification.",
                               "set the training task to regression (or auto)", "task")]
        return _width_problems(graph, top, last, out, len(ds.classes),
                               f"{ds.name} has {len(ds.classes)} classes")
    if kind == "regression":
        if ds.classes:
            return [FitProblem(None, f"{ds.name} has classes, not numeric targets, but the run "
                                     f"is set to regression.",
                               "set the training task to classification (or auto)", "task")]
        d = ds.target_dim or 1
        if out == [] and d == 1:
            return []
        return _width_problems(graph, top, last, out, d,
                               f"{ds.name} has {d} target value{'' if d == 1 else 's'}")
    want = [int(s) for s in ds.input_shape]
    problems = []
    if ds.dtype != "float32":
        problems.append(FitProblem(None, f"{ds.name} holds token ids; a reconstruction needs "
                                         f"float inputs.",
                                   "pick a dataset of float values", "task"))
    elif out != want:
        problems.append(FitProblem(
            last, f"a reconstruction must give back the input's shape, but the design gives "
                  f"{out} for {ds.name}'s {want}.",
            f"change the last layers (ending at {last}) to give {want}", "output"))
    return problems


def _width_problems(graph: Graph, top, last: str, out: list, n: int,
                    have: str) -> list[FitProblem]:
    """The output must be ``[n]``: a feature map reaching the Output (a Linear fed one, or no
    Linear at all) needs Flatten or pooling; a vector of the wrong width names the layer (and
    the variable) that sets it."""
    if out == [n]:
        return []
    if len(out) >= 2:
        linear = _first_linear_on_map(top, last)
        if linear is not None:
            fed = top.nodes[linear]
            src = fed.inputs[0] if fed.inputs else "its input"
            in_shape = list(fed.in_shapes[0]) if fed.in_shapes else []
            pool = "SequencePool (or Flatten)" if len(in_shape) == 2 else \
                "Flatten (or global pooling)"
            return [FitProblem(
                linear, f"a Linear acts on the last dimension only: fed {src}'s {in_shape} "
                        f"{'sequence' if len(in_shape) == 2 else 'feature map'}, the design "
                        f"gives {out} per sample, but {have}, so the output must be [{n}].",
                f"add {pool} before {linear}", "flatten")]
        pool = "SequencePool (or Flatten)" if len(out) == 2 else "Flatten (or global pooling)"
        return [FitProblem(
            last, f"the design gives a {out} feature map per sample, but {have}, so the "
                  f"output must be [{n}].",
            f"add {pool} and then a Linear with out_features {n} after {last}", "flatten")]
    setter = _width_setter(top, last)
    if setter is not None and top.nodes[setter].type == "Linear":
        node = graph.node(setter)
        raw = node.params.get("out_features") if node is not None else None
        match = _VARIABLE.match(raw) if isinstance(raw, str) else None
        variable = match.group(1) if match and match.group(1) in graph.variables else None
        if variable:
            fix = f"set the variable {variable} to {n} (it sets {setter}'s out_features)"
            changes = (Change(n, variable=variable),)
        else:
            fix = f"set {setter}'s out_features to {n}"
            changes = (Change(n, setter, "out_features"),)
        return [FitProblem(setter, f"the design's output has {_width(out)} per sample but "
                                   f"{have}.", fix, "width", param="out_features",
                           variable=variable, changes=changes)]
    where = setter or last
    return [FitProblem(where, f"the design's output has {_width(out)} per sample but {have}.",
                       f"end the design with a Linear with out_features {n} after {last}",
                       "width")]


def _first_linear_on_map(top, last: str) -> str | None:
    """Walking back from the Output along first inputs while the shapes are feature maps (two
    or more dimensions), no further than a join (a residual Add, a Concat: the design's body,
    whose layers rightly act on each step, as GPT-2's do before its per-token lm_head): the
    earliest Linear that was fed one, or None."""
    found = None
    node = last
    seen = set()
    while node in top.nodes and node not in seen:
        seen.add(node)
        info = top.nodes[node]
        if info.shape is None or len(info.shape) < 2:
            break
        if (info.type == "Linear" and info.in_shapes and info.in_shapes[0] is not None
                and len(info.in_shapes[0]) >= 2 and info.repeat != 0):
            found = node
        if len(info.inputs) != 1:
            break
        node = info.inputs[0]
    return found


def _width_setter(top, last: str) -> str | None:
    """The node that gave the output its width: back from the Output through blocks that keep
    the shape (activations, dropout, normalisation)."""
    node = last
    seen = set()
    while node in top.nodes and node not in seen:
        seen.add(node)
        info = top.nodes[node]
        if info.type not in _SAME_SHAPE or info.spec is None or not info.inputs:
            return node
        node = info.inputs[0]
    return None


def _width(out: list) -> str:
    if not out:
        return "one value (a scalar)"
    return f"{out[0]} value{'' if out[0] == 1 else 's'}" if len(out) == 1 else str(out)


def _kind(dtype: str) -> str:
    return "int64 token ids" if dtype == "int64" else f"{dtype} values"


def _show(shape: list) -> str:
    return "[" + ", ".join("?" if size is None else str(size) for size in shape) + "]"
