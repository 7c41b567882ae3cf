"""The inspector: the selected node's params as a form built from its block declaration.

Every widget applies its change at once (a callback commits the edited graph, which is then
validated), so the canvas, the status bar and this form all show the result in the same run.
Each callback carries the value its widget was drawn with and reads the stored one
(``current``): an edit made on an older version of the node is refused, never written (see
:func:`layerloom.ui.fields.changed`).
Inferred params (``in_channels``…) are shown read-only with the value the input gives them.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import streamlit as st

from layerloom.graph import Node, edit, get_block
from layerloom.graph.registry import find_block
from layerloom.graph.stacked_linear import LINEAR_MAPS, STILL_LINEAR

from . import datafit, status
from .fields import DEFAULT, Field, field, plain, seed, show_value, text_box
from .pagestate import pages_of
from .state import DesignerState

TRAINABLE = Field("trainable", "bool", True, "Off freezes the node for fine-tuning: its weights "
                  "are not trained and its batch norms keep their statistics (a composite: "
                  "all inside it)")
REPEAT = Field("repeat", "int", 1, "How many copies, chained one after another (each with its "
                                   "own weights); 0 skips the node.", min=0)


def widget_key(state: DesignerState, node_id: str, name: str) -> str:
    """The same from run to run (widgets keep their focus); :func:`~.fields.seed` writes the
    graph's value into them when it changed elsewhere."""
    return f"inspect:{state.project_id}:{'/'.join(state.path)}:{node_id}:{name}"


def render(state: DesignerState, node: Node) -> None:
    """The form of a primitive node."""
    spec = get_block(node.type)
    described = spec.describe()
    header(state, node, spec.category, spec.help, spec.doc_url)
    missing = no_activation_after(state, node.id)
    if missing:
        st.caption(f":material/info: {missing}")
    if node.type == "Output":
        holds = output_holds(state, node.id)
        if holds:
            st.caption(f":material/info: {holds}")
    info = edit.node_info(state.report(), state.path, node.id, state.uses)
    layer = info.copies[0] if info is not None and info.spec is not None and info.copies else None
    if described["params"]:
        st.markdown("**Params**")
    for param in described["params"]:
        spec_field = Field.of(param)
        field(spec_field, node.params.get(spec_field.name, DEFAULT),
              key=widget_key(state, node.id, spec_field.name),
              apply=partial(set_param, state, node.id, spec_field.name),
              resolved=layer.params.get(spec_field.name) if layer else None,
              current=partial(stored, state, node.id, "params", spec_field.name))
    for name in described["inferred"]:
        value = layer.params.get(name) if layer else None
        key = widget_key(state, node.id, name)
        written = node.params.get(name, DEFAULT)
        if written is not DEFAULT:
            # set in the design's file (a design written by hand): shown as written, and taken
            # out in one click. The box showed "unknown until the input is", greyed, beside an
            # error saying to leave the 16 it did not show out, with no way to do so here
            seed(key, show_value(written))
            st.text_input(plain(name), disabled=True, key=key,
                          help=f"Written in the design; LayerLoom infers it from the input "
                               f"when it is left out. {spec.param(name).help}")
            st.button(f"Leave {name} out: infer it from the input", key=f"{key}:infer",
                      on_click=set_param, args=(state, node.id, name, DEFAULT))
            continue
        seed(key, show_value(value) if value is not None else "unknown until the input is")
        st.text_input(plain(name), disabled=True, key=key,
                      help=f"Inferred from the input; {spec.param(name).help}")
    common(state, node, weights=spec.has_weights)


def no_activation_after(state: DesignerState, node_id: str) -> str:
    """For a Linear or convolution whose output goes on to more layers with no activation
    after it (through blocks that keep it linear: a Flatten, a Dropout, a BatchNorm), where the
    activation goes: a user from Keras looks for activation='relu' among the block's params.
    "" where one follows, or where it feeds an Output (a classifier's last layer gives
    logits), or for other blocks."""
    nodes, edges = edit.nodes_edges(state.graph, state.path)
    types = {n.id: n.type for n in nodes}
    if types.get(node_id) not in LINEAR_MAPS:
        return ""
    seen, todo = set(), [node_id]
    bare = []  # the blocks its output reaches before any activation
    while todo:
        current = todo.pop()
        for target in (e.target for e in edges if e.source == current):
            kind = types.get(target)
            if target in seen or kind is None or kind == "Output":
                continue
            seen.add(target)
            block = find_block(kind)
            if block is not None and block.category == "Activation":
                continue
            if kind in STILL_LINEAR:
                todo.append(target)
            else:
                bare.append(target)
    if not bare:
        return ""
    # the block's help above says what Keras' activation= is here; this says where it goes
    return (f"No activation follows {node_id} (it feeds {', '.join(sorted(bare))}): drag ReLU "
            f"(palette, Activation) onto the wire after {node_id}.")


