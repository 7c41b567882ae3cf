"""Warnings for the nodes of a level that are on no path from an Input to an Output, naming
where the chain is broken. With one wire missing in the middle (seed-cnn without pool1 → conv2)
every block of it is left out; the block whose output is wired to nothing and the one nothing is
wired into say so and name each other, and each other block names the break, so the user sees
which wire to draw. Each left-out node keeps a warning of its own: the canvas marks it by that.

>>> types = {"x": "Input", "a": "ReLU", "b": "ReLU", "y": "Output"}
>>> for node, message in left_out_warnings(list(types), types, {"b": [], "y": ["b"], "a": ["x"]},
...                                         fed={"x", "a"}, leading={"b", "y"}, where="the model"):
...     print(f"{node}: {message}")
a: its output is wired to nothing, so it and the block before it are left out of the model: wire it to b, which has no input
b: nothing is wired into it, so it and the block after it are left out of the model: wire a's output to it
x: left out of the model: it comes before the break at a → b
y: left out of the model: it comes after the break at a → b
"""

from __future__ import annotations

from collections.abc import Iterable


def left_out_warnings(left: list[str], types: dict[str, str], sources: dict[str, list[str]],
                      fed: set[str], leading: set[str], where: str) -> list[tuple[str, str]]:
    """``(node id, message)`` for each of the ``left`` out nodes: the ends of a break first,
    then the nodes before it, after it, and the others, each in the level's order. ``sources``: each node's sources along the level's edges; ``fed``:
    the nodes an Input reaches, ``leading``: those that reach an Output; ``where``: what they
    are left out of ("the model", "its block")."""
    consumers: dict[str, list[str]] = {}
    for target, froms in sources.items():
        for source in froms:
            consumers.setdefault(source, []).append(target)
    # an output wired to nothing, and nothing wired into a block that needs an input
    ends = [n for n in left if not consumers.get(n) and types[n] != "Output"]
    starts = [n for n in left if not sources.get(n) and types[n] != "Input"]
    dead = [n for n in ends if n in fed]  # what an Input feeds stops here
    loose = [n for n in starts if n in leading]  # what leads to an Output starts here
    if not dead or not loose:  # no break between the two ends: a block off the chain
        return [(n, _off_the_chain(n in fed, where)) for n in left]
    out = []
    for node in dead:
        before = _walk(node, sources, set(left)) - {node}
        wire = (f"wire it to {starts[0]}, which has no input" if len(starts) == 1 else
                f"wire it to the block that should come next ({_either(starts)}, which have no "
                f"input)")
        out.append((node, f"its output is wired to nothing, so {_it_and(len(before), 'before')} "
                          f"left out of {where}: {wire}"))
    for node in loose:
        after = _walk(node, consumers, set(left)) - {node}
        wire = (f"wire {ends[0]}'s output to it" if len(ends) == 1 else
                f"wire to it the block that should come before it ({_either(ends)}, whose "
                f"outputs are wired to nothing)")
        out.append((node, f"nothing is wired into it, so {_it_and(len(after), 'after')} left "
                          f"out of {where}: {wire}"))
    pair = f"the break at {ends[0]} → {starts[0]}" if len(ends) == len(starts) == 1 else None
    rest = [n for n in left if n not in dead and n not in loose]
    for node in (n for n in rest if n in fed):
        reached = [n for n in dead if n in _walk(node, consumers, set(left))]
        whose = "whose outputs are" if len(reached) > 1 else "whose output is"
        told = pair or f"{_either(reached)}, {whose} wired to nothing"
        out.append((node, f"left out of {where}: it comes before {told}"))
    for node in (n for n in rest if n in leading):
        reached = [n for n in loose if n in _walk(node, sources, set(left))]
        told = pair or f"{_either(reached)}, which nothing is wired into"
        out.append((node, f"left out of {where}: it comes after {told}"))
    # between two breaks, or wired to neither end
    out += [(n, _off_the_chain(False, where)) for n in rest if n not in fed and n not in leading]
    return out


def dangling_outputs(node: str, types: dict[str, str], sources: dict[str, list[str]],
                     leading: set[str]) -> list[str]:
    """The blocks besides ``node`` whose output is wired to nothing and that lead to no
    Output: where the wire into ``node``, which has none, may come from (named only where there
    is one). None where ``node`` itself leads to no Output (it is off the chain, not after a
    break). ``leading``: the nodes that reach an Output.

    >>> dangling_outputs("b", {"x": "Input", "a": "ReLU", "b": "ReLU", "y": "Output"},
    ...                  {"a": ["x"], "y": ["b"]}, leading={"b", "y"})
    ['a']
    """
    if node not in leading:
        return []
    used = {source for froms in sources.values() for source in froms}
    return [n for n, kind in types.items()
            if n != node and kind != "Output" and n not in leading and n not in used]


def _off_the_chain(fed: bool, where: str) -> str:
    why = "it leads to no Output" if fed else "no Input feeds it"
    return (f"not on a path from an Input to an Output ({why}); it is left out of {where}: wire "
            f"it in, or delete it")


def _walk(start: str, step: dict[str, list[str]], within: set[str]) -> set[str]:
    """``start`` and the nodes of ``within`` reached from it along ``step``."""
    seen, stack = {start}, [start]
    while stack:
        for nxt in step.get(stack.pop(), ()):
            if nxt in within and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _it_and(count: int, side: str) -> str:
    if count == 0:
        return "it is"
    return f"it and the block {side} it are" if count == 1 else \
        f"it and the {count} blocks {side} it are"


def _either(names: Iterable[str], most: int = 4) -> str:
    """``a``, ``a or b``, ``a, b or c``; past ``most``, ``a, b, c or 2 more``."""
    names = list(names)
    if len(names) > most:
        return f"{', '.join(names[:most - 1])} or {len(names) - most + 1} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
