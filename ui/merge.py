"""Two tabs on one design: this tab's edit laid over what another tab saved since.

A tab saves an edit made on the design it last read (``base``). When another tab has saved
since (``theirs``), :func:`merge_preferring_mine` applies this tab's changes (``base`` →
``mine``) to ``theirs``, so that both tabs' edits are kept: tab A sets ``conv1.out_channels``,
tab B, still showing the old design, sets ``conv1.kernel_size``: the saved design has both.
Where both changed the same thing (a param, a label, a variable, a node one removed) this
tab's value wins and the field is named, for the caller to keep the other version as a
snapshot; where the two do not join at all (a node this tab changed that the other removed, an
edge to a node one removed) it gives up (None). :func:`merge` is the same, giving up on any
field both changed. A block or composite block renamed on one side (:mod:`~.renames`) is the
same on the other: tab A renames conv1 to encoder while tab B sets conv1's kernel_size, and
the saved design has encoder with B's kernel_size. No Streamlit here.

>>> base = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 8}}], "edges": []}
>>> theirs = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 12}}], "edges": []}
>>> mine = {"nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 5}}],
...         "edges": []}
>>> merge(base, mine, theirs)["nodes"][0]["params"]
{'out_channels': 12, 'kernel_size': 5}
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from layerloom.graph.edit import fresh_id
from layerloom.graph.registry import all_blocks

from .savelog import NODE_FIELDS
from .ungrouped import PORT_TYPES, moved, offset, outer_wires, ungrouped_ids, wire_dict, wire_key
from .renames import (block_names, block_renamed, block_renames, edge_key, node_ids,
                      node_renames, nodes_renamed, same_block)

_NO = object()
LEVEL_KEYS = ("nodes", "edges")


class Conflict(Exception):
    """The two edits touch the same thing differently."""


def merge(base: dict, mine: dict, theirs: dict) -> dict | None:
    """``theirs`` with the changes ``mine`` makes to ``base``; None where they conflict (both
    changed the same thing, or they do not join)."""
    laid = merge_preferring_mine(base, mine, theirs)
    return laid[0] if laid is not None and not laid[1] else None


def merge_preferring_mine(base: dict, mine: dict, theirs: dict) -> tuple[dict, list[str]] | None:
    """As :func:`merge`, but where both changed the same field (a param, a label, a variable)
    or ``mine`` removed a node ``theirs`` changed, ``mine`` wins: ``(design, what both
    changed)``, e.g. ``["conv1.params.stride"]``. None where even so they do not join (a node
    ``mine`` changed that ``theirs`` removed, an edge to a node one of them removed)."""
    laid = merge_or_why(base, mine, theirs)
    return laid if isinstance(laid, tuple) else None


def merge_or_why(base: dict, mine: dict, theirs: dict, *, theirs_win: bool = False
                 ) -> tuple[dict, list[str]] | str:
    """As :func:`merge_preferring_mine`, but where the two do not join, why, in words
    (``"it changes conv2, which the other edit removed"``). ``theirs_win``: where both changed
    the same field, ``theirs``'s value stays (the fields are named as before), and ``mine``
    removing a node or composite block ``theirs`` changed does not join: an undo step takes
    back only what is still its tab's, never a value another tab set since."""
    merger = _Merger(theirs_win)
    try:
        return merger.run(base, mine, theirs), merger.contested
    except Conflict as exc:
        what = str(exc)
        if what.startswith("nodes."):
            return f"it changes {what.split('.', 1)[1]}, which the other edit removed"
        if what.startswith("changed."):
            return f"it removes {what.split('.', 1)[1]}, which the other edit changed since"
        if what.startswith("removes."):
            return (f"it removes {what.split('.', 1)[1]}, which the other edit removed or moved "
                    f"(the block of that id there is not the one shown here)")
        if what.startswith("renamed."):
            return f"it renames {what.split('.', 1)[1]}, which the other edit removed"
        if what.startswith(("grouped.", "promoted.")):
            _, nid, home = what.split(".", 2)
            if what.startswith("promoted."):
                return (f"it sets a param of {nid}, which the other edit grouped into the block "
                        f"{home}, where that param is the block's own now")
            return f"it moves {nid}, which the other edit grouped into the block {home}"
        if what.startswith("ungrouped."):
            name = what.split(".", 1)[1]
            return (f"it changes what is inside the block {name}, which the other edit "
                    f"ungrouped (its blocks are in the design itself now)")
        if what.startswith("inside."):
            name = what.split(".", 1)[1]
            return (f"it ungroups the block {name}, inside which the other edit changed more "
                    f"than its blocks' params")
        if what.startswith("wired."):  # the other edit wired a block this one removes
            return f"the other edit wired {what.split('.', 1)[1]}, which this edit removes"
        return f"it wires {what.split('.', 1)[1]}, which the other edit removed"


