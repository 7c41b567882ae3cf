"""A merge follows a block or composite block one side renamed (:mod:`~.renames`), so
that what the other side changed in it lands on it under its new name. No Streamlit here."""

from __future__ import annotations

import re

from layerloom.graph.edit import fresh_id

from .merge_fields import Conflict, FieldMerger
from .renames import (block_names, block_renamed, block_renames, node_ids, node_renames,
                      nodes_renamed)


class RenameMerges(FieldMerger):
    """The renames of one merge (:class:`~.merge_fields.FieldMerger`)."""

    def _follow_node_renames(self, base: dict, mine: dict, theirs: dict, out: dict
                             ) -> tuple[dict, dict, dict]:
        """``base``, ``mine`` and ``theirs`` (and ``out``, theirs' copy, in place) of one level
        with each node either side renamed (:func:`~.renames.node_renames`) under one id on
        all sides, so that what the other side changed in it follows it: a rename was a node
        removed and another added, which took the other side's edits of it away unsaid, and an
        id another block took since was that block's. Both renamed one differently: mine's id
        (said). Mine renamed one theirs removed: :class:`Conflict`. Mine's id taken there by
        another block: the next free one, as for a block added under a taken id."""
        m_map, t_map = node_renames(base, mine), node_renames(base, theirs, self.their_renames)
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
