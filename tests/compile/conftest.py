"""Helpers for the compiler and code-generation tests: sample inputs, loading generated code,
the template files, one-block graphs."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from importlib import resources
from pathlib import Path

import pytest
import torch

from layerloom.graph import validate

_counter = itertools.count()


def template_paths() -> list[Path]:
    """Every ``assets/templates/*.json`` (the templates engineer's files, whatever they are)."""
    folder = Path(str(resources.files("layerloom.assets") / "templates"))
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def sample_inputs(graph, batch: int = 2, seed: int = 0, variables=None) -> list[torch.Tensor]:
    """One random batch per Input, in node order; int64 inputs get token ids 0 or 1."""
    gen = torch.Generator().manual_seed(seed)
    res = validate(graph, variables).resolution
    order = [n.id for n in res.graph.nodes if n.id in res.top.inputs]
    out = []
    for input_id in order:
        info = res.top.nodes[input_id]
        if info.dtype == "int64":
            out.append(torch.randint(0, 2, (batch, *info.shape), generator=gen))
        else:
            out.append(torch.randn(batch, *info.shape, generator=gen))
    return out


def load_source(source: str, directory: Path):
    """Import generated source from a real file (TorchScript reads classes' source)."""
    name = f"layerloom_generated_{next(_counter)}"
    path = Path(directory) / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def model_class(module) -> type:
    """The model's class: the last nn.Module class the generated file defines."""
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, torch.nn.Module)
               and v.__module__ == module.__name__]
    return classes[-1]


def outputs(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


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
def helpers():
    """The helpers above, as one namespace (test files cannot import each other)."""
    class Helpers:
        pass

    h = Helpers()
    for f in (template_paths, sample_inputs, load_source, model_class, outputs, one_block_graph):
        setattr(h, f.__name__, staticmethod(f))
    return h


def block_examples() -> list[tuple]:
    from layerloom.graph import all_blocks

    return [(spec, params, shapes) for spec in all_blocks()
            for params, shapes in spec.examples]


def pytest_generate_tests(metafunc):
    """``template_path``: every template file; ``block_example``: every block's examples."""
    if "template_path" in metafunc.fixturenames:
        paths = template_paths()
        metafunc.parametrize("template_path", paths or [None],
                             ids=[p.stem for p in paths] or ["no-templates"])
    if "block_example" in metafunc.fixturenames:
        examples = block_examples()
        counts: dict[str, int] = {}
        ids = []
        for spec, _, _ in examples:
            ids.append(f"{spec.type}-{counts.get(spec.type, 0)}")
            counts[spec.type] = counts.get(spec.type, 0) + 1
        metafunc.parametrize("block_example", examples, ids=ids)
