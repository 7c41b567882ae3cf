"""Blocks and composite blocks both sides added under one id or name: each keeps its own,
the one added here under the next free one. No Streamlit here.

>>> level = {"nodes": [{"id": "tanh1", "type": "Tanh"}], "edges": []}
>>> fresh_ids_for_added(level, {}, {"tanh1": {"id": "tanh1", "type": "ReLU"}})["nodes"]
[{'id': 'tanh2', 'type': 'Tanh'}]
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from layerloom.graph.edit import fresh_id
from layerloom.graph.registry import all_blocks

from .renames import block_renamed


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

