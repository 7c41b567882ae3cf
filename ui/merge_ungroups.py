"""A merge across an ungroup: one side's edit inside a composite block the other side
ungrouped lands on its blocks as ungrouped (:mod:`~.ungrouped`), either way round. No
Streamlit here."""

from __future__ import annotations

import copy
import re
from typing import Any

from layerloom.graph.edit import fresh_id

from .merge_fields import ABSENT, LEVEL_KEYS, Conflict, FieldMerger
from .renames import edge_key, node_renames, nodes_renamed
from .savelog import NODE_FIELDS
from .ungrouped import (PORT_TYPES, moved, offset, outer_wires, renamed_out_ids, ungrouped_ids,
                        wire_dict, wire_key)


class UngroupMerges(FieldMerger):
    """The ungroups of one merge (:class:`~.merge_fields.FieldMerger`)."""

    def _out_of_groups(self, base: dict, mine: dict, theirs: dict, out: dict) -> dict:
        """``mine`` with its edits inside a composite block whose one use ``theirs`` ungrouped
        (the block's nodes in the level that used it now, the block left unused) made on
        those nodes in ``out``, and taken out of ``mine``'s block: what the inspector edits,
        a move, a node added or removed, a wire (:mod:`~.ungrouped`). The use may be at the
        top level or inside another composite block (a group in a group: its nodes are then
        in that block's definition, in ``out``'s copy of it). They landed in the unused
        block, told as 'both changes are kept', and changed nothing the design computes; a
        canvas change there was refused. :class:`Conflict` (``ungrouped.``) where the edit
        changes the block's own ports or params, or a node of it cannot be told in the
        design."""
        b_blocks, m_blocks = base.get("blocks") or {}, mine.get("blocks") or {}
        t_blocks = theirs.get("blocks") or {}
        # theirs may have changed it too before ungrouping it (those changes are on the
        # blocks ungrouped now): mine's lands there all the same, where both set a field
        # contested as anywhere; it landed in the unused definition, told as saved
        changed = [name for name in b_blocks if name in m_blocks and name in t_blocks
                   and m_blocks[name] != b_blocks[name]]
        if not changed:
            return mine
        used = _in_use(theirs, t_blocks)  # a use in a definition nothing uses computes nothing
        o_blocks = out.get("blocks") or {}
        blocks = dict(m_blocks)
        for name in changed:
            only = None if name in used else _one_use(name, base, b_blocks)
            if only is None:
                continue
            outer, use = only
            around, there = (base, out) if outer is None else \
                (b_blocks[outer], o_blocks.get(outer))
            if not isinstance(there, dict):
                continue  # the block that held it is gone there: left to the merge
            was = {n.get("id"): n for n in around.get("nodes", []) if isinstance(n, dict)}
            now = {n.get("id"): n for n in there.get("nodes", []) if isinstance(n, dict)}
            if use in now:
                continue
            b_blk, m_blk = b_blocks[name], m_blocks[name]
            # a block brought out and renamed since (the save log telling the rename) is
            # found under its new id: the edit was refused as of a group ungrouped
            ids = ungrouped_ids(use, b_blk, was, now) or (
                renamed_out_ids(use, b_blk, was, now, self.their_renames)
                if self.their_renames is not None else None)
            if ids is None or any(b_blk.get(k) != m_blk.get(k) for k in set(b_blk) | set(m_blk)
                                  if k not in LEVEL_KEYS):
                raise Conflict(f"ungrouped.{name}")
            # a block renamed inside (conv2 → enc) is carried as the block it is, renamed
            # there: it was carried as one removed and one added, what the other tab set on
            # it since (a label) lost with the one removed
            renames = {old: new for old, new in node_renames(b_blk, m_blk).items() if old in ids}
            if renames:
                m_blk = nodes_renamed(m_blk, {new: old for old, new in renames.items()})
            self._carry_out_of_group(use, b_blk, m_blk, around, ids, there)
            held = {n.get("id") for n in there.get("nodes", []) if isinstance(n, dict)}
            for old, new in renames.items():
                if ids[old] in held and new not in held:
                    there.update(nodes_renamed(there, {ids[old]: new}))
                    held = (held - {ids[old]}) | {new}
            blocks[name] = b_blk  # made on the ungrouped nodes: the unused block stays theirs
        return {**mine, "blocks": blocks} if blocks != m_blocks else mine

    def _ungrouped_both(self, base: dict, mine: dict, theirs: dict) -> dict:
        """``mine`` with each block both sides brought out of one group (at the top level:
        ``theirs`` ungrouped the group, ``mine`` undid it, or the other way round) placed as
        ``theirs`` placed it, so that the merge takes it as the one block it is. The two
        places differ (an ungroup lays the blocks out anew), and each side's copy was taken
        for a block added under an id the other holds: kept twice (conv1 and conv3, relu1
        and relu3), the design broken (pool1 fed by both)."""
        b_blocks = base.get("blocks") or {}
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        here = {n.get("id"): n for n in mine.get("nodes", []) if isinstance(n, dict)}
        there = {n.get("id"): n for n in theirs.get("nodes", []) if isinstance(n, dict)}
        inside = {n.get("id") for nid, use in was.items()
                  if nid not in here and nid not in there
                  and isinstance(b_blocks.get(use.get("type")), dict)
                  for n in b_blocks[use.get("type")].get("nodes", []) if isinstance(n, dict)
                  and n.get("type") not in PORT_TYPES}
        same = {nid for nid, node in here.items()
                if nid in inside and nid not in was and nid in there and node != there[nid]
                and {k: v for k, v in node.items() if k != "position"}
                == {k: v for k, v in there[nid].items() if k != "position"}}
        if not same:
            return mine
        out = dict(mine)
        out["nodes"] = [copy.deepcopy(there[n.get("id")])
                        if isinstance(n, dict) and n.get("id") in same else n
                        for n in mine.get("nodes", [])]
        return out

    def _ungrouped_here(self, base: dict, mine: dict, theirs: dict) -> dict:
        """``mine`` with what ``theirs`` changed inside a composite block whose one use (at the
        top level, or inside another block's definition: a group in a group) ``mine``
        ungrouped (or took back: an undo of the group) made on the blocks ungrouped: their
        params, label, repeat, place. Those changes stayed in the block's definition, which
        nothing used any more: the design computed the old values, told as 'both changes are
        kept'. :class:`Conflict` (``inside.``) where ``theirs`` changed more there (a block
        added or removed, a wire, the block's own params)."""
        b_blocks, t_blocks = base.get("blocks") or {}, theirs.get("blocks") or {}
        m_blocks = mine.get("blocks") or {}
        # mine's copy of the definition, unused there, computes nothing: an undo or redo step
        # may hold it as it was when the step was made (older values inside), which hid
        # theirs' change (a block added inside) in the unused definition, unsaid
        changed = [name for name in b_blocks if name in t_blocks and t_blocks[name] != b_blocks[name]]
        if not changed:
            return mine
        used = _in_use(mine, m_blocks)  # a use in a definition nothing uses computes nothing
        out = mine
        for name in changed:
            only = None if name in used else _one_use(name, base, b_blocks)
            if only is None:
                continue
            outer, use = only
            around = base if outer is None else b_blocks[outer]
            here = mine if outer is None else m_blocks.get(outer)
            if not isinstance(here, dict):
                continue  # the block that held it is gone here: left to the merge
            was = {n.get("id"): n for n in around.get("nodes", []) if isinstance(n, dict)}
            now = {n.get("id"): n for n in here.get("nodes", []) if isinstance(n, dict)}
            if use in now:
                continue
            b_blk, t_blk = b_blocks[name], t_blocks[name]
            ids = ungrouped_ids(use, b_blk, was, now)
            b_inner = {n.get("id"): n for n in b_blk.get("nodes", []) if isinstance(n, dict)}
            t_inner = {n.get("id"): n for n in t_blk.get("nodes", []) if isinstance(n, dict)}
            if ids is None or set(b_inner) != set(t_inner) or _wires(b_blk) != _wires(t_blk) \
                    or any(b_blk.get(k) != t_blk.get(k) for k in set(b_blk) | set(t_blk)
                           if k not in ("nodes", "edges")):
                raise Conflict(f"inside.{name}")
            if out is mine:
                out = copy.deepcopy(mine)
            level = out if outer is None else out["blocks"][outer]
            nodes = {n.get("id"): n for n in level.get("nodes", []) if isinstance(n, dict)}
            for iid, t_node in t_inner.items():
                b_node = b_inner[iid]
                if t_node == b_node:
                    continue
                keys = {k for k in set(b_node) | set(t_node)
                        if b_node.get(k, ABSENT) != t_node.get(k, ABSENT)}
                if iid not in ids or not keys <= {*NODE_FIELDS, "position"}:
                    raise Conflict(f"inside.{name}")
                target = nodes[ids[iid]]
                for key in sorted(keys):
                    if key == "position":
                        target["position"] = moved(b_node.get("position"),
                                                   t_node.get("position"), target.get("position"))
                        continue
                    b_val, t_val = b_node.get(key, ABSENT), t_node.get(key, ABSENT)
                    if key == "params":
                        b_val, t_val = b_val or {}, t_val or {}
                        for p in set(b_val) | set(t_val):
                            if b_val.get(p, ABSENT) != t_val.get(p, ABSENT):
                                _take(target.setdefault("params", {}), p, t_val.get(p, ABSENT),
                                      name)
                    else:
                        _take(target, key, t_val, name)
            # the definition, unused here, left as theirs (also where mine took it out: an undo
            # of the group), which holds their change too
            out["blocks"] = {**(out.get("blocks") or {}), name: copy.deepcopy(t_blk)}
        return out

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
                              if b_node.get(k, ABSENT) != m_node.get(k, ABSENT)):
                if key == "params":
                    self._merge_map(target, "params", b_node.get("params") or {},
                                    m_node.get("params") or {}, target.get("params") or {},
                                    f"{home}.")
                elif key == "position":
                    target["position"] = moved(b_node.get("position"), m_node.get("position"),
                                               target.get("position"))
                elif key in NODE_FIELDS:
                    self._merge_value(target, key, b_node.get(key, ABSENT), m_node.get(key, ABSENT),
                                      target.get(key, ABSENT), f"{home}.")
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


