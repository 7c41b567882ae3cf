"""Fixtures of the export and import tests: small graphs, a small ONNX file, and Python without
LayerLoom."""

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


def _imported_round_trip(model, shape: list[int], tmp_path: Path, other_shape=None):
    """Import ``model`` (float input of ``shape``) and check everything a user relies on: the
    graph validates, its parameter count is the model's, the compiled graph with the imported
    weights gives the model's outputs (1e-5, on a fresh batch; at ``other_shape`` too, the
    graph's Input set to it and recompiled), the generated code loads the weights strictly and
    gives the same, and the ONNX and TorchScript exports run and match. The graph and the
    compiled graph's state_dict."""
    import torch

    from layerloom.graph import compile_graph, generate_code, summarize, validate
    from layerloom.graph.export import export_model
    from layerloom.graph.import_torch import check_import, import_torch

    model.eval()
    graph, weights = import_torch(model, [shape])
    report = validate(graph)
    assert report.ok, [str(p) for p in report.errors]
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [shape], weights=weights) < 1e-5
    for size in [shape] + ([other_shape] if other_shape else []):
        sized = graph.copy()
        next(n for n in sized.nodes if n.type == "Input").params["shape"] = list(size)
        compiled = compile_graph(sized).eval()
        compiled.load_state_dict(state, strict=True)
        x = torch.randn(4, *size, generator=torch.Generator().manual_seed(7))
        with torch.no_grad():
            expected = model(x)
            assert expected.abs().max() > 1e-3  # outputs of a real scale
            torch.testing.assert_close(compiled(x), expected, atol=1e-5, rtol=1e-5)
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(graph), "generated.py", "exec"), namespace)  # our own code
    written = [v for v in namespace.values() if isinstance(v, type)
               and issubclass(v, torch.nn.Module) and v.__module__ == "generated"][-1]
    written = written().eval()
    written.load_state_dict(state, strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        torch.testing.assert_close(written(x), model(x), atol=1e-5, rtol=1e-5)
    for fmt in ("onnx", "torchscript"):
        result = export_model(graph, fmt, tmp_path / f"imported.{fmt}", state)
        assert result.max_abs_diff < 1e-4, (fmt, result.max_abs_diff)
    return graph, state


@pytest.fixture
def imported_round_trip():
    return _imported_round_trip


def _users_model_imported(cls, shape, dtype="float32"):
    """``cls()`` (seeded, in evaluation mode) imported with import-torch: its outputs checked
    (1e-4) and its parameter count the model's; ``(model, graph)``."""
    import torch

    from layerloom.graph import summarize
    from layerloom.graph.import_torch import check_import, import_torch

    torch.manual_seed(0)
    model = cls().eval()
    graph, weights = import_torch(model, shape, dtype)
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shape, dtype, weights=weights) < 1e-4
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    return model, graph


@pytest.fixture
def users_model_imported():
    return _users_model_imported


def _users_onnx_imported(model, shape, tmp_path: Path, dtype="float32"):
    """``torch.onnx.export`` of ``model`` as users call it, then ``import_onnx``: the imported
    design against onnxruntime on the file, and compiled against the model; the graph."""
    import torch

    from layerloom.graph import compile_graph
    from layerloom.graph.import_torch.onnx_in import import_onnx

    x = torch.randint(0, 50, (2, *shape)) if dtype == "int64" else torch.randn(2, *shape)
    torch.onnx.export(model, (x,), str(tmp_path / "m.onnx"), dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-4, rtol=1e-4)
    return graph


@pytest.fixture
def users_onnx_imported():
    return _users_onnx_imported


@pytest.fixture
def line_of(request):
    """``line_of(marker)``: ``test_x.py:N``, the line of the requesting test's file that ends
    with ``# marker`` (where an import error must say it happened)."""
    here = Path(request.path)

    def line_of(marker: str) -> str:
        for number, text in enumerate(here.read_text().splitlines(), 1):
            if text.rstrip().endswith(f"# {marker}"):
                return f"{here.name}:{number}"
        raise AssertionError(marker)

    return line_of


@pytest.fixture
def tiny_onnx() -> bytes:
    """A small image classifier (Conv, ReLU, max pool, Flatten, Linear on [1, 8, 8]) exported
    to ONNX with a free batch, input ``image`` and output ``logits``: a user's ordinary file."""
    import io

    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 3 * 3, 5)

        def forward(self, x):
            return self.fc(torch.flatten(nn.functional.max_pool2d(torch.relu(self.conv(x)), 2),
                                         1))

    torch.manual_seed(0)
    buffer = io.BytesIO()
    torch.onnx.export(Tiny().eval(), (torch.randn(2, 1, 8, 8),), buffer, dynamo=False,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    return buffer.getvalue()