def design_task(state: DesignerState) -> str | None:
    """The task the design trains for, as training chooses it (runtime.model.resolve_task): the
    Train page's setting, else the design's own (a template's) where its data suits it, else
    its data's: the data chosen on the Data page, else the built-in that page shows and
    training takes when none was chosen (a design built from the palette names no task).
    None where that is not known."""
    from layerloom.runtime.data import list_datasets
    from layerloom.runtime.data.fit import TASKS, DataFit

    task = pages_of(state).config.get("task", "auto")
    if task in TASKS:
        return task
    checked = status.data_fit(state)  # the data's check chooses as training does
    if checked is not None and isinstance(checked[1], DataFit):
        return checked[1].task
    if state.graph.extra.get("task") in TASKS:
        return state.graph.extra["task"]
    choice = datafit.chosen_data(state)
    entry = next((e for e in list_datasets() if choice and e["name"] == choice.source), None)
    return entry["task"] if entry else None


def output_holds(state: DesignerState, node_id: str) -> str:
    """What a classifier's Output gives, whatever it is called (seed-cnn's is ``probs``, as in
    the design note, and gives logits) and whether the design names its task or takes its
    data's (see design_task); "" at another task, or inside a composite block."""
    if state.path or design_task(state) != "classification":
        return ""
    nodes, edges = edit.nodes_edges(state.graph, state.path)
    sources = [e.source for e in edges if e.target == node_id]
    last = next((n.type for n in nodes if sources and n.id == sources[0]), None)
    if last == "Softmax":
        return ("Gives class probabilities. Training reads the scores before the Softmax: "
                "cross-entropy applies its own.")
    if last == "LogSoftmax":
        return "Gives log-probabilities of the classes (exp gives probabilities)."
    return ("Gives logits: a score per class before softmax, not probabilities. Training's "
            "cross-entropy applies the softmax; the Results page and the exported predict.py "
            "show probabilities.")


# a zero-width space: where a long block type may break onto the next line
_BREAK = "\u200b"