class _Merger:
    """One merge: ``contested`` collects what both sides changed (mine wins there, or theirs
    with ``theirs_win``); :class:`Conflict` where the two do not join."""

    def __init__(self, theirs_win: bool = False):
        self.contested: list[str] = []
        self.theirs_win = theirs_win

    def run(self, base: dict, mine: dict, theirs: dict) -> dict:
        out = copy.deepcopy(theirs)
        mine = fresh_names_for_added_blocks(mine, base, theirs)
        base, mine, theirs = self._follow_renames(base, mine, theirs, out)
        mine = self._into_groups(base, mine, theirs, out)
        mine = self._out_of_groups(base, mine, theirs, out)
        mine = self._ungrouped_here(base, mine, theirs)
        mine, theirs = self._grouped_here(base, mine, theirs)
        self._merge_level(base, mine, theirs, out)
        for key in (set(base) | set(mine)) - {"nodes", "edges", "blocks", "variables"}:
            self._merge_value(out, key, base.get(key, _NO), mine.get(key, _NO),
                              theirs.get(key, _NO))
        self._merge_map(out, "variables", base.get("variables") or {},
                        mine.get("variables") or {}, theirs.get("variables") or {})
        self._merge_blocks(out, base.get("blocks") or {}, mine.get("blocks") or {},
                           theirs.get("blocks") or {})
        return out

    def _contested(self, what: str) -> None:
        """Both changed ``what``: mine wins, and it is said."""
        self.contested.append(what)

    def _merge_value(self, out: dict, key: str, base: Any, mine: Any, theirs: Any,
                     where: str = "") -> None:
        """One field: mine's value when only mine changed it; the same change twice is one."""
        if mine == base or mine == theirs:
            return
        if theirs != base:
            self._contested(where + key)
            if self.theirs_win:
                return
        if mine is _NO:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(mine)

    def _merge_map(self, out: dict, key: str, base: dict, mine: dict, theirs: dict,
                   where: str = "") -> None:
        merged = dict(out.get(key) or {})
        for name in sorted(set(base) | set(mine)):
            self._merge_value(merged, name, base.get(name, _NO), mine.get(name, _NO),
                         theirs.get(name, _NO), f"{where}{key}.")
        if merged or key in out:
            out[key] = merged

    def _merge_blocks(self, out: dict, base: dict, mine: dict, theirs: dict) -> None:
        blocks = out.setdefault("blocks", {}) if (mine or theirs) else out.get("blocks")
        for name in set(base) | set(mine):
            b, m, t = base.get(name, _NO), mine.get(name, _NO), theirs.get(name, _NO)
            if m == b or m == t:
                continue
            if b is _NO or m is _NO or t is _NO:  # added or removed by mine: theirs left it alone
                if self.theirs_win and m is _NO and t is not _NO and t != b:
                    raise Conflict(f"changed.block {name}")
                self._merge_value(blocks, name, b, m, t)
                continue
            level = copy.deepcopy(t)
            self._merge_level(b, m, t, level)
            for key in (set(b) | set(m)) - set(LEVEL_KEYS):
                self._merge_value(level, key, b.get(key, _NO), m.get(key, _NO), t.get(key, _NO))
            blocks[name] = level
        if blocks == {} and "blocks" not in theirs:
            out.pop("blocks", None)

    def _merge_level(self, base: dict, mine: dict, theirs: dict, out: dict) -> None:
        """The nodes and edges of one level (the top, or inside one composite block)."""
        base, mine, theirs = self._follow_node_renames(base, mine, theirs, out)
        b_nodes = {n.get("id"): n for n in base.get("nodes", [])}
        t_nodes = {n.get("id"): n for n in theirs.get("nodes", [])}
        mine = fresh_ids_for_added(mine, b_nodes, t_nodes)
        m_nodes = {n.get("id"): n for n in mine.get("nodes", [])}
        nodes = {n.get("id"): n for n in out.get("nodes", [])}
        order = [n.get("id") for n in out.get("nodes", [])]
        for nid in set(b_nodes) | set(m_nodes):
            b, m, t = b_nodes.get(nid, _NO), m_nodes.get(nid, _NO), t_nodes.get(nid, _NO)
            if m == b or m == t:
                continue
            if b is not _NO and t is not _NO and t != b and not same_block(nid, base, theirs):
                # theirs removed base's block and gave its id to a new one (a Tanh deleted, then
                # another dropped as tanh1), or moved it away from all its wires: mine's edit is
                # of the one removed, never of this one, and is not applied
                raise Conflict(f"{'removes' if m is _NO else 'nodes'}.{nid}")
            if m is _NO:  # mine removed it: theirs must have left it as it was
                if t is _NO:
                    continue
                if t != b:
                    if self.theirs_win:
                        raise Conflict(f"changed.{nid}")
                    self._contested(f"{nid} (removed here, changed there)")
                nodes.pop(nid, None)
                order.remove(nid)
            elif b is _NO:  # mine added it: theirs must not have added another of that id
                if t is not _NO:
                    self._contested(f"{nid} (added in both)")
                    order.remove(nid)
                nodes[nid] = copy.deepcopy(m)
                order.append(nid)
            else:  # changed by mine, field by field
                if t is _NO:
                    raise Conflict(f"nodes.{nid}")  # removed there: no edges left to put it back
                node = copy.deepcopy(t)
                for key in sorted(set(b) | set(m)):
                    if key == "params":
                        self._merge_map(node, "params", b.get("params") or {}, m.get("params") or {},
                                   t.get("params") or {}, f"{nid}.")
                    else:
                        self._merge_value(node, key, b.get(key, _NO), m.get(key, _NO), t.get(key, _NO),
                                     f"{nid}.")
                nodes[nid] = node
        out["nodes"] = [nodes[nid] for nid in order]
        # laid on out's wires: theirs', with those a change inside a group theirs ungrouped
        # made there (_out_of_groups)
        out["edges"] = _merge_edges(base.get("edges", []), mine.get("edges", []),
                                    out.get("edges", theirs.get("edges", [])), set(order))


    def _follow_node_renames(self, base: dict, mine: dict, theirs: dict, out: dict
                             ) -> tuple[dict, dict, dict]:
        """``base``, ``mine`` and ``theirs`` (and ``out``, theirs' copy, in place) of one level
        with each node either side renamed (:func:`~.renames.node_renames`) under one id on
        all sides, so that what the other side changed in it follows it: a rename was a node
        removed and another added, which took the other side's edits of it away unsaid, and an
        id another block took since was that block's. Both renamed one differently: mine's id
        (said). Mine renamed one theirs removed: :class:`Conflict`. Mine's id taken there by
        another block: the next free one, as for a block added under a taken id."""
        m_map, t_map = node_renames(base, mine), node_renames(base, theirs)
        if not m_map and not t_map:
            return base, mine, theirs
        b_ids, m_ids, t_ids = node_ids(base), node_ids(mine), node_ids(theirs)

        def where(nid: str, renames: dict, ids: set) -> str | None:
            """The id base's node ``nid`` has on a side, or None where that side removed it."""
            if nid in renames:
                return renames[nid]
            return nid if nid in ids and nid not in renames.values() else None

        final: dict[str, str] = {}
        for old in sorted(set(m_map) | set(t_map)):
            if old not in m_map:
                if self.theirs_win and where(old, m_map, m_ids) is None:
                    raise Conflict(f"changed.{old}")  # an undo removing a block theirs renamed
                final[old] = t_map[old]
                continue
            if where(old, t_map, t_ids) is None:
                raise Conflict(f"renamed.{old}")
            if old in t_map and t_map[old] != m_map[old]:
                self._contested(f"{old} (renamed {m_map[old]} here, {t_map[old]} there)")
                if self.theirs_win:
                    final[old] = t_map[old]
                    continue
            final[old] = m_map[old]
        # an id both a renamed block and another block would have: mine's rename gives way
        kept = {where(nid, t_map, t_ids) for nid in b_ids - set(final)} | \
            (t_ids - {where(nid, t_map, t_ids) for nid in b_ids})
        taken = b_ids | m_ids | t_ids | set(final.values())

        def free(nid: str) -> str:
            """The next id of ``nid``'s kind no side uses (``conv3`` for ``conv1``)."""
            new = fresh_id(taken, re.sub(r"\d+$", "", nid) or "node")
            taken.add(new)
            return new

        for old in sorted(final):
            clash = final[old] in kept or list(final.values()).count(final[old]) > 1
            if clash and old in m_map and final[old] != t_map.get(old):
                final[old] = free(final[old])
        on_mine = {where(old, m_map, m_ids): new for old, new in final.items()}
        on_theirs = {where(old, t_map, t_ids): new for old, new in final.items()}
        on_mine.pop(None, None)
        on_theirs.pop(None, None)
        on_base = dict(final)

        # a block still under an id a renamed block now has (one a side removed and gave its
        # id to, or one mine added): another id, the same on every side for one of base's
        given = set(final.values())
        for nid in sorted(b_ids - set(final)):
            if nid in given:
                new = on_base[nid] = free(nid)
                for renames, ids, on in ((m_map, m_ids, on_mine), (t_map, t_ids, on_theirs)):
                    if where(nid, renames, ids) is not None:
                        on[nid] = new
        for nid in sorted(m_ids - {where(b, m_map, m_ids) for b in b_ids}):  # added here
            if nid in given:
                on_mine[nid] = free(nid)
        out.update(nodes_renamed(out, on_theirs))
        return (nodes_renamed(base, on_base), nodes_renamed(mine, on_mine),
                nodes_renamed(theirs, on_theirs))

    def _into_groups(self, base: dict, mine: dict, theirs: dict, out: dict) -> dict:
        """``mine`` with its edits of the blocks ``theirs`` grouped into a new composite block
        (their params, label, repeat: what the inspector edits) made in ``out``'s block, on
        the node of the same id and type there, and taken out of ``mine``'s top level. Such an
        edit was refused as one of 'a block the other edit removed'. :class:`Conflict`
        (``grouped.``) where the edit is of a param the group made the block's own (its value
        there is ``=name``), or of more than the inspector edits (a move)."""
        if not isinstance(theirs.get("blocks"), dict):
            return mine
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        there = {n.get("id") for n in theirs.get("nodes", []) if isinstance(n, dict)}
        new_blocks = [name for name in theirs["blocks"] if name not in (base.get("blocks") or {})]
        moved: dict[str, dict] = {}
        for node in mine.get("nodes", []):
            nid = node.get("id") if isinstance(node, dict) else None
            b = was.get(nid)
            if b is None or node == b or nid in there:
                continue
            homes = [name for name in new_blocks for inner in out["blocks"][name].get("nodes", [])
                     if isinstance(inner, dict) and inner.get("id") == nid
                     and inner.get("type") == b.get("type")]
            if len(homes) != 1:
                continue
            home = homes[0]
            changed = {k for k in set(b) | set(node) if b.get(k, _NO) != node.get(k, _NO)}
            if not changed <= set(NODE_FIELDS):
                raise Conflict(f"grouped.{nid}.{home}")
            inner = next(n for n in out["blocks"][home]["nodes"]
                         if isinstance(n, dict) and n.get("id") == nid)
            b_params, m_params = b.get("params") or {}, node.get("params") or {}
            t_params = inner.get("params") or {}
            for p in set(b_params) | set(m_params):
                if m_params.get(p, _NO) != b_params.get(p, _NO) and \
                        str(t_params.get(p, "")).startswith("=") and \
                        not str(b_params.get(p, "")).startswith("="):
                    raise Conflict(f"promoted.{nid}.{home}")  # the block's own param now
            for key in sorted(changed):
                if key == "params":
                    self._merge_map(inner, "params", b_params, m_params, t_params, f"{nid}.")
                else:
                    self._merge_value(inner, key, b.get(key, _NO), node.get(key, _NO),
                                      inner.get(key, _NO), f"{nid}.")
            moved[nid] = b
        if not moved:
            return mine
        out_mine = dict(mine)
        out_mine["nodes"] = [moved.get(n.get("id"), n) if isinstance(n, dict) else n
                             for n in mine.get("nodes", [])]
        return out_mine

    def _out_of_groups(self, base: dict, mine: dict, theirs: dict, out: dict) -> dict:
        """``mine`` with its edits inside a composite block whose one use (at the top level)
        ``theirs`` ungrouped (the block's nodes in the design itself now, the block left
        unused) made on those nodes in ``out``, and taken out of ``mine``'s block: what the
        inspector edits, a move, a node added or removed, a wire (:mod:`~.ungrouped`). They
        landed in the unused block, told as 'both changes are kept', and changed nothing the
        design computes; a canvas change there was refused. :class:`Conflict`
        (``ungrouped.``) where the edit changes the block's own ports or params, or a node
        of it cannot be told in the design."""
        b_blocks, m_blocks = base.get("blocks") or {}, mine.get("blocks") or {}
        t_blocks = theirs.get("blocks") or {}
        changed = [name for name in b_blocks if name in m_blocks and name in t_blocks
                   and m_blocks[name] != b_blocks[name] and t_blocks[name] == b_blocks[name]]
        if not changed:
            return mine
        used = {n.get("type") for level in [theirs, *t_blocks.values()] if isinstance(level, dict)
                for n in level.get("nodes", []) if isinstance(n, dict)}
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        now = {n.get("id"): n for n in out.get("nodes", []) if isinstance(n, dict)}
        blocks = dict(m_blocks)
        for name in changed:
            uses = [nid for nid, n in was.items() if n.get("type") == name]
            if name in used or len(uses) != 1 or uses[0] in now:
                continue
            use, b_blk, m_blk = uses[0], b_blocks[name], m_blocks[name]
            ids = ungrouped_ids(use, b_blk, was, now)
            if ids is None or any(b_blk.get(k) != m_blk.get(k) for k in set(b_blk) | set(m_blk)
                                  if k not in LEVEL_KEYS):
                raise Conflict(f"ungrouped.{name}")
            self._carry_out_of_group(use, b_blk, m_blk, base, ids, out)
            now = {n.get("id"): n for n in out.get("nodes", []) if isinstance(n, dict)}
            blocks[name] = b_blk  # made on the ungrouped nodes: the unused block stays theirs
        return {**mine, "blocks": blocks} if blocks != m_blocks else mine

    def _ungrouped_here(self, base: dict, mine: dict, theirs: dict) -> dict:
        """``mine`` with what ``theirs`` changed inside a composite block whose one use (at the
        top level) ``mine`` ungrouped (or took back: an undo of the group) made on the blocks
        ungrouped: their params, label, repeat, place. Those changes stayed in the block's
        definition, which nothing used any more: the design computed the old values, told as
        'both changes are kept'. :class:`Conflict` (``inside.``) where ``theirs`` changed more
        there (a block added or removed, a wire, the block's own params)."""
        b_blocks, t_blocks = base.get("blocks") or {}, theirs.get("blocks") or {}
        m_blocks = mine.get("blocks") or {}
        changed = [name for name in b_blocks if name in t_blocks and t_blocks[name] != b_blocks[name]
                   and m_blocks.get(name, _NO) in (b_blocks[name], _NO)]
        if not changed:
            return mine
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        now = {n.get("id"): n for n in mine.get("nodes", []) if isinstance(n, dict)}
        used = {n.get("type") for level in [mine, *m_blocks.values()] if isinstance(level, dict)
                for n in level.get("nodes", []) if isinstance(n, dict)}
        out = mine
        for name in changed:
            uses = [nid for nid, n in was.items() if n.get("type") == name]
            if name in used or len(uses) != 1 or uses[0] in now:
                continue
            b_blk, t_blk = b_blocks[name], t_blocks[name]
            ids = ungrouped_ids(uses[0], b_blk, was, now)
            b_inner = {n.get("id"): n for n in b_blk.get("nodes", []) if isinstance(n, dict)}
            t_inner = {n.get("id"): n for n in t_blk.get("nodes", []) if isinstance(n, dict)}
            if ids is None or set(b_inner) != set(t_inner) or any(
                    b_blk.get(k) != t_blk.get(k) for k in set(b_blk) | set(t_blk) if k != "nodes"):
                raise Conflict(f"inside.{name}")
            if out is mine:
                out = copy.deepcopy(mine)
            nodes = {n.get("id"): n for n in out.get("nodes", []) if isinstance(n, dict)}
            for iid, t_node in t_inner.items():
                b_node = b_inner[iid]
                if t_node == b_node:
                    continue
                keys = {k for k in set(b_node) | set(t_node)
                        if b_node.get(k, _NO) != t_node.get(k, _NO)}
                if iid not in ids or not keys <= {*NODE_FIELDS, "position"}:
                    raise Conflict(f"inside.{name}")
                target = nodes[ids[iid]]
                for key in sorted(keys):
                    if key == "position":
                        target["position"] = moved(b_node.get("position"),
                                                   t_node.get("position"), target.get("position"))
                        continue
                    b_val, t_val = b_node.get(key, _NO), t_node.get(key, _NO)
                    if key == "params":
                        b_val, t_val = b_val or {}, t_val or {}
                        for p in set(b_val) | set(t_val):
                            if b_val.get(p, _NO) != t_val.get(p, _NO):
                                _take(target.setdefault("params", {}), p, t_val.get(p, _NO),
                                      name)
                    else:
                        _take(target, key, t_val, name)
            # the definition, unused here, left as theirs (also where mine took it out: an undo
            # of the group), which holds their change too
            out["blocks"] = {**(out.get("blocks") or {}), name: copy.deepcopy(t_blk)}
        return out

    def _grouped_here(self, base: dict, mine: dict, theirs: dict) -> tuple[dict, dict]:
        """``mine`` with what ``theirs`` set on blocks (at the top level) that ``mine`` grouped
        into a new composite block (their params, label, repeat) made on those blocks inside
        it, and ``theirs`` with those blocks as they were (their change carried, nothing left
        to contest). Mine's group removed them, so their edit was lost in the group (told to
        this tab as 'both changed conv1'; the other tab told nothing). Left to the merge as
        before where a param ``mine`` made the block's own (``=name``) was set there."""
        m_blocks = mine.get("blocks") or {}

        def uses(design: dict) -> list:
            return [n.get("type") for level in [design, *(design.get("blocks") or {}).values()]
                    if isinstance(level, dict) for n in level.get("nodes", [])
                    if isinstance(n, dict)]

        # blocks mine grouped into: new, or one nothing used (an undo of an ungroup), used once
        new = [name for name in m_blocks if isinstance(m_blocks[name], dict)
               and name not in uses(base) and uses(mine).count(name) == 1]
        if not new:
            return mine, theirs
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        there = {n.get("id"): n for n in theirs.get("nodes", []) if isinstance(n, dict)}
        here = {n.get("id") for n in mine.get("nodes", []) if isinstance(n, dict)}
        out_mine, out_theirs = mine, theirs
        for name in new:
            for inner in m_blocks[name].get("nodes", []):
                nid = inner.get("id") if isinstance(inner, dict) else None
                b, t = was.get(nid), there.get(nid)
                if b is None or t is None or nid in here or t == b \
                        or inner.get("type") != b.get("type"):
                    continue
                keys = {k for k in set(b) | set(t) if b.get(k, _NO) != t.get(k, _NO)}
                if not keys <= {*NODE_FIELDS, "position"}:
                    continue
                m_params, b_params = inner.get("params") or {}, b.get("params") or {}
                t_params = t.get("params") or {}
                if any(str(m_params.get(p, "")).startswith("=") and m_params.get(p) != b_params.get(p)
                       for p in set(b_params) | set(t_params)
                       if b_params.get(p, _NO) != t_params.get(p, _NO)):
                    continue  # the group made that param the block's own: contested as before
                if out_mine is mine:
                    out_mine, out_theirs = copy.deepcopy(mine), copy.deepcopy(theirs)
                target = next(n for n in out_mine["blocks"][name]["nodes"]
                              if isinstance(n, dict) and n.get("id") == nid)
                # theirs' values where mine left them as they were (mine's win where both set
                # one: said); a place at the top level is no place inside the block
                fields = [("params", p, b_params.get(p, _NO), t_params.get(p, _NO))
                          for p in sorted(set(b_params) | set(t_params))] + \
                    [("", k, b.get(k, _NO), t.get(k, _NO)) for k in sorted(keys)
                     if k not in ("params", "position")]
                for where, key, b_val, t_val in fields:
                    holder = target.setdefault("params", {}) if where else target
                    if t_val == b_val or holder.get(key, _NO) == t_val:
                        continue
                    if holder.get(key, _NO) != b_val:
                        self._contested(f"{nid}.{where + '.' if where else ''}{key}")
                        if not self.theirs_win:
                            continue
                    if t_val is _NO:
                        holder.pop(key, None)
                    else:
                        holder[key] = copy.deepcopy(t_val)
                at = next(i for i, n in enumerate(out_theirs["nodes"])
                          if isinstance(n, dict) and n.get("id") == nid)
                out_theirs["nodes"][at] = copy.deepcopy(b)
        return out_mine, out_theirs

    def _carry_out_of_group(self, use: str, b_blk: dict, m_blk: dict, base: dict,
                            ids: dict[str, str], out: dict) -> None:
        """What ``mine`` changed inside the block (``b_blk`` → ``m_blk``) made on its nodes
        ungrouped in ``out`` (``ids``: inner id → id there; ``use``: the group's node in
        ``base``)."""
        b_inner = {n.get("id"): n for n in b_blk.get("nodes", []) if isinstance(n, dict)}
        m_inner = {n.get("id"): n for n in m_blk.get("nodes", []) if isinstance(n, dict)}
        now = {n.get("id"): n for n in out.get("nodes", []) if isinstance(n, dict)}
        name = next((n.get("type") for n in base.get("nodes", [])
                     if isinstance(n, dict) and n.get("id") == use), use)
        if any(n.get("type") in PORT_TYPES and b_inner.get(iid) != n
               for iid, n in m_inner.items()) or any(
                n.get("type") in PORT_TYPES and iid not in m_inner for iid, n in b_inner.items()):
            raise Conflict(f"ungrouped.{name}")  # the group's ports: no longer in the design
        shift = offset(b_blk, now, ids)
        taken = set(now) | set(ids.values())
        for iid in [i for i in b_inner if i in m_inner]:  # changed: field by field
            b_node, m_node = b_inner[iid], m_inner[iid]
            if m_node == b_node or iid not in ids:
                continue
            target, home = now[ids[iid]], ids[iid]
            for key in sorted(k for k in set(b_node) | set(m_node)
                              if b_node.get(k, _NO) != m_node.get(k, _NO)):
                if key == "params":
                    self._merge_map(target, "params", b_node.get("params") or {},
                                    m_node.get("params") or {}, target.get("params") or {},
                                    f"{home}.")
                elif key == "position":
                    target["position"] = moved(b_node.get("position"), m_node.get("position"),
                                               target.get("position"))
                elif key in NODE_FIELDS:
                    self._merge_value(target, key, b_node.get(key, _NO), m_node.get(key, _NO),
                                      target.get(key, _NO), f"{home}.")
                else:
                    raise Conflict(f"ungrouped.{name}")
        gone = {ids[iid] for iid in b_inner if iid not in m_inner and iid in ids}
        for iid in b_inner:
            home = ids.get(iid)
            if home in gone and any(b_inner[iid].get(k) != now[home].get(k) for k in NODE_FIELDS):
                if self.theirs_win:
                    raise Conflict(f"changed.{home}")
                self._contested(f"{home} (removed here, changed there)")  # as at the top level
        added: dict[str, str] = {}
        for iid, node in m_inner.items():
            if iid in b_inner:
                continue
            nid = str(iid) if iid not in taken else \
                fresh_id(taken, re.sub(r"\d+$", "", str(iid)) or "node")
            taken.add(nid)
            added[iid] = nid
            new = copy.deepcopy(node)
            new["id"] = nid
            position = node.get("position")
            if shift is not None and isinstance(position, list) and len(position) == 2:
                new["position"] = [round(position[0] + shift[0]), round(position[1] + shift[1])]
            out["nodes"].append(new)
        out["nodes"] = [n for n in out["nodes"] if not (isinstance(n, dict) and n.get("id") in gone)]
        every = {**ids, **added}
        before = outer_wires(b_blk.get("edges", []), use, b_blk, base, every)
        after = outer_wires(m_blk.get("edges", []), use, b_blk, base, every)
        edges = [e for e in out.get("edges", []) if not (isinstance(e, dict) and (
            wire_key(e) in before - after or {e.get("source"), e.get("target")} & gone))]
        have = {wire_key(e) for e in edges if isinstance(e, dict)}
        edges += [wire_dict(w) for w in sorted(after - before, key=repr) if w not in have]
        out["edges"] = edges

    def _follow_renames(self, base: dict, mine: dict, theirs: dict, out: dict
                        ) -> tuple[dict, dict, dict]:
        """``base``, ``mine`` and ``theirs`` (and ``out``, theirs' copy, in place) with each
        composite block one side renamed under its new name on the other sides too, so that
        what the other side changed in it follows it. Both renamed one differently: mine's
        name wins (said). Mine renamed one theirs removed: :class:`Conflict`."""
        mine_renamed, theirs_renamed = block_renames(base, mine), block_renames(base, theirs)
        held = block_names(theirs)
        for old, new in mine_renamed.items():
            there = theirs_renamed.get(old)
            if there is not None:  # renamed on both sides: theirs' name becomes mine
                if there != new and self.theirs_win and there not in block_names(mine):
                    self._contested(f"block {old} (renamed {new} here, {there} there)")
                    base, mine = block_renamed(base, old, there), block_renamed(mine, new, there)
                    continue
                if there != new:
                    if new in held:
                        continue
                    self._contested(f"block {old} (renamed {new} here, {there} there)")
                    theirs = block_renamed(theirs, there, new)
                    out.update(block_renamed(out, there, new))
                base = block_renamed(base, old, new)
            elif old in held:
                if new in held:  # theirs added another of that name: laid as an addition
                    continue
                base, theirs = block_renamed(base, old, new), block_renamed(theirs, old, new)
                out.update(block_renamed(out, old, new))
            else:
                raise Conflict(f"renamed.block {old}")
        held = block_names(mine)
        for old, there in theirs_renamed.items():
            if old in mine_renamed or there in held:
                continue
            if self.theirs_win and old not in held:
                raise Conflict(f"changed.block {old}")  # an undo removing a block theirs renamed
            base = block_renamed(base, old, there)
            if old in held:
                mine = block_renamed(mine, old, there)
        return base, mine, theirs


