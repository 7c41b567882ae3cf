"""One error type for everything that crosses the graph package's boundary.

A :class:`Problem` names where it is (node, and param, port or edge where one is at fault) and
what is wrong; :class:`GraphError` carries one or more of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a graph.

    >>> str(Problem("conv2", "Conv2d needs a [C, H, W] input, but flat gives [1600]"))
    'conv2: Conv2d needs a [C, H, W] input, but flat gives [1600]'
    """

    node: str | None
    message: str
    param: str | None = None
    edge: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = self.node or "graph"
        if self.param:
            where = f"{where}.{self.param}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class GraphError(Exception):
    """A graph that cannot be read, validated or compiled.

    ``node`` is the id of the node at fault (``None`` for the graph as a whole); ``problems``
    lists every problem when several were found at once. ``unreadable`` marks a file that
    cannot be read as a graph at all (missing, unreadable, not UTF-8 or not JSON), as against
    JSON that is read but is no valid graph: the CLI exits 2 for the one, 1 for the other.
    """

    def __init__(self, message: str | None = None, *, node: str | None = None,
                 param: str | None = None, problems: list[Problem] | None = None,
                 file: str | None = None, unreadable: bool = False):
        self.unreadable = unreadable
        if problems is None:
            problems = [Problem(node, message or "invalid graph", param)]
        self.problems = list(problems)
        self.node = node if node is not None else (problems[0].node if problems else None)
        self.param = param if param is not None else (problems[0].param if problems else None)
        self.file = file
        if message is None:
            message = "\n".join(str(p) for p in self.problems)
        elif node is not None and not message.startswith(f"{node}:"):
            message = str(Problem(node, message, param))
        if file:
            message = f"{file}: {message}"
        super().__init__(message)


class ShapeError(Exception):
    """Raised inside a block's shape rule; the validator adds the node, type and source names.

    ``expected`` (for example ``"[C, H, W]"``) marks a wrong-rank input on ``port``; the validator
    turns it into ``conv2: Conv2d needs a [C, H, W] input, but flat gives [1600]``.
    """

    def __init__(self, message: str = "", *, expected: str | None = None, port: int = 0,
                 param: str | None = None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.port = port
        self.param = param
