"""Shared fixtures: the graph of graph-format.md, and helpers to build small graphs."""

from __future__ import annotations

import copy

import pytest

SEED_CNN = {
    "format": "layerloom-graph", "version": 1, "name": "seed-cnn",
    "description": "The Keras example of the design note, rebuilt as blocks.",
    "variables": {"width": 1.0, "classes": 10},
    "blocks": {},
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 28, 28]}, "position": [0, 0]},
        {"id": "conv1", "type": "Conv2d",
         "params": {"out_channels": "=round(32*width)", "kernel_size": 3}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "conv2", "type": "Conv2d",
         "params": {"out_channels": "=round(64*width)", "kernel_size": 3}},
        {"id": "relu2", "type": "ReLU"},
        {"id": "pool2", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": "=classes"}},
        {"id": "probs", "type": "Output"},
    ],
    "edges": [
        {"source": "image", "target": "conv1"}, {"source": "conv1", "target": "relu1"},
        {"source": "relu1", "target": "pool1"}, {"source": "pool1", "target": "conv2"},
        {"source": "conv2", "target": "relu2"}, {"source": "relu2", "target": "pool2"},
        {"source": "pool2", "target": "flat"}, {"source": "flat", "target": "fc"},
        {"source": "fc", "target": "probs"},
    ],
}


@pytest.fixture
def seed_cnn() -> dict:
    return copy.deepcopy(SEED_CNN)


def chain(*nodes, name="t", variables=None, blocks=None) -> dict:
    """A graph dict whose nodes (``(id, type, params)`` tuples or dicts) are wired in a chain."""
    out = []
    for n in nodes:
        if isinstance(n, dict):
            out.append(n)
        else:
            node = {"id": n[0], "type": n[1]}
            if len(n) > 2 and n[2]:
                node["params"] = n[2]
            out.append(node)
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(out, out[1:])]
    graph = {"format": "layerloom-graph", "version": 1, "name": name, "nodes": out, "edges": edges}
    if variables:
        graph["variables"] = variables
    if blocks:
        graph["blocks"] = blocks
    return graph


@pytest.fixture
def make_chain():
    return chain


def residual(channels: int, size: int) -> dict:
    """``img → stage → head → y``: ``stage`` is the composite ``Res`` (conv, BN, ReLU and a skip
    Add whose repeat is its param ``use_skip``) repeated ``=depth`` times, ``head`` a 1×1 conv
    with repeat 0. The input is ``[channels, size, size]``; variables ``depth`` 2, ``skip`` 1."""
    res = {"params": {"ch": channels, "use_skip": 1}, "nodes": [
        {"id": "x", "type": "Input"},
        {"id": "c1", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 3,
                                                  "padding": 1, "bias": False}},
        {"id": "bn", "type": "BatchNorm2d"},
        {"id": "act", "type": "ReLU"},
        {"id": "add", "type": "Add", "repeat": "=use_skip"},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": "x", "target": "c1"}, {"source": "c1", "target": "bn"},
                  {"source": "bn", "target": "act"}, {"source": "act", "target": "add"},
                  {"source": "x", "target": "add"}, {"source": "add", "target": "out"}]}
    return chain(
        ("img", "Input", {"shape": [channels, size, size]}),
        {"id": "stage", "type": "Res", "repeat": "=depth", "params": {"use_skip": "=skip"}},
        {"id": "head", "type": "Conv2d", "repeat": 0,
         "params": {"out_channels": channels // 2, "kernel_size": 1}},
        ("y", "Output"),
        name="res", variables={"depth": 2, "skip": 1}, blocks={"Res": res})


# -- every block of the library, alone ------------------------------------------------------------
# Sweeps (compile, generated code, TorchScript, ONNX…) take ``block_example``: one test per
# example of each registered block, ``(spec, params, input shapes)``, with ids ``Conv2d-0``…

def one_block_graph(spec, params: dict, in_shapes) -> dict:
    """Inputs ``in0``… → a node ``block`` of ``spec.type`` → Output ``out``."""
    dtype = {"dtype": "int64"} if spec.input_dtype == "int" else {}
    nodes = [{"id": f"in{i}", "type": "Input", "params": {"shape": list(s), **dtype}}
             for i, s in enumerate(in_shapes)]
    nodes.append({"id": "block", "type": spec.type, "params": params})
    edges = [{"source": f"in{i}", "target": "block"} for i in range(len(in_shapes))]
    if spec.type != "Output":
        nodes.append({"id": "out", "type": "Output"})
        edges.append({"source": "block", "target": "out"})
    return {"format": "layerloom-graph", "version": 1, "name": f"one-{spec.type}",
            "nodes": nodes, "edges": edges}


@pytest.fixture(scope="session")
def one_block():
    return one_block_graph


def block_examples() -> list[tuple]:
    from layerloom.graph import all_blocks

    return [(spec, params, shapes) for spec in all_blocks()
            for params, shapes in spec.examples]


def pytest_generate_tests(metafunc):
    if "block_example" in metafunc.fixturenames:
        examples = block_examples()
        counts: dict[str, int] = {}
        ids = []
        for spec, _, _ in examples:
            ids.append(f"{spec.type}-{counts.get(spec.type, 0)}")
            counts[spec.type] = counts.get(spec.type, 0) + 1
        metafunc.parametrize("block_example", examples, ids=ids)


# -- a block the ONNX operator set cannot express ----------------------------------------------
# Every block of the library exports to ONNX (tests/export/test_export_every_block_onnx.py), so
# the tests of a refused export register one that cannot: log-gamma has no ONNX operator.

ONNX_FREE_MODULE = "layerloom_test_onnx_free"


@pytest.fixture
def log_gamma_block(monkeypatch):
    """Registers a plugin block ``LogGamma`` (``torch.lgamma`` of each value; its module
    importable as a plugin's, so generated code and bundles work) and returns a graph
    ``x [2, 10, 10] → conv → gamma (LogGamma) → flat → y``."""
    import sys
    import types

    import torch
    from torch import nn

    from layerloom.graph import BlockSpec, registry

    class LogGamma(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.lgamma(x)

    LogGamma.__module__, LogGamma.__qualname__ = ONNX_FREE_MODULE, "LogGamma"
    module = types.ModuleType(ONNX_FREE_MODULE)
    module.LogGamma = LogGamma
    monkeypatch.setitem(sys.modules, ONNX_FREE_MODULE, module)
    spec = BlockSpec("LogGamma", "Custom", "log Γ of each value.", infer=lambda p, ins: ins[0],
                     build=lambda p, ins: LogGamma())
    registry.all_blocks()  # plugins loaded first, so that none replaces the registry later
    monkeypatch.setitem(registry._REGISTRY, "LogGamma", spec)
    return chain(("x", "Input", {"shape": [2, 10, 10]}), ("conv", "Conv2d", {"out_channels": 4}),
                 ("gamma", "LogGamma"), ("flat", "Flatten"), ("y", "Output"), name="gamma")


# -- child processes --------------------------------------------------------------------------
# Runs and sweeps started through ``runtime.process`` are children of the test process (each is
# collected as it ends: tests/cli/test_cli_mends_children.py); any still running when the
# session ends is stopped, so that no test leaves a run training behind it.

def _started_children() -> list:
    import sys

    process = sys.modules.get("layerloom.runtime.process")  # only if a test imported it
    if process is None:
        return []
    return [*process._children.values(), *process._sweep_children.values()]


@pytest.fixture(autouse=True, scope="session")
def _stop_children_at_the_end():
    yield
    import subprocess

    for proc in _started_children():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
