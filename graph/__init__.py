"""The graph model: format, block library, validation and shape inference, compilation.

This package imports neither Streamlit nor the runtime.

>>> from layerloom.graph import load_graph, validate, summarize
"""

from .errors import GraphError, Problem
from .limits import Limits
from .io import dumps_graph, load_graph, loads_graph, parse_graph, save_graph
from .model import Block, Edge, Graph, Node
from .registry import BlockSpec, Ports, all_blocks, get_block, register
from .summary import Summary, summarize
from .validate import Report, validate


def __getattr__(name: str):
    """``compile_graph`` and ``generate_code`` import torch: only when first asked for, so that
    reading and validating a graph stays quick (the CLI's validate, summary and templates)."""
    if name == "compile_graph":
        from .compile import compile_graph
        return compile_graph
    if name == "generate_code":
        from .codegen import generate_code
        return generate_code
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Block", "BlockSpec", "Edge", "Graph", "GraphError", "Limits", "Node", "Ports", "Problem", "Report",
    "Summary", "all_blocks", "compile_graph", "dumps_graph", "generate_code", "get_block", "load_graph", "loads_graph",
    "parse_graph", "register", "save_graph", "summarize", "validate",
]
