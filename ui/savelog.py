"""What an edit changes, what it may change, and the per-project save log.

Every save of a design names the edit it writes (:class:`Edit`: where it came from, the
version it was made on, what it may touch). Before anything is written, :func:`diff` lists
what the new design changes against the last one saved and :func:`outside` checks that list
against the edit's ``scope``: an inspector edit of ``conv2.out_channels`` may change that one
param and nothing else, a canvas change may move, add, delete and wire nodes of its level but
never alter an existing node's params, repeat or label. A save that would change more is
refused (and reported), never written. Each save appends one line to the project's
``saves.jsonl``: its version (the save count), the edit, what changed and a digest of the saved
design, so every save is accounted for. No Streamlit here.

>>> old = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 8}}], "edges": []}
>>> new = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 9}}], "edges": []}
>>> diff(old, new)
['nodes.c.params.out_channels']
>>> outside(diff(old, new), ("param", (), "c", "out_channels")), outside(diff(old, new), ("level", ()))
([], ['nodes.c.params.out_channels'])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

LOG_NAME = "saves.jsonl"
NODE_FIELDS = ("params", "repeat", "label", "trainable")  # what only the inspector edits
CHANGES_LOGGED = 200  # the most changes a save's line names


@dataclass(frozen=True)
class Edit:
    """One change of a design, as the save log records it.

    ``source``: ``canvas``, ``inspector``, ``undo``, ``redo``, ``upload``, ``create``… ``seq``:
    the canvas event's. ``base``: the design revision it was made on (``rebased`` when the
    design had changed since in fields it does not touch). ``scope``: what it may change
    (see :func:`outside`; None: anything, e.g. undo). ``what``: in words, for the log.
    """

    source: str
    what: str = ""
    seq: int | None = None
    base: int | None = None
    rebased: bool = False
    scope: tuple | None = None

    def record(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if v not in (None, "", False)}
        if self.scope is not None:
            out["scope"] = _jsonable(self.scope)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def digest(graph_dict: dict) -> str:
    """A short digest of a design (its canonical JSON)."""
    text = json.dumps(graph_dict, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _level_prefix(path: Sequence[str]) -> str:
    return f"blocks.{path[-1]}." if path else ""


def _diff_level(old: dict, new: dict, prefix: str, out: list[str]) -> None:
    old_nodes = {n.get("id"): n for n in old.get("nodes", [])}
    new_nodes = {n.get("id"): n for n in new.get("nodes", [])}
    for nid in old_nodes.keys() - new_nodes.keys():
        out.append(f"{prefix}nodes.{nid}-")
    for nid in new_nodes.keys() - old_nodes.keys():
        out.append(f"{prefix}nodes.{nid}+")
    for nid in old_nodes.keys() & new_nodes.keys():
        a, b = old_nodes[nid], new_nodes[nid]
        for key in sorted(set(a) | set(b)):
            if key == "params":
                pa, pb = a.get("params") or {}, b.get("params") or {}
                out.extend(f"{prefix}nodes.{nid}.params.{p}"
                           for p in sorted(set(pa) | set(pb)) if pa.get(p, _NO) != pb.get(p, _NO))
            elif a.get(key, _NO) != b.get(key, _NO):
                out.append(f"{prefix}nodes.{nid}.{key}")
    kept = [nid for nid in new_nodes if nid in old_nodes]
    if [n for n in old_nodes if n in new_nodes] != kept:
        out.append(f"{prefix}nodes(order)")
    if old.get("edges", []) != new.get("edges", []):
        out.append(f"{prefix}edges")


_NO = object()


def diff(old: dict, new: dict) -> list[str]:
    """What ``new`` (a design as a dict) changes against ``old``: sorted dotted paths,
    ``nodes.<id>+`` / ``nodes.<id>-`` for a node added / removed, ``blocks.<name>.`` before
    what changed inside a composite block."""
    out: list[str] = []
    _diff_level(old, new, "", out)
    for key in sorted((set(old) | set(new)) - {"nodes", "edges", "blocks", "variables"}):
        if old.get(key, _NO) != new.get(key, _NO):
            out.append(key)
    va, vb = old.get("variables") or {}, new.get("variables") or {}
    out.extend(f"variables.{v}" for v in sorted(set(va) | set(vb)) if va.get(v, _NO) != vb.get(v, _NO))
    ba, bb = old.get("blocks") or {}, new.get("blocks") or {}
    for name in sorted(set(ba) | set(bb)):
        if name not in bb:
            out.append(f"blocks.{name}-")
        elif name not in ba:
            out.append(f"blocks.{name}+")
        else:
            _diff_level(ba[name], bb[name], f"blocks.{name}.", out)
            for key in sorted((set(ba[name]) | set(bb[name])) - {"nodes", "edges"}):
                if ba[name].get(key, _NO) != bb[name].get(key, _NO):
                    out.append(f"blocks.{name}.{key}")
    return sorted(out)


def outside(changes: Sequence[str], scope: tuple | None) -> list[str]:
    """The changes an edit of ``scope`` may not make (empty: the save may go ahead).

    Scopes: None (anything: undo, redo, an upload, grouping); ``("param", path, node, name)``;
    ``("node", path, node, fields)`` (``repeat``, ``label``); ``("variable", name)``;
    ``("level", path)``: a canvas change, which may add, remove, move and wire the nodes of its
    level but not alter an existing node's params, repeat or label, nor anything elsewhere.
    """
    if scope is None:
        return []
    kind = scope[0]
    if kind == "param":
        _, path, node, name = scope
        allowed = {f"{_level_prefix(path)}nodes.{node}.params.{name}"}
        return [c for c in changes if c not in allowed]
    if kind == "node":
        _, path, node, fields = scope
        allowed = {f"{_level_prefix(path)}nodes.{node}.{f}" for f in fields}
        return [c for c in changes if c not in allowed]
    if kind == "variable":
        return [c for c in changes if c != f"variables.{scope[1]}"]
    if kind == "level":
        prefix = _level_prefix(scope[1])
        bad = []
        for c in changes:
            rest = c[len(prefix):] if c.startswith(prefix) else None
            if rest is None or rest.startswith("blocks.") or not (
                    rest.startswith("nodes") or rest == "edges"):
                bad.append(c)
            elif rest.startswith("nodes.") and rest.split(".")[2:3] and \
                    rest.split(".")[2] in NODE_FIELDS + ("type",):
                bad.append(c)
        return bad
    return list(changes)


def structure(graph_dict: dict) -> str:
    """The design without node params, repeats and labels, variables, names and block
    params: two designs with the same structure differ only in what the inspector edits."""

    def level(data: dict) -> dict:
        return {"nodes": [{k: v for k, v in n.items() if k not in NODE_FIELDS}
                          for n in data.get("nodes", [])],
                "edges": data.get("edges", [])}

    blocks = {name: level(b) for name, b in (graph_dict.get("blocks") or {}).items()}
    return json.dumps({"top": level(graph_dict), "blocks": blocks}, sort_keys=True)


def renames_after(lines: list[dict], version: int | None) -> set[tuple[str, str]] | None:
    """The (old id, new id) pairs of blocks the saves logged after ``version`` (``lines``: the
    save log) could have renamed: a save that removed a node and added one at the same level,
    followed from save to save (``a`` renamed ``b``, then ``c``: ``(a, c)`` too). A block
    deleted in one save and another added in a later one is no such pair, nor one removed and
    another added by a change of the file made outside LayerLoom (edit source ``outside``):
    nothing tells a rename there from a block deleted and another of its type put on its wire.
    None where the log cannot tell: ``version`` not logged, or a save whose changes the log
    cut short.

    >>> log = [{"version": 1, "changes": []},
    ...        {"version": 2, "changes": ["edges", "nodes.drop1-"]},
    ...        {"version": 3, "changes": ["edges", "nodes.drop2+"]},
    ...        {"version": 4, "changes": ["nodes.fc-", "nodes.head+"]}]
    >>> renames_after(log, 1)
    {('fc', 'head')}
    """
    if version is None or not any(line.get("version") == version for line in lines):
        return None
    became: dict[str, set[str]] = {}  # a node's path at ``version`` → the paths it may have
    for line in lines:
        if not isinstance(line.get("version"), int) or line["version"] <= version \
                or is_outside(line):
            continue
        changes = line.get("changes")
        if not isinstance(changes, list) or len(changes) >= CHANGES_LOGGED:
            return None
        nodes = [c for c in changes if isinstance(c, str) and "nodes." in c]
        gone = [c[:-1] for c in nodes if c.endswith("-")]
        came = [c[:-1] for c in nodes if c.endswith("+")]
        for old, new in [(old, new) for old in gone for new in came
                         if old.rpartition("nodes.")[0] == new.rpartition("nodes.")[0]]:
            became.setdefault(old, {old})
            for paths in became.values():
                if old in paths:
                    paths.add(new)
    return {(old.rpartition("nodes.")[2], new.rpartition("nodes.")[2])
            for old, paths in became.items() for new in paths if new != old}


def is_outside(line: dict) -> bool:
    """Whether a save log's line is a change of the design file made outside LayerLoom (by
    hand, or by another program), taken in as a save."""
    edit = line.get("edit")
    return isinstance(edit, dict) and edit.get("source") == "outside"


def read_log(path) -> list[dict]:
    """The save log's lines (a torn last line, from a crash, is skipped)."""
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


