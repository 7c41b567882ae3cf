"""The one error an export raises: which format failed and, where one is to blame, which block."""

from __future__ import annotations

from ..errors import GraphError


class ExportError(GraphError):
    """An export that failed or did not verify; no file is left behind.

    ``format`` is the format that failed (``onnx``, ``bundle/onnx``…); ``node`` and ``block``
    name the node id and block type at fault when one is known; ``unwritable``, that nothing
    could be written where it was asked (the path is a folder, or its folder is missing: the
    CLI exits 2 for it, as for any file that cannot be written).

    >>> str(ExportError("onnx", "no ONNX operator computes log-gamma", node="gamma",
    ...                 block="LogGamma"))
    'onnx export failed at gamma (LogGamma): no ONNX operator computes log-gamma'
    """

    def __init__(self, format: str, reason: str, *, node: str | None = None,
                 block: str | None = None, unwritable: bool = False):
        self.format, self.reason, self.block = format, reason, block
        self.unwritable = unwritable  # nothing can be written where asked (a folder, none)
        where = f" at {node}" + (f" ({block})" if block else "") if node else ""
        super().__init__(f"{format} export failed{where}: {reason}")
        self.node = node
