"""Where a save's group or ungroup moved a block: the block's path before → its path after
(``nodes.fc`` → ``blocks.Block.nodes.fc``, and back), and a design with its blocks laid as
that save laid them, to tell a tab's values there field by field. A group and an ungroup keep
the ids of what they move (an id taken where a block comes out is ``<use>_<id>``); a block
renamed as well, in the saves one catch-up reads (grouped, then renamed inside the group), is
found by its type, and by the save log where it tells (``logged``: the (old id, new id) pairs
those saves could have renamed, :func:`~.savelog.renames_after`; None: not known). No
Streamlit here."""

from __future__ import annotations

from .renames import node_ids
from .ungrouped import PORT_TYPES, paired, renamed_out_ids, ungrouped_ids

Logged = set[tuple[str, str]] | None


def grouped_by_level(old: dict, new: dict, logged: Logged = None) -> dict[str, str]:
    """The blocks ``new`` (a design) grouped into a composite block it added, against ``old``:
    the path of each where it stood (``nodes.<id>``, ``blocks.<name>.nodes.<id>``) → its path
    in the new block (``blocks.<new>.nodes.<id>``); a group keeps the ids of what it holds,
    and one renamed in the group since is the one block of its type there that ``old`` had
    nowhere (and that ``logged`` allows).

    >>> old = {"nodes": [{"id": "fc", "type": "Linear"}], "edges": []}
    >>> new = {"nodes": [{"id": "block1", "type": "Block"}], "edges": [],
    ...        "blocks": {"Block": {"nodes": [{"id": "fc", "type": "Linear"}], "edges": []}}}
    >>> grouped_by_level(old, new)
    {'nodes.fc': 'blocks.Block.nodes.fc'}
    >>> new["blocks"]["Block"]["nodes"][0]["id"] = "head"
    >>> grouped_by_level(old, new, {("fc", "head")})
    {'nodes.fc': 'blocks.Block.nodes.head'}
    """
    was, now = old.get("blocks") or {}, new.get("blocks") or {}
    added = {name: block for name, block in now.items()
             if name not in was and isinstance(block, dict)}
    if not added:
        return {}
    levels = [("", old, new)] + [(f"blocks.{name}.", block, now.get(name))
                                 for name, block in was.items()]
    out, gone = {}, {}
    for prefix, before, after in levels:
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        kept = node_ids(after)
        for node in before.get("nodes", []):
            if not isinstance(node, dict) or node.get("id") in kept:
                continue
            homes = [name for name, block in added.items()
                     if any(isinstance(n, dict) and n.get("id") == node.get("id")
                            and n.get("type") == node.get("type")
                            for n in block.get("nodes", []))]
            if len(homes) == 1:
                out[f"{prefix}nodes.{node['id']}"] = f"blocks.{homes[0]}.nodes.{node['id']}"
            elif not homes and isinstance(node.get("id"), str):
                gone[f"{prefix}nodes.{node['id']}"] = node
    # renamed in the group since: each block gone without a home, and each in a new block
    # under an id ``old`` holds nowhere, paired by type (and the log) where one to one
    known = {n.get("id") for level in [old, *was.values()] if isinstance(level, dict)
             for n in level.get("nodes", []) if isinstance(n, dict)}
    came = {f"blocks.{name}.nodes.{n['id']}": n for name, block in added.items()
            for n in block.get("nodes", []) if isinstance(n, dict)
            and isinstance(n.get("id"), str) and n["id"] not in known
            and n.get("type") not in PORT_TYPES}
    out.update(paired(gone, came, logged, lambda logged_old, nid: logged_old == nid))
    return out


def grouped_as(old: dict, new: dict, logged: Logged = None) -> dict:
    """``old`` (a design) with each composite block ``new`` grouped blocks of ``old`` into
    (:func:`grouped_by_level`) added, holding those blocks as ``old`` has them: to tell what
    changed in a block another tab grouped by the field as the group names it (a value set
    before the group and replaced inside it since).

    >>> old = {"nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 5}}]}
    >>> new = {"nodes": [{"id": "block1", "type": "Block"}], "blocks": {"Block": {
    ...     "nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 7}}]}}}
    >>> grouped_as(old, new)["blocks"]["Block"]["nodes"]
    [{'id': 'fc', 'type': 'Linear', 'params': {'out_features': 5}}]
    """
    grouped = grouped_by_level(old, new, logged)
    if not grouped:
        return old
    blocks = dict(old.get("blocks") or {})
    for was, now in grouped.items():
        level, _, nid = was.rpartition("nodes.")
        name, _, there = now[len("blocks."):].rpartition(".nodes.")
        held = {**_by_id(blocks.get(level[len("blocks."):-1]) if level else old)[nid],
                "id": there}
        block = blocks.get(name) or new["blocks"][name]
        blocks[name] = {**block, "nodes": [held if isinstance(n, dict) and n.get("id") == there
                                           else n for n in block.get("nodes", [])]}
    return {**old, "blocks": blocks}


