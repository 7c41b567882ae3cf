"""Fixtures of the export and import tests: small graphs, and Python without LayerLoom."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Put first in a subprocess: any import of layerloom fails there, as on a machine without it.
# (``python -I`` alone is not enough: the editable install sits in site-packages.)
NO_LAYERLOOM = textwrap.dedent("""
    import importlib.abc, sys
    class _NoLayerLoom(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "layerloom" or name.startswith("layerloom."):
                raise ImportError("LayerLoom is not installed here")
            return None
    sys.meta_path.insert(0, _NoLayerLoom())
""")


def run_without_layerloom(code: str, cwd: Path, *args: str,
                          timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` (with ``sys.argv[1:] == args``) in an isolated interpreter that cannot
    import LayerLoom."""
    script = NO_LAYERLOOM + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-I", "-c", script, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def isolated():
    return run_without_layerloom


def chain_graph(*nodes, name: str = "t", task: str | None = None) -> dict:
    """A graph dict whose nodes, ``(id, type, params)``, are wired one after another."""
    out = []
    for node_id, block, *rest in nodes:
        node = {"id": node_id, "type": block}
        if rest and rest[0]:
            node["params"] = rest[0]
        out.append(node)
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(out, out[1:])]
    graph = {"format": "layerloom-graph", "version": 1, "name": name, "nodes": out,
             "edges": edges}
    if task:
        graph["task"] = task
    return graph


@pytest.fixture
def chain():
    return chain_graph


def _imported_outputs_equal(model, shape: list[int], dtype: str = "float32"):
    """Import ``model``, compile the graph with the imported weights and check that it gives the
    model's outputs (within 1e-5) on a batch of 4; the graph."""
    import torch

    from layerloom.graph.compile import compile_graph
    from layerloom.graph.import_torch import import_torch

    torch.manual_seed(0)
    graph, weights = import_torch(model, [shape], [dtype])
    compiled = compile_graph(graph)
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    model.eval()
    compiled.eval()
    x = torch.randint(1, 50, (4, *shape)) if dtype == "int64" else torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=0)
    return graph


@pytest.fixture
def imported_outputs_equal():
    return _imported_outputs_equal
