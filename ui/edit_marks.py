"""Marks: the values seeded edits on one design set, each one no other edit sets, so that
afterwards each can be looked for in the design saved, in the snapshots and in what its tab was
told (the eight-tab mix, tests/ui/many_tabs.py, and the bench of users on one project,
benchmarks/shared_project_edits.py, share them). A mark is an int of 1000 or more
(out_channels ``1000 + n``), a float under 0.1 in ten-thousandths (a Dropout's p, ``n / 10000``)
or a letter and digits (a label ``L<n>``; the mix's blocks renamed ``R<n>`` and Dropouts added
``D<n>`` too). Each is found as JSON, one of a design's leaves. No Streamlit here.

>>> design = {"nodes": [{"id": "D7", "type": "Dropout", "params": {"p": 0.0007},
...                      "label": "L9", "position": [1200, 0]}], "blocks": {"R3": {}}}
>>> sorted(marks(design, letters="L"))
['"L9"', '0.0007']
>>> sorted(marks(design, letters="LRD", keys=True))
['"D7"', '"L9"', '"R3"', '0.0007']
"""

from __future__ import annotations

import json
from typing import Any


def leaves(value: Any, keys: bool = False) -> set[str]:
    """Every scalar in ``value`` (a design as a dict), as JSON, places on the canvas left out
    (a block moved far has a coordinate of 1000 or more); ``keys``: the dicts' keys too (a
    composite block's name)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if keys:
                out.add(json.dumps(k))
            if k != "position":
                out |= leaves(v, keys)
    elif isinstance(value, list):
        for v in value:
            out |= leaves(v, keys)
    else:
        out.add(json.dumps(value))
    return out


def is_mark(leaf: str, letters: str = "L") -> bool:
    """Whether ``leaf`` (a JSON scalar of :func:`leaves`) is a mark, its words one of
    ``letters`` and digits."""
    value = json.loads(leaf)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1000
    if isinstance(value, float):
        return 0 < value < 0.1 and round(value * 10000) == value * 10000
    return isinstance(value, str) and value[:1] in letters and value[1:].isdigit()


def marks(design: dict, letters: str = "L", keys: bool = False) -> set[str]:
    """The marks in ``design`` (:func:`leaves` with ``keys``, :func:`is_mark` of
    ``letters``)."""
    return {leaf for leaf in leaves(design, keys) if is_mark(leaf, letters)}