def _take(holder: dict, key: str, value: Any, block: str) -> None:
    """``holder[key]`` set to ``value`` (removed for :data:`_NO`), the other side's value of a
    field inside the composite block ``block``, now on its block ungrouped; an expression
    (``=…``) that may name the block's own params is not laid there (:class:`Conflict`)."""
    if isinstance(value, str) and value.startswith("="):
        raise Conflict(f"inside.{block}")
    if value is _NO:
        holder.pop(key, None)
    else:
        holder[key] = copy.deepcopy(value)


def fresh_names_for_added_blocks(design: dict, base: dict, theirs: dict) -> dict:
    """``design`` (one side's) with each composite block it added under a name the other side
    gave another block (two tabs each grouped blocks: both ``Block``) renamed to the next free
    name (``Block2``), the nodes using it following: each group keeps what it holds. The same
    block added by both stays one."""
    was, held = base.get("blocks") or {}, theirs.get("blocks") or {}
    mine = design.get("blocks") or {}
    taken = set(was) | set(held) | set(mine) | {spec.type for spec in all_blocks()}
    out = design
    for name in list(mine):
        if name not in was and name in held and held[name] != mine[name]:
            stem, number = re.sub(r"\d+$", "", name) or "Block", 2
            while f"{stem}{number}" in taken:
                number += 1
            taken.add(f"{stem}{number}")
            out = block_renamed(out, name, f"{stem}{number}")
    return out


