"""Composite blocks in the designer: group a selection, open a block (breadcrumb back), ungroup,
edit a block's own params. The graph changes themselves are :mod:`layerloom.graph.edit`'s.

Every field here checks its edit against the stored value, as the inspector's do (see
:func:`~.fields.changed`): an edit made on an older version of the block is refused, never
written."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from layerloom.graph import Node
from layerloom.graph.registry import find_block
from layerloom.graph import edit

from . import inspector
from .fields import DEFAULT, Field, field, parse_value, plain, text_box, widget_key
from .state import DesignerState

PROMOTABLE = ("int", "float", "bool")


def breadcrumb(state: DesignerState) -> None:
    """``Model › stage2 (BasicBlock) › shortcut (Shortcut)``: each step a button back to that
    level, named for the use opened (its shapes and values are the ones shown inside)."""
    if not state.path:
        return
    steps = ("Model",) + tuple(
        f"{state.uses[i]} ({name})" if i < len(state.uses) else name
        for i, name in enumerate(state.path))
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        for depth, name in enumerate(steps):
            here = depth == len(state.path)
            st.button(("› " if depth else "") + plain(name), key=f"crumb:{depth}:{name}",
                      type="primary" if here else "secondary", disabled=here,
                      on_click=state.go_to, args=(state.path[:depth],))
        block = state.path[-1]
        uses = [n.id for n in _all_nodes(state) if n.type == block]
        if uses:
            shown = ", ".join(uses[:8]) + (" …" if len(uses) > 8 else "")
            opened = f"shapes and values of **{plain(state.uses[-1])}**; " \
                if len(state.uses) == len(state.path) else ""
            st.caption(f"Block **{plain(block)}** ({opened}edits change every use: "
                       f"{plain(shown)}).")
        else:
            st.caption(f"Block **{plain(block)}** is not used yet: its shapes show "
                       f"once a node of the model uses it.")


def _all_nodes(state: DesignerState):
    yield from state.graph.nodes
    for block in state.graph.blocks.values():
        yield from block.nodes


def node_panel(state: DesignerState, node: Node) -> None:
    """The inspector of a node that uses a composite block."""
    block = state.graph.blocks[node.type]
    layers = [n for n in block.nodes if n.type not in ("Input", "Output")]
    inside = ", ".join(n.type for n in layers[:4]) + (", …" if len(layers) > 4 else "")
    inspector.header(state, node, "Composite block", block.description or (
        f"{len(layers)} block{'' if len(layers) == 1 else 's'} inside: {inside}" if layers
        else "no block inside yet"), None)
    # side by side where they fit, else one under the other, each label whole: two columns of
    # the side panel cut them to "Open …" and "Ungro…" in a 1024 px window
    row = st.container(horizontal=True, gap="small")
    row.button("Open block", icon=":material/open_in_full:", key=f"open:{node.id}",
               on_click=state.open_block, args=(node.id,))
    row.button("Ungroup", icon=":material/call_split:", key=f"ungroup:{node.id}",
               on_click=ungroup, args=(state, node.id))
    if block.params:
        st.markdown("**Block params**")
    for name, default in block.params.items():
        spec = Field(name, "bool" if isinstance(default, bool) else "number", default,
                     f"Default {default!r} (the block's own value)")
        field(spec, node.params.get(name, DEFAULT),
              key=inspector.widget_key(state, node.id, name),
              apply=partial(inspector.set_param, state, node.id, name),
              current=partial(inspector.stored, state, node.id, "params", name))
    inspector.common(state, node)


def ungroup(state: DesignerState, node_id: str) -> None:
    if state.node(node_id) is None:
        return
    result = state.apply(edit.ungroup, node_id, path=state.path)
    if result is not None:
        state.select(result[1])


def group_form(state: DesignerState) -> None:
    """Shown while several nodes are selected: group them, promoting chosen params."""
    ids = state.selected
    st.subheader(f"{len(ids)} blocks selected", divider="gray", anchor=False)
    options = promotable(state, ids)
    fresh = edit.fresh_block_name(state.graph)
    # keyed by what it groups and the name it offers, not by the revision, which a new
    # session counts from 0 again (a name typed before the server restarted was lost): the
    # same selection of the same design is the same form
    with st.form(key=widget_key("group", (tuple(ids), fresh)), border=False):
        name = st.text_input("Block name", value=fresh,
                             help="Letters, digits and '_', starting with a letter")
        chosen = st.multiselect("Params to promote to block params", options,
                                format_func=lambda o: f"{o[0]}.{o[1]}",
                                help="Each becomes a param of the new block, its current "
                                     "value the default")
        if st.form_submit_button("Group as block", type="primary", icon=":material/folder:"):
            state.group(list(ids), name.strip(), chosen)
            st.rerun()
    st.caption("Inputs and the output are found from the edges the selection cuts.")


def promotable(state: DesignerState, ids: list[str]) -> list[tuple[str, str]]:
    out = []
    for node_id in ids:
        node = state.node(node_id)
        spec = find_block(node.type) if node is not None else None
        if spec is None:
            continue
        out += [(node_id, p.name) for p in spec.params if p.kind in PROMOTABLE and not p.inferred]
    return out


def block_panel(state: DesignerState) -> None:
    """Nothing selected inside a block: the block's name, description and param defaults."""
    name = state.path[-1]
    block = state.graph.blocks[name]
    st.subheader(plain(name), divider="gray", anchor=False)
    key = f"block:{state.project_id}:{name}"
    text_box("Block name", name, key=f"{key}:name", apply=partial(_rename, state, name),
             current=partial(_stored, state, name, "name"))
    text_box("Description", block.description or "", key=f"{key}:desc", height=80,
             apply=partial(_describe, state, name), area=True,
             current=partial(_stored, state, name, "description"))
    st.markdown("**Params** (defaults; a node using the block may set its own)")
    for param, default in block.params.items():
        left, right = st.columns([6, 1], vertical_alignment="bottom")
        with left:
            spec = Field(param, "bool" if isinstance(default, bool) else "number", default)
            field(spec, default, key=f"{key}:p:{param}",
                  apply=partial(_set_default, state, param),
                  current=partial(_stored, state, name, "param", param))
        right.button("", icon=":material/delete:", key=f"{key}:rm:{param}",
                     help=f"Remove {param}", on_click=_set_default,
                     args=(state, param, DEFAULT))
    with st.form(key=f"{key}:add", border=False, clear_on_submit=True):  # as variables' Add
        left, mid, right = st.columns([3, 3, 2], vertical_alignment="bottom")
        new = left.text_input("New param", placeholder="channels")
        value = mid.text_input("Default", placeholder="64")
        if right.form_submit_button("Add"):
            parsed = parse_value(value, "number")
            _set_default(state, new.strip(), 0 if parsed is DEFAULT else parsed)
            st.rerun()
    st.caption("Inside a block, expressions see its params (=channels) and the variables.")


def _stored(state: DesignerState, block: str, what: str, param: str | None = None) -> Any:
    """What block ``block`` holds now: its ``name``, ``description`` or the default of
    ``param`` (DEFAULT when unset); None when the block is gone or no longer the one open."""
    found = state.graph.blocks.get(block)
    if found is None or not state.path or state.path[-1] != block:
        return None
    if what == "name":
        return block
    if what == "description":
        return found.description or ""
    return found.params.get(param, DEFAULT)


def _rename(state: DesignerState, old: str, new: str) -> None:
    if not state.path or state.path[-1] != old:  # a late callback after the block was closed
        return
    new = new.strip()
    if state.apply(edit.rename_block, old, new) is not None:
        state.go_to(tuple(new if p == old else p for p in state.path))


def _describe(state: DesignerState, block: str, text: str) -> None:
    if state.path and state.path[-1] == block:
        state.apply(edit.set_info, description=text.strip(), block=block)


def _set_default(state: DesignerState, param: str, value: Any) -> None:
    if not state.path:  # a late callback after the block was closed
        return
    extra = () if value is DEFAULT else (value,)
    state.apply(edit.set_block_param, state.path[-1], param, *extra)