def _one_use(name: str, base: dict, b_blocks: dict) -> tuple[str | None, Any] | None:
    """Block ``name``'s one use in what ``base`` computes: (the block whose definition holds
    it, None for the top level; the node's id), or None where it is used in no place or in
    several. A use inside a definition nothing uses (a group ungrouped since, left unused)
    computes nothing and is not counted: it hid the one use, and an edit inside the block
    stayed in its definition, unused once the one use was ungrouped, unsaid."""
    uses = [(outer, n.get("id"))
            for outer, level in [(None, base), *((b, b_blocks[b]) for b in _in_use(base, b_blocks))]
            if outer != name and isinstance(level, dict)
            for n in level.get("nodes", []) if isinstance(n, dict) and n.get("type") == name]
    return uses[0] if len(uses) == 1 else None


def _in_use(design: dict, blocks: dict) -> list[str]:
    """The composite blocks ``design`` uses, at the top level or inside one it uses."""
    seen: list[str] = []
    levels = [design]
    while levels:
        for node in levels.pop().get("nodes", []):
            kind = node.get("type") if isinstance(node, dict) else None
            if kind in blocks and kind not in seen and isinstance(blocks[kind], dict):
                seen.append(kind)
                levels.append(blocks[kind])
    return seen


def _wires(level: dict) -> set[str] | None:
    """A level's wires, in whatever order a merge laid them (None where they are no list)."""
    edges = level.get("edges", [])
    return {edge_key(e) if isinstance(e, dict) else repr(e) for e in edges} \
        if isinstance(edges, list) else None


def _take(holder: dict, key: str, value: Any, block: str) -> None:
    """``holder[key]`` set to ``value`` (removed for :data:`ABSENT`), the other side's value of a
    field inside the composite block ``block``, now on its block ungrouped; an expression
    (``=…``) that may name the block's own params is not laid there (:class:`Conflict`)."""
    if isinstance(value, str) and value.startswith("="):
        raise Conflict(f"inside.{block}")
    if value is ABSENT:
        holder.pop(key, None)
    else:
        holder[key] = copy.deepcopy(value)