def ungrouped_by_level(old: dict, new: dict, logged: Logged = None) -> dict[str, str]:
    """The blocks ``new`` (a design) brought out of a composite block whose one use it
    ungrouped, against ``old``: each one's path in the block (``blocks.<name>.nodes.<id>``) →
    its path where the use stood (``nodes.<id>``, ``blocks.<outer>.nodes.<id>``).

    >>> old = {"nodes": [{"id": "block1", "type": "Block"}], "edges": [],
    ...        "blocks": {"Block": {"nodes": [{"id": "fc", "type": "Linear"}], "edges": []}}}
    >>> new = {**old, "nodes": [{"id": "fc", "type": "Linear"}]}
    >>> ungrouped_by_level(old, new)
    {'blocks.Block.nodes.fc': 'nodes.fc'}
    """
    return {f"blocks.{name}.nodes.{iid}": f"{'' if outer is None else f'blocks.{outer}.'}nodes.{nid}"
            for name, (outer, ids) in _ungrouped(old, new, logged).items()
            for iid, nid in ids.items()}


def ungrouped_as(old: dict, new: dict, logged: Logged = None) -> dict:
    """``old`` (a design) with the blocks ``new`` brought out of a group
    (:func:`ungrouped_by_level`) added where its use stood, as ``old``'s block holds them: to
    tell what changed in a block another tab ungrouped by the field as it is named now."""
    moved = _ungrouped(old, new, logged)
    if not moved:
        return old
    out = dict(old)
    blocks = dict(old.get("blocks") or {})
    for name, (outer, ids) in moved.items():
        level = dict(out if outer is None else blocks[outer])
        held = node_ids(level)
        level["nodes"] = [*level.get("nodes", []),
                          *({**n, "id": ids[n["id"]]} for n in blocks[name].get("nodes", [])
                            if isinstance(n, dict) and n.get("id") in ids
                            and ids[n["id"]] not in held)]
        if outer is None:
            out = level
        else:
            blocks[outer] = level
    return {**out, "blocks": blocks} if blocks else out


def _ungrouped(old: dict, new: dict, logged: Logged = None
               ) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Each composite block of ``old`` whose one use ``new`` ungrouped: its name → (the block
    whose definition held the use, None for the top level; each inner id → its id there, or
    the id it was renamed to since, :func:`~.ungrouped.renamed_out_ids`)."""
    blocks, now_blocks = old.get("blocks") or {}, new.get("blocks") or {}
    out = {}
    for name, block in blocks.items():
        uses = [(outer, n.get("id")) for outer, level in [(None, old), *blocks.items()]
                if outer != name and isinstance(level, dict)
                for n in level.get("nodes", []) if isinstance(n, dict) and n.get("type") == name]
        if len(uses) != 1 or not isinstance(block, dict):
            continue
        (outer, use), = uses
        before = old if outer is None else blocks[outer]
        after = new if outer is None else now_blocks.get(outer)
        if not isinstance(after, dict) or use in node_ids(after):
            continue
        ids = ungrouped_ids(use, block, _by_id(before), _by_id(after)) or \
            renamed_out_ids(use, block, _by_id(before), _by_id(after), logged)
        if ids:
            out[name] = (outer, ids)
    return out


def in_use(design: dict) -> dict:
    """``design`` with only the composite blocks it computes (those its top level uses, and
    those they use): a definition left unused (its one use ungrouped, then what came out
    deleted) is still in the file, and a block or value only there is no longer in the design.

    >>> design = {"nodes": [{"id": "fc", "type": "Linear"}], "blocks": {"Block": {"nodes": []}}}
    >>> in_use(design)["blocks"]
    {}
    """
    blocks = design.get("blocks") or {}
    used: dict = {}
    levels = [design]
    while levels:
        for node in levels.pop().get("nodes", []):
            kind = node.get("type") if isinstance(node, dict) else None
            if isinstance(kind, str) and kind not in used and isinstance(blocks.get(kind), dict):
                used[kind] = blocks[kind]
                levels.append(blocks[kind])
    return {**design, "blocks": used} if "blocks" in design else design


def _by_id(level: dict) -> dict[str, dict]:
    return {n["id"]: n for n in level.get("nodes", [])
            if isinstance(n, dict) and isinstance(n.get("id"), str)}
