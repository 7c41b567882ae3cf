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

from .merge_fields import ABSENT, LEVEL_KEYS, Conflict
from .merge_groups import GroupMerges
from .merge_ids import fresh_ids_for_added, fresh_names_for_added_blocks
from .merge_renames import RenameMerges
from .merge_ungroups import UngroupMerges
from .renames import edge_key, same_block

__all__ = ["Conflict", "fresh_ids_for_added", "fresh_names_for_added_blocks", "merge",
           "merge_or_why", "merge_preferring_mine"]


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


def merge_or_why(base: dict, mine: dict, theirs: dict, *, theirs_win: bool = False,
                 renames: set[tuple[str, str]] | None = None) -> tuple[dict, list[str]] | str:
    """As :func:`merge_preferring_mine`, but where the two do not join, why, in words
    (``"it changes conv2, which the other edit removed"``). ``theirs_win``: where both changed
    the same field, ``theirs``'s value stays (the fields are named as before), and ``mine``
    removing a node or composite block ``theirs`` changed does not join: an undo step takes
    back only what is still its tab's, never a value another tab set since. ``renames``: the
    blocks the saves from ``base`` to ``theirs`` could have renamed, where the save log tells
    (:func:`~.savelog.renames_after`)."""
    merger = _Merger(theirs_win, renames)
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
        if what.startswith("used."):
            _, name, where = what.split(".", 2)
            inside, _, node = where.rpartition("/")
            return (f"it removes the block {name}, which {node}"
                    + (f" inside {inside.replace('/', ' inside ')}" if inside else "")
                    + " uses in the other edit's design")
        if what.startswith("wired."):  # the other edit wired a block this one removes
            return f"the other edit wired {what.split('.', 1)[1]}, which this edit removes"
        return f"it wires {what.split('.', 1)[1]}, which the other edit removed"


