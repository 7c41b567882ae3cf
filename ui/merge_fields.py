"""One merge's fields: a value or a map of values both sides may have changed, and what
both changed (:mod:`~.merge`). No Streamlit here.

>>> merger = FieldMerger()
>>> out = {"p": 12}
>>> merger._merge_value(out, "p", 8, 5, 12, "conv1.")
>>> out, merger.contested
({'p': 5}, ['conv1.p'])
"""

from __future__ import annotations

import copy
from typing import Any

ABSENT = object()  # a field or node one side does not hold
LEVEL_KEYS = ("nodes", "edges")


class Conflict(Exception):
    """The two edits touch the same thing differently."""


class FieldMerger:
    """One merge: ``contested`` collects what both sides changed (mine wins there, or theirs
    with ``theirs_win``); :class:`Conflict` where the two do not join."""

    def __init__(self, theirs_win: bool = False,
                 renames: set[tuple[str, str]] | None = None):
        self.contested: list[str] = []
        self.theirs_win = theirs_win
        # the (old id, new id) pairs theirs's saves could have renamed (None: not known)
        self.their_renames = renames

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
        if mine is ABSENT:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(mine)

    def _merge_map(self, out: dict, key: str, base: dict, mine: dict, theirs: dict,
                   where: str = "") -> None:
        merged = dict(out.get(key) or {})
        for name in sorted(set(base) | set(mine)):
            self._merge_value(merged, name, base.get(name, ABSENT), mine.get(name, ABSENT),
                         theirs.get(name, ABSENT), f"{where}{key}.")
        if merged or key in out:
            out[key] = merged
