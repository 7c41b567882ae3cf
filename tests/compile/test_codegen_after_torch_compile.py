"""Code generation still works once torch.compile has run in the same process.

Dynamo replaces ``nn.Module.__init__`` with a closure over the original (no ``__wrapped__``);
the generator records constructor arguments by their code object and must see through it.
"""

from __future__ import annotations

import torch

from layerloom.graph import compile_graph, generate_code
from layerloom.graph.templates import load_template


def test_generate_code_after_torch_compile():
    warm = torch.compile(torch.nn.Linear(2, 2), backend="eager")
    warm(torch.randn(1, 2))
    assert torch.nn.Module.__init__.__code__.co_name != "__init__"  # dynamo has patched it
    graph = load_template("lenet5")
    namespace: dict = {}
    exec(compile(generate_code(graph), "<generated>", "exec"), namespace)  # our own output
    model = compile_graph(graph).eval()
    generated = next(v for v in namespace.values()
                     if isinstance(v, type) and issubclass(v, torch.nn.Module)
                     and v.__module__ == namespace.get("__name__", v.__module__)
                     and "Lenet" in v.__name__)().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(generated(x), model(x))