class _Merger(RenameMerges, GroupMerges, UngroupMerges):
    """One merge: ``contested`` collects what both sides changed (mine wins there, or theirs
    with ``theirs_win``); :class:`Conflict` where the two do not join. Its renames, groups
    and ungroups are the mixins'; the levels and blocks are laid here."""

    def run(self, base: dict, mine: dict, theirs: dict) -> dict:
        out = copy.deepcopy(theirs)
        mine = fresh_names_for_added_blocks(mine, base, theirs)
        base, mine, theirs = self._follow_renames(base, mine, theirs, out)
        mine = self._into_groups(base, mine, theirs, out)
        mine = self._out_of_groups(base, mine, theirs, out)
        mine = self._ungrouped_here(base, mine, theirs)
        mine, theirs = self._grouped_here(base, mine, theirs)
        mine = self._ungrouped_both(base, mine, theirs)
        self._merge_level(base, mine, theirs, out)
        for key in (set(base) | set(mine)) - {"nodes", "edges", "blocks", "variables"}:
            self._merge_value(out, key, base.get(key, ABSENT), mine.get(key, ABSENT),
                              theirs.get(key, ABSENT))
        self._merge_map(out, "variables", base.get("variables") or {},
                        mine.get("variables") or {}, theirs.get("variables") or {})
        self._merge_blocks(out, base.get("blocks") or {}, mine.get("blocks") or {},
                           theirs.get("blocks") or {})
        _keep_used_blocks(out, mine)
        _check_used_blocks(out, base)
        return out

    def _merge_blocks(self, out: dict, base: dict, mine: dict, theirs: dict) -> None:
        blocks = out.setdefault("blocks", {}) if (mine or theirs) else out.get("blocks")
        for name in set(base) | set(mine):
            b, m, t = base.get(name, ABSENT), mine.get(name, ABSENT), theirs.get(name, ABSENT)
            if m == b or m == t:
                continue
            # added or removed by mine: theirs left it alone
            if b is ABSENT or m is ABSENT or t is ABSENT:
                if self.theirs_win and m is ABSENT and t is not ABSENT and t != b:
                    raise Conflict(f"changed.block {name}")
                self._merge_value(blocks, name, b, m, t)
                continue
            # out's copy: theirs, with what mine changed inside a group theirs ungrouped there
            # (a group in a group) carried in already (_out_of_groups)
            level = copy.deepcopy(blocks.get(name, t))
            self._merge_level(b, m, t, level)
            for key in (set(b) | set(m)) - set(LEVEL_KEYS):
                self._merge_value(level, key, b.get(key, ABSENT), m.get(key, ABSENT),
                                  t.get(key, ABSENT))
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
            b, m, t = b_nodes.get(nid, ABSENT), m_nodes.get(nid, ABSENT), t_nodes.get(nid, ABSENT)
            if m == b or m == t:
                continue
            if b is not ABSENT and t is not ABSENT and t != b and not same_block(nid, base, theirs):
                # theirs removed base's block and gave its id to a new one (a Tanh deleted, then
                # another dropped as tanh1), or moved it away from all its wires: mine's edit is
                # of the one removed, never of this one, and is not applied
                raise Conflict(f"{'removes' if m is ABSENT else 'nodes'}.{nid}")
            if m is ABSENT:  # mine removed it: theirs must have left it as it was
                if t is ABSENT:
                    continue
                if t != b:
                    if self.theirs_win:
                        raise Conflict(f"changed.{nid}")
                    self._contested(f"{nid} (removed here, changed there)")
                nodes.pop(nid, None)
                order.remove(nid)
            elif b is ABSENT:  # mine added it: theirs must not have added another of that id
                if t is not ABSENT:
                    self._contested(f"{nid} (added in both)")
                    order.remove(nid)
                nodes[nid] = copy.deepcopy(m)
                order.append(nid)
            else:  # changed by mine, field by field
                if t is ABSENT:
                    raise Conflict(f"nodes.{nid}")  # removed there: no edges left to put it back
                node = copy.deepcopy(t)
                for key in sorted(set(b) | set(m)):
                    if key == "params":
                        self._merge_map(node, "params", b.get("params") or {},
                                        m.get("params") or {}, t.get("params") or {}, f"{nid}.")
                    else:
                        self._merge_value(node, key, b.get(key, ABSENT), m.get(key, ABSENT),
                                          t.get(key, ABSENT), f"{nid}.")
                nodes[nid] = node
        out["nodes"] = [nodes[nid] for nid in order]
        # laid on out's wires: theirs', with those a change inside a group theirs ungrouped
        # made there (_out_of_groups)
        out["edges"] = _merge_edges(base.get("edges", []), mine.get("edges", []),
                                    out.get("edges", theirs.get("edges", [])), set(order))


def _keep_used_blocks(out: dict, mine: dict) -> None:
    """Each composite block ``out`` uses (at the top level or inside a block it uses) that it
    lacks taken from ``mine``: theirs removed its definition, left unused there (an undo of
    the group after this tab's ungroup), while mine uses it again (an undo of that ungroup).
    The design used a block it no longer defined, what the block held gone with it."""
    blocks, held = out.get("blocks") or {}, mine.get("blocks") or {}
    levels, seen = [out], set()
    while levels:
        for node in levels.pop().get("nodes", []):
            kind = node.get("type") if isinstance(node, dict) else None
            if kind in seen or not isinstance(held.get(kind), dict):
                continue
            seen.add(kind)
            if kind not in blocks:
                blocks[kind] = copy.deepcopy(held[kind])
                out["blocks"] = blocks
            levels.append(blocks[kind])


def _check_used_blocks(out: dict, base: dict) -> None:
    """:class:`Conflict` (``used.``) where ``out`` uses a composite block of ``base`` it no
    longer defines (at the top level, or inside a block it uses): mine took the definition
    away (an ungroup, an undo of the group) while theirs put its use elsewhere (grouped it
    into another block). The design used a block it did not define, unsaid."""
    blocks, known = out.get("blocks") or {}, base.get("blocks") or {}
    levels, seen = [("", out)], set()
    while levels:
        where, level = levels.pop()
        for node in level.get("nodes", []):
            kind = node.get("type") if isinstance(node, dict) else None
            if not isinstance(kind, str):
                continue
            if kind in known and kind not in blocks:
                raise Conflict(f"used.{kind}.{where}{node.get('id')}")
            if isinstance(blocks.get(kind), dict) and kind not in seen:
                seen.add(kind)
                levels.append((f"{where}{node.get('id')}/", blocks[kind]))


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
