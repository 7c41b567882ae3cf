"""Two tabs on one design: this tab's edit laid over what another tab saved since.

A tab saves an edit made on the design it last read (``base``). When another tab has saved
since (``theirs``), :func:`merge` applies this tab's changes (``base`` → ``mine``) to
``theirs``, so that both tabs' edits are kept: tab A sets ``conv1.out_channels``, tab B, still
showing the old design, sets ``conv1.kernel_size``: the saved design has both. It gives up
(None) wherever the two touch the same thing differently — the same param, a node one removed
and the other changed, an edge to a node the other removed, the same composite block — and the
caller then keeps the other tab's version as a snapshot. No Streamlit here.

>>> base = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 8}}], "edges": []}
>>> theirs = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 12}}], "edges": []}
>>> mine = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 5}}],
...         "edges": []}
>>> merge(base, mine, theirs)["nodes"][0]["params"]
{'out_channels': 12, 'kernel_size': 5}
"""

from __future__ import annotations

import copy
from typing import Any

_NO = object()
LEVEL_KEYS = ("nodes", "edges")


class Conflict(Exception):
    """The two edits touch the same thing differently."""


def merge(base: dict, mine: dict, theirs: dict) -> dict | None:
    """``theirs`` with the changes ``mine`` makes to ``base``; None where they conflict."""
    try:
        out = copy.deepcopy(theirs)
        _merge_level(base, mine, theirs, out)
        for key in (set(base) | set(mine)) - {"nodes", "edges", "blocks", "variables"}:
            _merge_value(out, key, base.get(key, _NO), mine.get(key, _NO), theirs.get(key, _NO))
        _merge_map(out, "variables", base.get("variables") or {}, mine.get("variables") or {},
                   theirs.get("variables") or {})
        _merge_blocks(out, base.get("blocks") or {}, mine.get("blocks") or {},
                      theirs.get("blocks") or {})
    except Conflict:
        return None
    return out


def _merge_value(out: dict, key: str, base: Any, mine: Any, theirs: Any) -> None:
    """One field: mine's value when only mine changed it; the same change twice is one."""
    if mine == base or mine == theirs:
        return
    if theirs != base:
        raise Conflict(key)
    if mine is _NO:
        out.pop(key, None)
    else:
        out[key] = copy.deepcopy(mine)


def _merge_map(out: dict, key: str, base: dict, mine: dict, theirs: dict) -> None:
    merged = dict(out.get(key) or {})
    for name in set(base) | set(mine):
        _merge_value(merged, name, base.get(name, _NO), mine.get(name, _NO),
                     theirs.get(name, _NO))
    if merged or key in out:
        out[key] = merged


def _merge_blocks(out: dict, base: dict, mine: dict, theirs: dict) -> None:
    blocks = out.setdefault("blocks", {}) if (mine or theirs) else out.get("blocks")
    for name in set(base) | set(mine):
        b, m, t = base.get(name, _NO), mine.get(name, _NO), theirs.get(name, _NO)
        if m == b or m == t:
            continue
        if b is _NO or m is _NO or t is _NO:  # added or removed by mine: theirs left it alone
            _merge_value(blocks, name, b, m, t)
            continue
        level = copy.deepcopy(t)
        _merge_level(b, m, t, level)
        for key in (set(b) | set(m)) - set(LEVEL_KEYS):
            _merge_value(level, key, b.get(key, _NO), m.get(key, _NO), t.get(key, _NO))
        blocks[name] = level
    if blocks == {} and "blocks" not in theirs:
        out.pop("blocks", None)


def _merge_level(base: dict, mine: dict, theirs: dict, out: dict) -> None:
    """The nodes and edges of one level (the top, or inside one composite block)."""
    b_nodes = {n.get("id"): n for n in base.get("nodes", [])}
    m_nodes = {n.get("id"): n for n in mine.get("nodes", [])}
    t_nodes = {n.get("id"): n for n in theirs.get("nodes", [])}
    nodes = {n.get("id"): n for n in out.get("nodes", [])}
    order = [n.get("id") for n in out.get("nodes", [])]
    for nid in set(b_nodes) | set(m_nodes):
        b, m, t = b_nodes.get(nid, _NO), m_nodes.get(nid, _NO), t_nodes.get(nid, _NO)
        if m == b or m == t:
            continue
        if m is _NO:  # mine removed it: theirs must have left it as it was
            if t != b:
                raise Conflict(f"nodes.{nid}")
            nodes.pop(nid, None)
            order.remove(nid)
        elif b is _NO:  # mine added it: theirs must not have added another of that id
            if t is not _NO:
                raise Conflict(f"nodes.{nid}")
            nodes[nid] = copy.deepcopy(m)
            order.append(nid)
        else:  # changed by mine, field by field
            if t is _NO:
                raise Conflict(f"nodes.{nid}")
            node = copy.deepcopy(t)
            for key in set(b) | set(m):
                if key == "params":
                    _merge_map(node, "params", b.get("params") or {}, m.get("params") or {},
                               t.get("params") or {})
                else:
                    _merge_value(node, key, b.get(key, _NO), m.get(key, _NO), t.get(key, _NO))
            nodes[nid] = node
    out["nodes"] = [nodes[nid] for nid in order]
    out["edges"] = _merge_edges(base.get("edges", []), mine.get("edges", []),
                                theirs.get("edges", []), set(order))


def _merge_edges(base: list, mine: list, theirs: list, ids: set) -> list:
    """Theirs' edges, less those mine removed, plus those mine added (in mine's order)."""
    def key(edge: dict) -> str:
        return repr(sorted(edge.items()))

    removed = {key(e) for e in base} - {key(e) for e in mine}
    added = [e for e in mine if key(e) not in {key(b) for b in base}]
    out = [e for e in theirs if key(e) not in removed]
    have = {key(e) for e in out}
    out += [copy.deepcopy(e) for e in added if key(e) not in have]
    for edge in out:
        if edge.get("source") not in ids or edge.get("target") not in ids:
            raise Conflict("edges")
    return out
