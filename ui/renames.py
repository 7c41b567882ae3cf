"""What an edit renamed, told from the design before and after it: a block (a node's new id,
its wires following) or a composite block (its new name, the nodes using it following), and a
design with such a rename made. A merge of two tabs' edits (:mod:`~.merge`) makes one side's
renames on the other, so that what the other side changed in the block stays with it. No
Streamlit here.

>>> base = {"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "Tanh"}],
...         "edges": [{"source": "a", "target": "b"}]}
>>> node_renames(base, node_renamed(base, "a", "act"))
{'a': 'act'}
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable

from layerloom.graph.edit import fresh_id

from .savelog import NODE_FIELDS


def node_renames(base: dict, level: dict,
                 logged: set[tuple[str, str]] | None = None) -> dict[str, str]:
    """The nodes of one level ``level`` renamed against ``base`` (old id → new id): a node of
    ``base`` not at its id in ``level`` (gone, or the id given to another block) and one of
    ``level`` not at its id in ``base`` alike in all but the id and what the inspector edits
    (their type, their place on the canvas: ``level`` may be several saves on, its params set
    since), each the only such match, the wires between the blocks that remain held; else, for
    one renamed and moved, of its type and holding every wire it had (one at least), or, rewired
    too, one of them and the params, label and repeat it had.

    ``logged``: the pairs the saves between the two could have renamed
    (:func:`~.savelog.renames_after`), where the save log tells. A block renamed and moved is
    then one of them: a block deleted in one save and another of its type put on the wire it
    left in a later one look the same, and were taken for it (what a tab then did to the
    block deleted was done to the new one). None: not known."""
    was = _by_id(base.get("nodes", []))
    now = _by_id(level.get("nodes", []))

    def stays(nid: str, here: dict, there: dict) -> bool:
        return nid in there and _placed(here[nid]) == _placed(there[nid])

    gone = [old for old in was if not stays(old, was, now)]
    placed: dict[str, list[str]] = {}  # the blocks new at their ids, by type and place
    for new in now:
        if not stays(new, now, was):
            placed.setdefault(_place_key(now[new]), []).append(new)
    pairs = one_to_one((old, new) for old in gone
                        for new in placed.get(_place_key(was[old]), ()) if old != new)
    wires = {edge_key(e) for e in level.get("edges", []) if isinstance(e, dict)}
    edges = [e for e in base.get("edges", []) if isinstance(e, dict)]
    while True:  # a pair whose wires are not held is no rename: dropped, the rest checked again
        remain = {pairs.get(nid, nid) for nid in was} & set(now)
        added = set(now) - set(was) - set(pairs.values())
        wrong = {old for old in pairs for e in edges
                 if old in (e.get("source"), e.get("target"))
                 and {pairs.get(e.get("source"), e.get("source")),
                      pairs.get(e.get("target"), e.get("target"))} <= remain
                 and not _held(_rewired(e, pairs), level, added)}
        if not wrong:
            break
        pairs = {old: new for old, new in pairs.items() if old not in wrong}
    # renamed and moved too (another tab's saves since): told by its type and its wires, all
    # held, where it had any
    remain = {pairs.get(nid, nid) for nid in was} & set(now)

    def carried(old: str, new: str) -> bool:
        """Every wire it had to a block that remains is held; or, rewired too (a block put
        between it and a neighbour), one at least, its params, label and repeat as they were:
        a new block of its kind in its place starts with others, or holds none of its wires."""
        mapped = {**pairs, old: new}
        own = [e for e in edges if old in (e.get("source"), e.get("target"))]
        held = [edge_key(_rewired(e, mapped)) in wires for e in own
                if {mapped.get(e.get("source"), e.get("source")),
                    mapped.get(e.get("target"), e.get("target"))} <= remain | {new}]
        return bool(own) and all(held) or any(held) and _edited(was[old]) == _edited(now[new])

    later = one_to_one((old, new) for old in was if old not in now and old not in pairs
                        for new in now if new not in was and new not in pairs.values()
                        and was[old].get("type") == now[new].get("type") and carried(old, new)
                        and (logged is None or (old, new) in logged))
    return {**pairs, **later}


def _held(edge: dict, level: dict, added: set[str]) -> bool:
    """Whether ``level`` holds wire ``edge``, or a way along it through blocks ``added`` only
    (a block put on the wire since: ``a → b`` became ``a → drop → b``), leaving and reaching
    the same ports."""
    links = [e for e in level.get("edges", []) if isinstance(e, dict)]
    if edge_key(edge) in {edge_key(e) for e in links}:
        return True
    source, target = edge.get("source"), edge.get("target")
    starts = [e for e in links if e.get("source") == source
              and e.get("source_port") == edge.get("source_port") and e.get("target") in added]
    seen, todo = set(), [e.get("target") for e in starts]
    while todo:
        nid = todo.pop()
        if nid in seen:
            continue
        seen.add(nid)
        for e in links:
            if e.get("source") != nid:
                continue
            if e.get("target") == target and e.get("target_port") == edge.get("target_port"):
                return True
            if e.get("target") in added:
                todo.append(e.get("target"))
    return False


def same_block(nid: str, was: dict, now: dict) -> bool:
    """Whether node ``nid`` of level ``now`` is the block ``was`` had under that id, edited or
    moved since, rather than another block given the id (one deleted, another of its kind
    dropped, which the canvas names with the lowest id free): the same type, and its place
    or one of its wires kept.

    >>> was = {"nodes": [{"id": "t1", "type": "Tanh", "position": [0, 0]}], "edges": []}
    >>> same_block("t1", was, {"nodes": [{"id": "t1", "type": "Tanh", "position": [9, 9]}]})
    False
    """
    old, new = _by_id(was.get("nodes", [])).get(nid), _by_id(now.get("nodes", [])).get(nid)
    if old is None or new is None or old.get("type") != new.get("type"):
        return False
    if old.get("position") == new.get("position"):
        return True

    def wires(level: dict) -> set[str]:
        return {edge_key(e) for e in level.get("edges", []) if isinstance(e, dict)
                and nid in (e.get("source"), e.get("target"))}

    return bool(wires(was) & wires(now))


def nodes_renamed(level: dict, renames: dict[str, str]) -> dict:
    """A copy of ``level`` whose nodes are renamed as ``renames`` says (old id → new id, all at
    once: two blocks may swap ids), their wires following, each in its place in the order."""
    if not renames:
        return level
    out = dict(level)
    out["nodes"] = [{**n, "id": renames[n["id"]]}
                    if isinstance(n, dict) and isinstance(n.get("id"), str) and n["id"] in renames
                    else n for n in level.get("nodes", [])]
    out["edges"] = [_rewired(e, renames) if isinstance(e, dict) else e
                    for e in level.get("edges", [])]
    return out


def renamed_as(old: dict, new: dict, logged: set[tuple[str, str]] | None = None) -> dict:
    """``old`` (a design) with the blocks ``new`` holds renamed (:func:`node_renames`) under
    their ids there, at the top level and inside each composite block: to tell what changed in
    a block that was also renamed by the field, as the renamed block names it (``logged``: as
    for :func:`node_renames`).

    >>> old = {"nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 5}}],
    ...        "edges": [{"source": "x", "target": "fc"}]}
    >>> new = {"nodes": [{"id": "head", "type": "Linear", "params": {"out_features": 7}}],
    ...        "edges": [{"source": "x", "target": "head"}]}
    >>> [n["id"] for n in renamed_as(old, new)["nodes"]]
    ['head']
    """
    out = nodes_renamed(old, node_renames(old, new, logged))
    blocks, now = old.get("blocks"), new.get("blocks") or {}
    if isinstance(blocks, dict) and blocks:
        out = {**out, "blocks": {
            name: nodes_renamed(block, node_renames(block, now[name], logged))
            if isinstance(block, dict) and isinstance(now.get(name), dict) else block
            for name, block in blocks.items()}}
    return out


def renamed_since(before: dict, sent: dict, now: dict,
                  logged: set[tuple[str, str]] | None = None) -> tuple[dict, dict]:
    """``before`` (a level as a canvas showed it) and ``sent`` (the level the canvas made of it:
    a block moved, deleted, wired) with the blocks renamed since (``before`` → ``now``, by
    another tab) under their ids in ``now``, so that what the canvas did to a block is done to
    it as renamed. An id a renamed block took from a block gone since, or that the canvas gave
    a block it added, goes to that other block's next free id. ``logged``: as for
    :func:`node_renames`.

    >>> before = {"nodes": [{"id": "a", "type": "ReLU"}], "edges": []}
    >>> moved = {"nodes": [{"id": "a", "type": "ReLU", "position": [5, 5]}], "edges": []}
    >>> renamed_since(before, moved, {"nodes": [{"id": "act", "type": "ReLU"}], "edges": []})[1]
    {'nodes': [{'id': 'act', 'type': 'ReLU', 'position': [5, 5]}], 'edges': []}
    """
    renames = node_renames(before, now, logged)
    if not renames:
        return before, sent
    given = set(renames.values())
    taken = node_ids(before) | node_ids(sent) | node_ids(now) | given

    def free(nid: str) -> str:
        new = fresh_id(taken, re.sub(r"\d+$", "", nid) or "node")
        taken.add(new)
        return new

    both = dict(renames)
    both.update({nid: free(nid) for nid in sorted(node_ids(before) - set(renames))
                 if nid in given})
    added = {nid: free(nid) for nid in sorted(node_ids(sent) - node_ids(before)) if nid in given}
    return nodes_renamed(before, both), nodes_renamed(sent, {**both, **added})


def renames_by_level(old: dict, new: dict,
                     logged: set[tuple[str, str]] | None = None) -> dict[str, str]:
    """The blocks ``new`` (a design) renamed against ``old`` (:func:`node_renames`), at the top
    level and inside each composite block both hold, as the path of the block renamed
    (``nodes.<new id>``, ``blocks.<name>.nodes.<new id>`` inside one) → its old id.

    >>> old = {"nodes": [{"id": "a", "type": "ReLU"}], "edges": []}
    >>> renames_by_level(old, node_renamed(old, "a", "act"))
    {'nodes.act': 'a'}
    """
    levels = [("", old, new)] + [
        (f"blocks.{name}.", block, (new.get("blocks") or {}).get(name))
        for name, block in (old.get("blocks") or {}).items()]
    return {f"{prefix}nodes.{now}": was for prefix, before, after in levels
            if isinstance(before, dict) and isinstance(after, dict)
            for was, now in node_renames(before, after, logged).items()}


def holds_node(design: dict, nid: str) -> bool:
    """Whether a node of ``design`` has id ``nid``, at the top level or inside a composite
    block (a block another tab grouped or ungrouped is still there)."""
    return any(isinstance(n, dict) and n.get("id") == nid
               for level in _levels(design) for n in level.get("nodes", []))


def node_renamed(level: dict, old: str, new: str) -> dict:
    """A copy of ``level`` whose node ``old`` is ``new`` (see :func:`nodes_renamed`)."""
    return nodes_renamed(level, {old: new})


def node_ids(level: dict) -> set[str]:
    return {n["id"] for n in level.get("nodes", [])
            if isinstance(n, dict) and isinstance(n.get("id"), str)}


def block_renames(base: dict, design: dict) -> dict[str, str]:
    """The composite blocks ``design`` renamed against ``base`` (old name → new name): a block
    gone from ``base`` and one new in ``design`` holding the same, no node using the old name
    any more, each the only such match."""
    was, now = base.get("blocks") or {}, design.get("blocks") or {}
    used = {n.get("type") for level in _levels(design) for n in level.get("nodes", [])
            if isinstance(n, dict)}
    return one_to_one((old, new) for old in was if old not in now and old not in used
                       for new in now if new not in was
                       and _types_renamed(was[old], old, new) == now[new])


def block_renamed(design: dict, old: str, new: str) -> dict:
    """A copy of ``design`` whose composite block ``old`` is ``new``, in its place among the
    blocks, and every node using it uses ``new``."""
    out = _types_renamed(design, old, new)
    blocks = out.get("blocks")
    if isinstance(blocks, dict):
        out["blocks"] = {(new if name == old else name): _types_renamed(block, old, new)
                         for name, block in blocks.items()}
    return out


def block_names(design: dict) -> set:
    return set(design.get("blocks") or {})


def edge_key(edge: dict) -> str:
    """One wire, whatever order its dict is spelled in."""
    return repr(sorted(edge.items()))


def _placed(node: dict) -> dict:
    """A node less its id and what the inspector edits (params, repeat, label, trainable)."""
    return {k: v for k, v in node.items() if k != "id" and k not in NODE_FIELDS}


def _edited(node: dict) -> dict:
    """What the inspector edits of a node (params, repeat, label, trainable)."""
    return {k: node[k] for k in NODE_FIELDS if k in node}


def _place_key(node: dict) -> str:
    return json.dumps(_placed(node), sort_keys=True, default=str)


def _by_id(nodes: list) -> dict:
    return {n["id"]: n for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}


def _rewired(edge: dict, renames: dict) -> dict:
    return {k: (renames.get(v, v) if k in ("source", "target") and isinstance(v, str) else v)
            for k, v in edge.items()}


def _types_renamed(level: dict, old: str, new: str) -> dict:
    """``level`` (a design or a block) whose nodes of type ``old`` are of type ``new``."""
    if not isinstance(level, dict) or "nodes" not in level:
        return level
    out = dict(level)
    out["nodes"] = [{**n, "type": new} if isinstance(n, dict) and n.get("type") == old else n
                    for n in level.get("nodes", [])]
    return out


def _levels(design: dict) -> list[dict]:
    blocks = design.get("blocks") or {}
    return [design] + [b for b in blocks.values() if isinstance(b, dict)]


def one_to_one(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The pairs whose old name and whose new name are each in no other pair."""
    pairs = list(pairs)
    olds, news = Counter(o for o, _ in pairs), Counter(n for _, n in pairs)
    return {old: new for old, new in pairs if olds[old] == 1 and news[new] == 1}