def fresh_ids_for_added(level: dict, base: Mapping[str, Any], theirs: Mapping[str, Any]
                        ) -> dict:
    """``level`` (one side's nodes and edges) with each node it added (not in ``base``) under
    an id the other side holds with another node (two tabs each dropped a Tanh: both
    ``tanh1``) given the next free id of its kind (:func:`~layerloom.graph.edit.fresh_id`),
    its edges following: both blocks are kept. The same node added by both stays one. Entries
    that are not objects (a hostile canvas message) are left for the caller to refuse."""
    nodes = [n for n in level.get("nodes", []) if isinstance(n, dict) and "id" in n]
    taken = set(base) | set(theirs) | {n["id"] for n in nodes}
    rename: dict[str, str] = {}
    for node in nodes:
        nid = node["id"]
        if nid not in base and nid in theirs and theirs[nid] != node:
            rename[nid] = fresh_id(taken, re.sub(r"\d+$", "", str(nid)) or "node")
            taken.add(rename[nid])
    if not rename:
        return level
    out = copy.deepcopy(level)
    for node in out.get("nodes", []):
        if isinstance(node, dict) and node.get("id") in rename:
            node["id"] = rename[node["id"]]
    for edge in out.get("edges", []):
        if isinstance(edge, dict):
            for end in ("source", "target"):
                if edge.get(end) in rename:
                    edge[end] = rename[edge[end]]
    return out


def _merge_edges(base: list, mine: list, theirs: list, ids: set) -> list:
    """Theirs' edges, less those mine removed, plus those mine added (in mine's order)."""
    key = edge_key

    before = {key(e) for e in base}
    removed = before - {key(e) for e in mine}
    added = [e for e in mine if key(e) not in before]
    out = [e for e in theirs if key(e) not in removed]
    have = {key(e) for e in out}
    out += [copy.deepcopy(e) for e in added if key(e) not in have]
    for edge in out:
        gone = [end for end in (edge.get("source"), edge.get("target")) if end not in ids]
        if gone:  # whose wire it is: mine's to a block theirs removed, or the other way round
            raise Conflict(f"{'wired' if key(edge) in have else 'wires'}.{gone[0]}")
    return out