MISSING = _NO  # what :func:`value_at` gives for a path that holds no value


def _field_place(path: str) -> tuple[list[str], str, str | None, str] | None:
    """``(blocks, node or "", "params" or None, name)`` of a dotted path as :func:`diff`
    names it (``nodes.<id>.params.<p>``, ``nodes.<id>.<field>``, ``variables.<v>``, each
    after ``blocks.<name>.`` inside a composite block); None for any other (a node added…)."""
    parts = path.split(".")
    blocks = []
    if parts[:1] == ["blocks"] and len(parts) > 2:
        blocks, parts = [parts[1]], parts[2:]
    if not blocks and len(parts) == 2 and parts[0] == "variables":
        return blocks, "", None, parts[1]
    if len(parts) == 4 and parts[0] == "nodes" and parts[2] == "params":
        return blocks, parts[1], "params", parts[3]
    if len(parts) == 3 and parts[0] == "nodes" and parts[2] in NODE_FIELDS:
        return blocks, parts[1], None, parts[2]
    return None


def _holder(design: dict, place: tuple, make: bool = False) -> dict | None:
    """The dict holding the field at ``place`` (a node's params, a node, the variables)."""
    blocks, node, params, name = place
    level = design
    for block in blocks:
        level = (level.get("blocks") or {}).get(block)
        if not isinstance(level, dict):
            return None
    if not node:
        if make:
            level.setdefault("variables", {})
        return level.get("variables")
    found = next((n for n in level.get("nodes", []) if n.get("id") == node), None)
    if found is None or params is None:
        return found
    if make:
        found.setdefault("params", {})
    return found.get("params")


def value_at(design: dict, path: str) -> Any:
    """The value a field path of :func:`diff` (a param, a node's label or repeat, a variable)
    has in ``design``; :data:`MISSING` where it has none or the path names no field."""
    place = _field_place(path)
    holder = _holder(design, place) if place is not None else None
    return holder.get(place[3], _NO) if isinstance(holder, dict) else _NO


def with_value(design: dict, path: str, value: Any) -> dict | None:
    """A copy of ``design`` whose field ``path`` holds ``value``; None where the design no
    longer has the node (or block) that field belongs to."""
    out = json.loads(json.dumps(design))
    place = _field_place(path)
    holder = _holder(out, place, make=True) if place is not None else None
    if not isinstance(holder, dict):
        return None
    holder[place[3]] = value
    return out


def field_name(path: str) -> str:
    """A field path in the words the designer shows: ``dropout1.p`` for
    ``nodes.dropout1.params.p``, ``MBConvBlock/dw.kernel_size`` inside a block, ``variable
    width``."""
    place = _field_place(path)
    if place is None:
        return path
    blocks, node, _, name = place
    where = "/".join([*blocks, node]) if node else ""
    return f"{where}.{name}" if node else f"variable {name}"
