"""Keys of a design file that LayerLoom does not read, and what they may hold.

A key the format does not know is kept in the file (for a newer LayerLoom, or the tool that
wrote it) and named in a warning, since it is most often a misspelt one. What it holds is
carried along unread: read, walked, validated around and written back at every save. A file
made mostly of one such key (another tool's history, an embedded picture, a key name pasted
15 MB long) took seconds to open and to save each time, and its warning printed the whole
key. So an unknown key may hold at most ``LAYERLOOM_MAX_UNKNOWN_KEY_BYTES`` (default 100 kB)
of JSON, measured before anything else walks the file: a key over it refuses the file, named
with where it is, after no more than that much of it is looked at.

>>> check_unknown_sizes({"nodes": [{"id": "x", "note": "short"}]})
>>> try:
...     check_unknown_sizes({"nodes": [], "history": list(range(60_000))}, most=100_000)
... except GraphError as err:
...     print(err)
graph: unknown key 'history' holds more than 100 kB of JSON (a key LayerLoom does not read may hold at most 100 kB: set LAYERLOOM_MAX_UNKNOWN_KEY_BYTES to change it); nothing reads it, and it would be carried through every save: remove it from the file and open it again
"""

from __future__ import annotations

from typing import Any

from .errors import GraphError, Problem
from .limits import budget

MAX_UNKNOWN_KEY_BYTES = 100_000
ENV = "LAYERLOOM_MAX_UNKNOWN_KEY_BYTES"

# Keys the format's tables name, and the optional ones LayerLoom itself writes beside them (a
# template's ``task`` and ``dataset``, a frozen node's ``trainable``).
KNOWN_KEYS = {
    "graph": ("format", "version", "name", "description", "variables", "blocks", "nodes",
              "edges", "task", "dataset"),
    "node": ("id", "type", "params", "repeat", "position", "label", "trainable"),
    "edge": ("source", "target", "port", "source_port"),
    "block": ("params", "nodes", "edges", "description"),
}

SHOWN = 40  # characters of a long key shown in a message


def shown_key(key: str) -> str:
    """``key`` as a message shows it: quoted, a long one cut, with its length.

    >>> print(shown_key("nodez"), shown_key("ab" * 25_000))
    'nodez' 'abababababababababababababababababababab…' (a key of 50,000 characters)
    """
    if len(key) <= SHOWN + 10:
        return f"'{key}'"
    return f"'{key[:SHOWN]}…' (a key of {len(key):,} characters)"


def json_size(value: Any, most: int) -> int:
    """About how many bytes ``value`` takes as JSON, counted until it passes ``most`` (then
    ``most + 1``): a value far larger than the budget costs no more than the budget to
    measure, and nesting is walked without recursion.

    >>> json_size({"a": [1, 22, "xyz"]}, 1000), json_size(list(range(10**6)), 100)
    (20, 101)
    """
    size, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 3  # quotes and a separator
        elif isinstance(item, dict):
            size += 2
            for key, inner in item.items():
                size += len(key) + 4
                stack.append(inner)
                if size > most:
                    return most + 1
        elif isinstance(item, list):
            size += 2
            if len(item) > most:
                return most + 1
            stack.extend(item)
        elif isinstance(item, bool) or item is None:
            size += 5
        elif isinstance(item, int):
            size += item.bit_length() // 3 + 2
        else:
            size += 8  # a float
        if size > most:
            return most + 1
    return size


def check_unknown_sizes(data: dict, most: int | None = None) -> None:
    """Refuse a design (parsed JSON, before it is walked) in which a key the format does not
    know, on the graph, a node, an edge or a composite block, holds more than ``most`` bytes
    of JSON (default: the budget); GraphError naming the key and where it is."""
    most = budget(ENV, MAX_UNKNOWN_KEY_BYTES) if most is None else most
    problems: list[Problem] = []

    def look(obj: Any, kind: str, node: str | None, where: str) -> None:
        if not isinstance(obj, dict):
            return
        for key, value in obj.items():
            if key in KNOWN_KEYS[kind]:
                continue
            if len(key) + json_size(value, most) > most:
                problems.append(Problem(node, f"{where}unknown key {shown_key(key)} holds "
                                              f"more than {_kb(most)} of JSON (a key LayerLoom "
                                              f"does not read may hold at most {_kb(most)}: set "
                                              f"{ENV} to change it); nothing reads it, and it "
                                              f"would be carried through every save: remove it "
                                              f"from the file and open it again"))

    def level(holder: dict, block: str | None) -> None:
        inside = f"block '{block}', " if block else ""
        nodes, edges = holder.get("nodes"), holder.get("edges")
        for node in nodes if isinstance(nodes, list) else ():
            node_id = node.get("id") if isinstance(node, dict) else None
            named = node_id if isinstance(node_id, str) else None
            look(node, "node", None if block else named,
                 f"{inside}node '{named}': " if block and named else "")
        for edge in edges if isinstance(edges, list) else ():
            if isinstance(edge, dict):
                look(edge, "edge", None if block else _str(edge.get("target")),
                     f"{inside}edge {_str(edge.get('source'))} → {_str(edge.get('target'))}: ")

    look(data, "graph", None, "")
    level(data, None)
    blocks = data.get("blocks")
    for name, block in (blocks.items() if isinstance(blocks, dict) else ()):
        look(block, "block", None, f"block '{name}': ")
        if isinstance(block, dict):
            level(block, name)
    if problems:
        raise GraphError(problems=problems)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _kb(n: int) -> str:
    """``n`` bytes in kB or MB.

    >>> _kb(100_000), _kb(2_500_000)
    ('100 kB', '2.5 MB')
    """
    return f"{n / 1e6:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"
