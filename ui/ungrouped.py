"""Where what a composite block held stands once another tab ungrouped its one use: the
block's nodes in the design itself (``conv1``, or ``block1_conv1`` where the id was taken), its
wires from its ``Input`` nodes coming from what fed the group, those to its ``Output`` going to
what the group fed (as :func:`layerloom.graph.edit.ungroup` lays them out). A merge of two
tabs' edits (:mod:`~.merge`) carries an edit made inside the group there. No Streamlit here.

>>> block = {"nodes": [{"id": "x", "type": "Input"}, {"id": "c", "type": "Conv2d"},
...                    {"id": "y", "type": "Output"}],
...          "edges": [{"source": "x", "target": "c"}, {"source": "c", "target": "y"}]}
>>> around = {"nodes": [], "edges": [{"source": "img", "target": "g1"},
...                                  {"source": "g1", "target": "relu"}]}
>>> sorted(outer_wires(block["edges"], "g1", block, around, {"c": "c"}))
[('c', 'relu', None, None), ('img', 'c', None, None)]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .renames import one_to_one

Wire = tuple[Any, Any, Any, Any]  # (source, target, port, source_port)

PORT_TYPES = ("Input", "Output")


def ungrouped_ids(use: str, block: dict, was: dict[str, dict], now: dict[str, dict]
                  ) -> dict[str, str] | None:
    """Each of ``block``'s nodes (but its ports) → the id it has in the design ungrouped
    (``now``, by id; ``was``: the level before, by id, where ``use`` stood): its own id, or
    ``<use>_<id>`` where that was taken; None where one is not found once."""
    ids: dict[str, str] = {}
    for node in _inner(block):
        homes = _homes(use, node, was, now)
        if len(homes) != 1:
            return None
        ids[str(node.get("id"))] = homes[0]
    return ids


def renamed_out_ids(use: str, block: dict, was: dict[str, dict], now: dict[str, dict],
                    logged: set[tuple[str, str]] | None) -> dict[str, str] | None:
    """As :func:`ungrouped_ids`, where blocks brought out were renamed since (an ungroup,
    then a rename, read at once): each block not found under its id (nor ``<use>_<id>``) is
    the one block of its type new there under another id (that ``logged``, the renames the
    save log allows, allows where it tells); None where one is not found once."""
    ids: dict[str, str] = {}
    gone: dict[str, dict] = {}
    for node in _inner(block):
        homes = _homes(use, node, was, now)
        if len(homes) > 1:
            return None
        if homes:
            ids[str(node.get("id"))] = homes[0]
        else:
            gone[str(node.get("id"))] = node
    came = {nid: n for nid, n in now.items() if nid not in was and nid not in ids.values()}

    def was_named(old_id: str, iid: str) -> bool:  # its id as ungrouped, before the rename
        return old_id == iid or _spelled(use, iid).fullmatch(old_id) is not None

    ids.update(paired(gone, came, logged, was_named))
    return ids if set(gone) <= set(ids) else None


def paired(gone: dict[str, dict], came: dict[str, dict], logged: set[tuple[str, str]] | None,
           was_named: Callable[[str, str], bool]) -> dict[str, str]:
    """Each of ``gone`` (a key, ``nodes.<id>`` or an id → its node) → the key of the one node
    of ``came`` of its type (``gone`` holding no other of that type either), where
    ``logged`` allows it, when it tells (``was_named(old id, id)``: whether a logged rename's
    old id is that block's)."""
    def nid(key: str) -> str:
        return key.rpartition("nodes.")[2]

    def allowed(g: str, c: str) -> bool:
        return logged is None or any(new == nid(c) and was_named(old, nid(g))
                                     for old, new in logged)

    return one_to_one((g, c) for g, node in gone.items() for c, other in came.items()
                      if node.get("type") == other.get("type") and allowed(g, c))


def _inner(block: dict) -> list[dict]:
    """A block's nodes but its ports."""
    return [n for n in block.get("nodes", [])
            if isinstance(n, dict) and n.get("type") not in PORT_TYPES]


def _spelled(use: str, iid: str) -> re.Pattern:
    """The id an ungroup gives inner block ``iid`` where its own is taken (``block1_conv1``)."""
    return re.compile(rf"{re.escape(use)}_{re.escape(iid)}\d*")


def _homes(use: str, node: dict, was: dict[str, dict], now: dict[str, dict]) -> list[str]:
    """The ids new in ``now`` that inner ``node`` may have once ``use`` is ungrouped."""
    iid = str(node.get("id"))
    return [nid for nid, n in now.items() if nid not in was and n.get("type") == node.get("type")
            and (nid == iid or _spelled(use, iid).fullmatch(str(nid)))]


def outer_wires(edges: list, use: str, block: dict, around: dict, ids: dict[str, str]
                ) -> set[Wire]:
    """``edges`` (wires inside ``block``) as the wires they are in the design once ``use``
    (a node of ``around``, the level it stood in) is ungrouped: a wire from an ``Input`` comes
    from what fed that port of the group, one to an ``Output`` goes to what the group fed from
    it. ``ids``: :func:`ungrouped_ids`."""
    types = {n.get("id"): n.get("type") for n in block.get("nodes", []) if isinstance(n, dict)}
    inputs = [nid for nid, t in types.items() if t == "Input"]
    outputs = [nid for nid, t in types.items() if t == "Output"]
    feeds = _feeds(around, use, inputs)
    fed = _fed(around, use, outputs)
    out: set[Wire] = set()
    for edge in edges:
        if not isinstance(edge, dict):
            continue
        source, target = edge.get("source"), edge.get("target")
        starts = feeds.get(source, []) if types.get(source) == "Input" else \
            [(ids.get(source, source), edge.get("source_port"))]
        ends = fed.get(target, []) if types.get(target) == "Output" else \
            [(ids.get(target, target), edge.get("port"))]
        out |= {(s, t, port, s_port) for s, s_port in starts for t, port in ends}
    return out


def wire_key(edge: dict) -> Wire:
    return (edge.get("source"), edge.get("target"), edge.get("port"), edge.get("source_port"))


def wire_dict(wire: Wire) -> dict:
    source, target, port, source_port = wire
    out: dict[str, Any] = {"source": source, "target": target}
    if port is not None:
        out["port"] = port
    if source_port is not None:
        out["source_port"] = source_port
    return out


def _feeds(around: dict, use: str, inputs: list) -> dict[Any, list[tuple[Any, Any]]]:
    """Each ``Input`` of the block → (the node feeding that port of ``use``, which of its
    outputs), by the wires' ports or their order (as the ungroup reads them)."""
    out: dict[Any, list[tuple[Any, Any]]] = {}
    into = [e for e in around.get("edges", []) if isinstance(e, dict) and e.get("target") == use]
    for i, edge in enumerate(into):
        port = edge.get("port") if edge.get("port") is not None else i
        name = inputs[port] if isinstance(port, int) and 0 <= port < len(inputs) else \
            port if port in inputs else None
        if name is not None:
            out.setdefault(name, []).append((edge.get("source"), edge.get("source_port")))
    return out


def _fed(around: dict, use: str, outputs: list) -> dict[Any, list[tuple[Any, Any]]]:
    """Each ``Output`` of the block → (a node ``use`` fed from it, the port of that node)."""
    out: dict[Any, list[tuple[Any, Any]]] = {}
    for edge in around.get("edges", []):
        if not isinstance(edge, dict) or edge.get("source") != use or not outputs:
            continue
        picked = edge.get("source_port")
        name = picked if picked in outputs else outputs[picked] if isinstance(picked, int) \
            and 0 <= picked < len(outputs) else outputs[0]
        out.setdefault(name, []).append((edge.get("target"), edge.get("port")))
    return out


def offset(block: dict, now: dict[str, dict], ids: dict[str, str]) -> tuple[float, float] | None:
    """How far the ungrouped nodes stand from where they stood in the block (the first one
    placed in both), for a node added inside the block to land beside them."""
    for node in block.get("nodes", []):
        if not isinstance(node, dict) or node.get("id") not in ids:
            continue
        inner, outer = node.get("position"), now[ids[node["id"]]].get("position")
        if _xy(inner) and _xy(outer):
            return outer[0] - inner[0], outer[1] - inner[1]
    return None


def _xy(position: Any) -> bool:
    return isinstance(position, list) and len(position) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in position)


def moved(position_was: Any, position: Any, there: Any) -> Any:
    """``there`` (a node's place in the design ungrouped) moved as the edit moved it inside
    the block (from ``position_was`` to ``position``); ``position`` itself where either is
    not a place."""
    if not (_xy(position_was) and _xy(position) and _xy(there)):
        return position
    return [round(there[i] + position[i] - position_was[i]) for i in range(2)]
