"""Which node ids a graph may hold: 1–64 ASCII letters, digits, ``_`` or ``-`` (the format's
rule, so that an id is a file name, a URL part and, made legal, a Python name), and what to
say of one that breaks it.

>>> id_fault("conv1") is None
True
>>> id_fault("couche_ü")
"id 'couche_ü' is not allowed: use 1–64 letters, digits, '_' or '-' (ASCII letters only: 'ü' is not one; 'couche_u' would do)"
>>> id_fault("fc\\n")
"id 'fc\\\\n' is not allowed: use 1–64 letters, digits, '_' or '-'"
"""

from __future__ import annotations

import re
import unicodedata

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # whole: fullmatch, so no newline slips after it
_OTHER = re.compile(r"[^A-Za-z0-9_-]")


def id_fault(node_id: str) -> str | None:
    """Why ``node_id`` is not a valid id, in words; None where it is one."""
    if ID_PATTERN.fullmatch(node_id):
        return None
    said = f"id {node_id!r} is not allowed: use 1–64 letters, digits, '_' or '-'"
    letters = [c for c in dict.fromkeys(node_id) if c.isalpha() and not c.isascii()]
    if letters:
        # an accented Latin letter without its accent; none where a letter has no such form
        folded = {c: unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
                  for c in letters}
        better = _OTHER.sub("_", "".join(folded.get(c, c) for c in node_id))[:64]
        instead = f"; {better!r} would do" if all(folded.values()) \
            and ID_PATTERN.fullmatch(better) else ""
        said += (f" (ASCII letters only: {', '.join(map(repr, letters[:3]))} "
                 f"{'is' if len(letters) == 1 else 'are'} not one{instead})")
    elif len(node_id) > 64:
        said += f" (it has {len(node_id)} characters)"
    return said
