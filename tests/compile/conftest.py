"""Helpers for the compiler and code-generation tests: sample inputs, loading generated code,
the template files (one-block graphs and every block's examples: tests/conftest.py)."""

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


@pytest.fixture(scope="session")
def helpers(one_block):
    """The helpers above, and tests/conftest.py's ``one_block_graph``, as one namespace (test
    files cannot import each other)."""
    class Helpers:
        pass

    h = Helpers()
    for f in (template_paths, sample_inputs, load_source, model_class, outputs, one_block):
        setattr(h, f.__name__, staticmethod(f))
    return h


def pytest_generate_tests(metafunc):
    """``template_path``: every template file (``block_example``: see tests/conftest.py)."""
    if "template_path" in metafunc.fixturenames:
        paths = template_paths()
        metafunc.parametrize("template_path", paths or [None],
                             ids=[p.stem for p in paths] or ["no-templates"])
