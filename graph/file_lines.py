"""Where each node of a design file is written: the line of its object, so that a problem with a
node can name the line to open in an editor, as a JSON syntax error does.

Python's JSON reader gives no positions; its pure-Python scanner is the C one's twin and takes
the object parser as a hook, which here notes where each object starts. It runs only where a
problem is to be placed (it is slower than the C reader).

>>> text = '{"nodes": [\\n  {"id": "x"},\\n  {"id": "fc"}\\n],\\n "blocks": {"B": {"nodes": [{"id": "fc"}]}}}'
>>> lines = node_lines(text)
>>> lines[(None, "fc")], lines[("B", "fc")]
([3], [5])
>>> problem_lines(lines, {"fc": "B"}, "fc/0/fc"), problem_lines(lines, {}, "x.shape")
([5], [2])
"""

from __future__ import annotations

import bisect
import json
from json import decoder, scanner
from typing import Any


def node_lines(text: str) -> dict[tuple[str | None, str], list[int]]:
    """``{(block, node id): [line, …]}`` of the nodes of a design's JSON ``text`` (``block``
    None for the graph's own nodes; several lines where nodes share an id); {} for text that
    is no JSON object."""
    starts: dict[int, int] = {}

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        obj, end = decoder.JSONObject(s_and_end, strict, scan_once, object_hook,
                                      object_pairs_hook, memo)
        starts[id(obj)] = s_and_end[1] - 1  # the opening brace
        return obj, end

    reader = json.JSONDecoder()
    reader.parse_object = parse_object
    reader.scan_once = scanner.py_make_scanner(reader)
    try:
        data = reader.decode(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    newlines = [i for i, c in enumerate(text.removeprefix("\ufeff")) if c == "\n"]
    lines: dict[tuple[str | None, str], list[int]] = {}

    def note(block: str | None, nodes: Any) -> None:
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and isinstance(node.get("id"), str) \
                    and id(node) in starts:
                line = bisect.bisect_left(newlines, starts[id(node)]) + 1
                lines.setdefault((block, node["id"]), []).append(line)

    note(None, data.get("nodes"))
    blocks = data.get("blocks")
    for name, block in (blocks.items() if isinstance(blocks, dict) else ()):
        if isinstance(block, dict):
            note(name, block.get("nodes"))
    return lines


def problem_lines(lines: dict[tuple[str | None, str], list[int]], types: dict[str | None, Any],
                  where: str | None) -> list[int]:
    """The line of the node a problem names (``where``: ``conv1``, a node inside a composite
    block by its path ``hidden/0/linear``; a param after a dot, ``conv1.kernel_size``, is left
    aside: ids hold no dots), following the composite nodes' types (``types``: ``{node id or
    (block, node id): block name}``, see :func:`composite_types`): the lines of the nodes of
    that id where several share it; [] where it is no node of the file."""
    if not where:
        return []
    block: str | None = None
    line: list[int] = []
    node, inside = "", False  # inside: past the first part, which is in the last node's block
    for part in where.split(".", 1)[0].split("/"):
        if inside and (block, part) not in lines and part.isdigit():
            continue  # the copy of a repeated node: hidden/0/linear
        if inside:
            block = types.get(node if block is None else (block, node))
            if block is None:
                return []
        line = lines.get((block, part), [])
        if not line:
            return []
        node, inside = part, True
    return line


def composite_types(graph) -> dict:
    """``{node id: block name}`` of the graph's nodes that are composite blocks, and
    ``{(block, node id): block name}`` of those inside blocks, for :func:`problem_lines`."""
    types: dict = {n.id: n.type for n in graph.nodes if n.type in graph.blocks}
    for name, block in graph.blocks.items():
        types.update({(name, n.id): n.type for n in block.nodes if n.type in graph.blocks})
    return types
