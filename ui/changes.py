"""What a change of the whole design (a snapshot restored) did, in the words the designer
shows: one line per block added, removed or edited, the wires, the variables. Built on
:func:`layerloom.ui.savelog.diff`. No Streamlit here.

>>> old = {"nodes": [{"id": "conv2", "type": "Conv2d", "params": {"kernel_size": 5}},
...                  {"id": "drop", "type": "Dropout"}], "edges": []}
>>> new = {"nodes": [{"id": "conv2", "type": "Conv2d", "params": {"kernel_size": 3}}],
...        "edges": []}
>>> in_words(old, new)
['conv2: kernel_size 5 → 3', 'removed drop (Dropout)']
>>> in_words(new, {"nodes": [{"id": "conv", "type": "Conv2d", "params": {"kernel_size": 5}}],
...                "edges": []})
['renamed conv2 → conv', 'conv: kernel_size 3 → 5']
"""

from __future__ import annotations

import json
from typing import Any

from . import savelog
from .renames import block_renamed, block_renames, node_renames, nodes_renamed

LIMIT = 8  # lines shown; the rest are counted
DEFAULT = "(default)"  # a param not set: the block's default applies
NONE = "(none)"  # a text not set (a label cleared): nothing stands in for it
TEXTS = ("label", "description")  # a node's fields that are words, not settings


def in_words(old: dict, new: dict, limit: int = LIMIT) -> list[str]:
    """What ``new`` (a design as a dict) changes against ``old``, a line each: edited blocks
    first (``conv2: kernel_size 5 → 3``), then blocks added and removed, moved, the wires,
    variables and the rest; past ``limit`` lines, one more says how many are left out."""
    old, renamed = _renames_laid(old, new)
    changes = savelog.diff(old, new)
    edited: dict[str, list[str]] = {}
    added, removed, moved, other = [], [], [], []
    for change in changes:
        if savelog.value_at(new, change) is not savelog.MISSING or \
                savelog.value_at(old, change) is not savelog.MISSING:
            node, _, name = savelog.field_name(change).rpartition(".")
            was, now = savelog.value_at(old, change), savelog.value_at(new, change)
            if node:
                unset = NONE if name in TEXTS else DEFAULT
                edited.setdefault(node, []).append(
                    f"{name} {_value(was, unset)} → {_value(now, unset)}")
            else:  # a variable
                other.append(f"{name} {_value(was)} → {_value(now)}")
            continue
        where, _, rest = _split_block(change)
        if rest.startswith("nodes.") and rest.endswith(("+", "-")):
            node_id = rest[len("nodes."):-1]
            design = new if rest.endswith("+") else old
            line = f"{where}{node_id} ({_type_of(design, change[:-1])})"
            (added if rest.endswith("+") else removed).append(line)
        elif rest.startswith("nodes.") and rest.endswith(".position"):
            moved.append(where + rest[len("nodes."):-len(".position")])
        elif rest == "edges":
            other.extend(_wires(old, new, change))
        elif rest.startswith("nodes.") and rest.count(".") >= 2:  # a node's type
            node_id, _, name = rest[len("nodes."):].partition(".")
            edited.setdefault(where + node_id, []).append(f"{name} changed")
        elif rest.startswith("block "):  # a composite block added or removed
            other.append(rest)
        elif not where and "." not in rest and rest not in ("edges", "nodes(order)"):
            other.append(f"{rest} {_value(old.get(rest, savelog.MISSING), NONE)} → "
                         f"{_value(new.get(rest, savelog.MISSING), NONE)}")  # name, description
        elif rest != "nodes(order)":
            other.append(f"{where}{rest} changed")
    lines = renamed + [f"{node}: {', '.join(items)}" for node, items in edited.items()]
    lines += [f"added {n}" for n in added] + [f"removed {n}" for n in removed]
    if moved:
        lines.append("moved " + ", ".join(moved))
    lines += other
    if len(lines) > limit:
        lines = lines[:limit - 1] + [f"… and {len(lines) - limit + 1} more changes"]
    return lines


def _renames_laid(old: dict, new: dict) -> tuple[dict, list[str]]:
    """``old`` with the blocks and composite blocks ``new`` renamed under their new names, and
    a line for each (``renamed conv1 → encoder``): a rename read as a block removed and another
    added, six lines of wires that hid what else changed in the block."""
    lines = []
    for was, now in block_renames(old, new).items():
        old = block_renamed(old, was, now)
        lines.append(f"renamed block {was} → {now}")
    found = node_renames(old, new)
    lines += [f"renamed {was} → {now}" for was, now in found.items()]
    old = nodes_renamed(old, found)
    blocks = dict(old.get("blocks") or {})
    for name, block in blocks.items():
        inside = (new.get("blocks") or {}).get(name)
        if isinstance(block, dict) and isinstance(inside, dict):
            found = node_renames(block, inside)
            lines += [f"renamed {name}/{was} → {name}/{now}" for was, now in found.items()]
            blocks[name] = nodes_renamed(block, found)
    if blocks:
        old = {**old, "blocks": blocks}
    return old, lines


def _split_block(change: str) -> tuple[str, str, str]:
    """``("Block/", "blocks.Block.", rest)`` for a change inside composite block ``Block``,
    ``("", "", change)`` for one at the top level."""
    if change.startswith("blocks.") and change.count(".") >= 2:
        name, rest = change[len("blocks."):].split(".", 1)
        return f"{name}/", f"blocks.{name}.", rest
    if change.startswith("blocks.") and change.endswith(("+", "-")):
        name = change[len("blocks."):-1]
        return "", "", f"block {name} {'added' if change.endswith('+') else 'removed'}"
    return "", "", change


def _level(design: dict, change: str) -> dict:
    _, prefix, _ = _split_block(change)
    if prefix:
        return (design.get("blocks") or {}).get(prefix[len("blocks."):-1]) or {}
    return design


def _type_of(design: dict, change: str) -> str:
    node_id = change.rsplit("nodes.", 1)[1]
    node = next((n for n in _level(design, change).get("nodes", []) if n.get("id") == node_id),
                {})
    return str(node.get("type", "?"))


def _wires(old: dict, new: dict, change: str) -> list[str]:
    """The wires added and removed at the level of ``change`` (``edges``)."""
    where, _, _ = _split_block(change)

    def wires(design: dict) -> list[str]:
        return [f"{where}{e.get('source')} → {e.get('target')}"
                for e in _level(design, change).get("edges", [])]

    before, after = wires(old), wires(new)
    out = [f"wired {w}" for w in after if w not in before]
    out += [f"unwired {w}" for w in before if w not in after]
    return out or [f"{where}wires changed"]


def _value(value: Any, unset: str = DEFAULT) -> str:
    """A value as short as a line needs: ``3``, ``[1, 28, 28]``, ``=round(32*width)``, and
    ``unset`` where none was set (``(default)`` for a param, ``(none)`` for a label)."""
    if value is savelog.MISSING or value is None or (unset == NONE and value == ""):
        return unset
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"