def breakable(type_name: str) -> str:
    """A block type with break points between its words (camel-case humps), so that a narrow
    inspector wraps it as "ScaledDotProduct / Attention", not mid-word.

    >>> breakable("ScaledDotProductAttention").split(_BREAK)
    ['Scaled', 'Dot', 'Product', 'Attention']
    >>> breakable("BatchNorm2d").split(_BREAK), breakable("GELU").split(_BREAK)
    (['Batch', 'Norm2d'], ['GELU'])
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", _BREAK, type_name)


def header(state: DesignerState, node: Node, category: str, help_text: str,
           doc_url: str | None) -> None:
    st.subheader(breakable(plain(node.type)), divider="gray", anchor=False)
    st.caption(f"{plain(category)} · id **{plain(node.id)}**")
    if help_text:
        st.write(plain(help_text))
    if doc_url:
        st.link_button("PyTorch docs", doc_url, icon=":material/open_in_new:")
    facts(state, node.id)


def facts(state: DesignerState, node_id: str) -> None:
    """Output shape (each output's, named, for a node with several), params and MACs of one
    node, then its problems."""
    ann = status.annotations(state)["nodes"].get(node_id, {})
    shape = ann.get("output_shape")
    shown = "×".join(map(str, shape)) if shape else "?"
    outputs = f"Output **{shown}**"
    ports, shapes = ann.get("ports"), ann.get("output_shapes")
    if ports and shapes and len(ports) == len(shapes):
        outputs = f"{len(ports)} outputs " + ", ".join(
            f"{plain(port)} **{'×'.join(map(str, port_shape)) if port_shape else '?'}**"
            for port, port_shape in zip(ports, shapes))
    st.markdown(f"{outputs} · **{ann.get('params', 0):,}** params · "
                f"**{ann.get('macs', 0):,}** MACs")
    # in a slot drawn on every run: a problem that comes or goes would otherwise shift the
    # fields below, and Streamlit would re-create them (the text being typed in one is lost)
    with st.container(key=f"problems-{node_id}"):
        for message in ann.get("errors", []):
            st.error(plain(message), icon=":material/error:")
        for message in ann.get("warnings", []):
            st.warning(plain(message), icon=":material/warning:")
        if shape is None and not ann.get("errors"):
            # why "Output ?": a block behind an error (or a second use of a broken block)
            for message in ann.get("notes", [])[:3]:
                st.caption(f":material/info: {plain(message)}")


def common(state: DesignerState, node: Node, *, weights: bool = True) -> None:
    """Label, repeat and id: what every node has. An Input or Output is not repeated (a copy
    of it means nothing: its ×2 badge changed no shape, no model), and a block without
    weights (``weights`` False: a ReLU, an Add) has nothing to freeze: those fields show only
    where a value was set, so that it can be taken back."""
    st.markdown("**Node**")
    if node.type not in ("Input", "Output") or node.repeat not in (None, 1):
        field(REPEAT, node.repeat if node.repeat is not None else DEFAULT,
              key=widget_key(state, node.id, ":repeat"),
              apply=partial(set_repeat, state, node.id),
              current=partial(stored, state, node.id, "repeat"))
    frozen = node.extra.get("trainable") is False
    if node.type not in ("Input", "Output") and (weights or frozen):
        field(TRAINABLE, node.extra.get("trainable") is not False, label="Trainable",
              key=widget_key(state, node.id, ":trainable"),
              apply=partial(set_trainable, state, node.id),
              current=partial(stored, state, node.id, "trainable"))
    for name, label, value, apply, help_text in (
            ("label", "Label", node.label or "", set_label,
             "Text the canvas shows instead of the id"),
            ("id", "Id", node.id, rename,
             "Letters, digits, '_' and '-'; names the layer in code and weights")):
        text_box(label, value, key=widget_key(state, node.id, f":{name}"),
                 apply=partial(apply, state, node.id),
                 current=partial(stored, state, node.id, name), placeholder=node.id,
                 help=help_text)


def stored(state: DesignerState, node_id: str, what: str, name: str | None = None) -> Any:
    """What node ``node_id`` holds now (a callback compares it with what its widget showed):
    a param (:data:`DEFAULT` when unset), ``repeat`` (DEFAULT when unset), ``label`` or ``id``
    (as their text boxes show them); None when the node is gone."""
    node = state.node(node_id)
    if node is None:
        return None
    if what == "params":
        return node.params.get(name, DEFAULT)
    if what == "repeat":
        return DEFAULT if node.repeat is None else node.repeat
    if what == "label":
        return node.label or ""
    if what == "trainable":
        return node.extra.get("trainable") is not False
    return node.id


# -- the changes (callbacks) --------------------------------------------------------------------
# A widget's callback can fire once more after its node was renamed or deleted (when Streamlit
# restarts an interrupted run): a node that is gone is left alone, never recreated or reported.

def set_param(state: DesignerState, node_id: str, name: str, value: Any) -> None:
    if state.node(node_id) is not None:
        extra = () if value is DEFAULT else (value,)
        state.apply(edit.set_param, state.path, node_id, name, *extra)


def set_repeat(state: DesignerState, node_id: str, value: Any) -> None:
    if state.node(node_id) is not None:
        state.apply(edit.update_node, state.path, node_id,
                    repeat=None if value is DEFAULT else value)


def set_trainable(state: DesignerState, node_id: str, value: Any) -> None:
    if state.node(node_id) is not None:
        state.apply(edit.update_node, state.path, node_id, trainable=value is not False)


def set_label(state: DesignerState, node_id: str, text: str) -> None:
    if state.node(node_id) is not None:
        state.apply(edit.update_node, state.path, node_id, label=text.strip() or None)


def rename(state: DesignerState, node_id: str, new_id: str) -> None:
    if state.node(node_id) is None:
        return
    if state.apply(edit.rename_node, state.path, node_id, new_id.strip()) is not None:
        state.select([new_id.strip()])
