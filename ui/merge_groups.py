"""A merge across a group: one side's edit of blocks the other side grouped into a new
composite block lands inside it, and the other side's edit of blocks this side grouped lands
inside this side's group. No Streamlit here."""

from __future__ import annotations

import copy

from .group_paths import grouped_by_level
from .merge_fields import ABSENT, Conflict, FieldMerger
from .renames import node_renamed, node_renames
from .savelog import NODE_FIELDS


class GroupMerges(FieldMerger):
    """The groups of one merge (:class:`~.merge_fields.FieldMerger`)."""

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
        # where each block grouped stands in its new block: under its id, or the one it was
        # renamed to there since (a rename made before the group, or inside it), which the
        # edit was refused as of 'a block the other edit removed'
        homes = {key[len("nodes."):]: path[len("blocks."):].split(".nodes.", 1)
                 for key, path in grouped_by_level(base, theirs, self.their_renames).items()
                 if key.startswith("nodes.")}
        moved: dict[str, dict] = {}
        for node in mine.get("nodes", []):
            nid = node.get("id") if isinstance(node, dict) else None
            b = was.get(nid)
            if b is None or node == b or nid in there or nid not in homes:
                continue
            home, tid = homes[nid]
            if not any(isinstance(inner, dict) and inner.get("id") == tid
                       and inner.get("type") == b.get("type")
                       for inner in out["blocks"].get(home, {}).get("nodes", [])):
                continue
            changed = {k for k in set(b) | set(node) if b.get(k, ABSENT) != node.get(k, ABSENT)}
            if not changed <= set(NODE_FIELDS):
                raise Conflict(f"grouped.{nid}.{home}")
            inner = next(n for n in out["blocks"][home]["nodes"]
                         if isinstance(n, dict) and n.get("id") == tid)
            b_params, m_params = b.get("params") or {}, node.get("params") or {}
            t_params = inner.get("params") or {}
            for p in set(b_params) | set(m_params):
                if m_params.get(p, ABSENT) != b_params.get(p, ABSENT) and \
                        str(t_params.get(p, "")).startswith("=") and \
                        not str(b_params.get(p, "")).startswith("="):
                    raise Conflict(f"promoted.{nid}.{home}")  # the block's own param now
            for key in sorted(changed):
                if key == "params":
                    self._merge_map(inner, "params", b_params, m_params, t_params, f"{tid}.")
                else:
                    self._merge_value(inner, key, b.get(key, ABSENT), node.get(key, ABSENT),
                                      inner.get(key, ABSENT), f"{tid}.")
            moved[nid] = b
        if not moved:
            return mine
        out_mine = dict(mine)
        out_mine["nodes"] = [moved.get(n.get("id"), n) if isinstance(n, dict) else n
                             for n in mine.get("nodes", [])]
        return out_mine

    def _grouped_here(self, base: dict, mine: dict, theirs: dict) -> tuple[dict, dict]:
        """``mine`` with what ``theirs`` set on blocks (at the top level, or inside a composite
        block both hold) that ``mine`` grouped into a new composite block (their params, label, repeat, and their id where
        ``theirs`` renamed one) made on those blocks inside it, and ``theirs`` with those
        blocks as they were (their change carried, nothing left to contest). Mine's group
        removed them, so their edit was lost in the group (told to this tab as 'both changed
        conv1'; the other tab told nothing; a rename went unsaid, the block in the group under
        its old id). Left to the merge as before where a param ``mine`` made the block's own
        (``=name``) was set there."""
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
        out_mine, out_theirs = mine, theirs
        b_blocks, t_blocks = base.get("blocks") or {}, theirs.get("blocks") or {}
        # the top level, and each definition all three hold (a group made inside a block)
        for level in [None, *sorted(n for n in b_blocks if n in m_blocks and n in t_blocks)]:
            b_level = base if level is None else b_blocks[level]
            m_level = mine if level is None else m_blocks[level]
            if not all(isinstance(x, dict) for x in (b_level, m_level, t_blocks.get(level, {}))):
                continue
            here_new = [name for name in new if any(
                isinstance(n, dict) and n.get("type") == name for n in m_level.get("nodes", []))]
            if here_new:
                out_mine, out_theirs = self._grouped_in(level, b_level, m_level, here_new,
                                                        out_mine, out_theirs)
        return out_mine, out_theirs

    def _grouped_in(self, level: str | None, base: dict, mine: dict, new: list[str],
                    out_mine: dict, out_theirs: dict) -> tuple[dict, dict]:
        """:meth:`_grouped_here` at one level (``level``: the block whose definition it is,
        None for the top level; ``base`` and ``mine`` that level; ``new`` the blocks mine
        grouped into there), on ``out_mine`` and ``out_theirs`` so far."""
        theirs = out_theirs if level is None else out_theirs["blocks"][level]
        m_blocks = out_mine.get("blocks") or {}
        was = {n.get("id"): n for n in base.get("nodes", []) if isinstance(n, dict)}
        there = {n.get("id"): n for n in theirs.get("nodes", []) if isinstance(n, dict)}
        here = {n.get("id") for n in mine.get("nodes", []) if isinstance(n, dict)}
        renamed = node_renames(base, theirs, self.their_renames)
        copied = False
        for name in new:
            inside = {n.get("id") for n in m_blocks[name].get("nodes", []) if isinstance(n, dict)}
            for inner in m_blocks[name].get("nodes", []):
                nid = inner.get("id") if isinstance(inner, dict) else None
                tid = renamed.get(nid, nid)  # its id there
                if tid != nid and (tid in inside or tid in here):
                    tid = nid  # an id the group or the design holds already: not followed
                b, t = was.get(nid), there.get(tid)
                if b is None or t is None or nid in here or inner.get("type") != b.get("type"):
                    continue
                t = {**t, "id": nid}
                if t == b and tid == nid:
                    continue
                keys = {k for k in set(b) | set(t) if b.get(k, ABSENT) != t.get(k, ABSENT)}
                if not keys <= {*NODE_FIELDS, "position"}:
                    continue
                m_params, b_params = inner.get("params") or {}, b.get("params") or {}
                t_params = t.get("params") or {}
                if any(str(m_params.get(p, "")).startswith("=") and m_params.get(p) != b_params.get(p)
                       for p in set(b_params) | set(t_params)
                       if b_params.get(p, ABSENT) != t_params.get(p, ABSENT)):
                    continue  # the group made that param the block's own: contested as before
                if not copied:
                    out_mine, out_theirs = copy.deepcopy(out_mine), copy.deepcopy(out_theirs)
                    copied = True
                target = next(n for n in out_mine["blocks"][name]["nodes"]
                              if isinstance(n, dict) and n.get("id") == nid)
                # theirs' values where mine left them as they were (mine's win where both set
                # one: said); a place at the top level is no place inside the block
                fields = [("params", p, b_params.get(p, ABSENT), t_params.get(p, ABSENT))
                          for p in sorted(set(b_params) | set(t_params))] + \
                    [("", k, b.get(k, ABSENT), t.get(k, ABSENT)) for k in sorted(keys)
                     if k not in ("params", "position")]
                for where, key, b_val, t_val in fields:
                    holder = target.setdefault("params", {}) if where else target
                    if t_val == b_val or holder.get(key, ABSENT) == t_val:
                        continue
                    if holder.get(key, ABSENT) != b_val:
                        self._contested(f"{nid}.{where + '.' if where else ''}{key}")
                        if not self.theirs_win:
                            continue
                    if t_val is ABSENT:
                        holder.pop(key, None)
                    else:
                        holder[key] = copy.deepcopy(t_val)
                if tid != nid:  # renamed there: the block in the group takes its new id
                    out_mine["blocks"][name] = node_renamed(out_mine["blocks"][name], nid, tid)
                nodes = (out_theirs if level is None else out_theirs["blocks"][level])["nodes"]
                at = next(i for i, n in enumerate(nodes)
                          if isinstance(n, dict) and n.get("id") == tid)
                nodes[at] = {**copy.deepcopy(b), "id": tid}
        return out_mine, out_theirs
