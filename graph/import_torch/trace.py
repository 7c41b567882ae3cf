"""Trace a PyTorch model with ``torch.fx`` and run it once, recording every node's value.

Modules with a LayerLoom block are leaves of the trace (a subclass of ``nn.Conv2d`` that keeps
its ``forward`` too), as are ``torch.nn``'s own modules; the user's own modules are traced
through, so their functions and additions become blocks of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import fx, nn

from ..errors import GraphError
from .modules import find_rule

BATCH = 3  # an unusual batch size, so that a dimension equal to it is rarely confused with it


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return find_rule(m) is not None or super().is_leaf_module(m, qualname)


def trace(model: nn.Module) -> fx.GraphModule:
    """``model`` as a ``GraphModule``, dead code (unused tuple parts, shape reads) removed."""
    try:
        graph = _Tracer().trace(model)
    except Exception as exc:  # fx raises TraceError, TypeError, NotImplementedError…
        raise GraphError(f"torch.fx cannot trace {type(model).__name__}: {exc} (control flow "
                         f"that depends on tensor values, such as `if x.sum() > 0`, cannot be "
                         f"traced)") from None
    gm = fx.GraphModule(model, graph, class_name=type(model).__name__)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm


class _Recorder(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule):
        super().__init__(gm)
        self.values: dict[fx.Node, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as exc:
            where = n.target if n.op == "call_module" else n.name
            raise GraphError(f"running {type(self.module).__name__} on the sample input failed "
                             f"at {where}: {exc}") from None
        self.values[n] = result
        return result


def propagate(gm: fx.GraphModule, samples: Sequence[torch.Tensor]) -> dict[fx.Node, Any]:
    """The value of every node for ``samples`` (batch first), in evaluation mode."""
    recorder = _Recorder(gm)
    with torch.no_grad():
        recorder.run(*samples)
    return recorder.values


def sample_inputs(model: nn.Module, shapes: Sequence[Sequence[int]],
                  dtypes: Sequence[str]) -> list[torch.Tensor]:
    """Random inputs of ``BATCH`` samples; token ids stay below the smallest vocabulary."""
    generator = torch.Generator().manual_seed(0)
    vocab = min((m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)),
                default=100)
    out = []
    for shape, dtype in zip(shapes, dtypes):
        if dtype == "int64":
            out.append(torch.randint(0, vocab, (BATCH, *shape), generator=generator))
        else:
            out.append(torch.randn((BATCH, *shape), generator=generator))
    return out
