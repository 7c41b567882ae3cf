"""Trace a PyTorch model with ``torch.fx`` and run it once, recording every node's value.

Modules with a LayerLoom block are leaves of the trace (a subclass of ``nn.Conv2d`` that keeps
its ``forward`` too), as are ``torch.nn``'s own modules; the user's own modules are traced
through, so their functions and additions become blocks of their own.
"""

from __future__ import annotations

import inspect
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
    """``model`` as a ``GraphModule``, dead code (unused tuple parts, shape reads) removed.

    Optional arguments of ``forward`` (``attn_mask=None``, ``return_features=False``) keep
    their defaults: they are not inputs of the imported graph.
    """
    concrete = optional_args(model)
    try:
        graph = _Tracer().trace(model, concrete_args=concrete or None)
    except Exception as exc:  # fx raises TraceError, TypeError, NotImplementedError…
        raise GraphError(f"torch.fx cannot trace {type(model).__name__}: {exc} (control flow "
                         f"that depends on tensor values, such as `if x.sum() > 0`, cannot be "
                         f"traced)") from None
    _drop_specialised(graph, set(concrete))
    gm = fx.GraphModule(model, graph, class_name=type(model).__name__)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm


def optional_args(model: nn.Module) -> dict[str, Any]:
    """``forward``'s arguments that have a default of ``None``, a bool, a number or a string."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return {}
    out = {}
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty and (param.default is None or isinstance(
                param.default, (bool, int, float, str))):
            out[name] = param.default
    return out


_GUARDS = {"_assert_is_none", "_assert", "eq", "ne", "is_", "is_not", "not_"}


def _drop_specialised(graph: fx.Graph, names: set[str]) -> None:
    """Remove the placeholders fx keeps for arguments traced at their defaults, with the
    checks fx adds on them (``_assert_is_none``); an argument whose default feeds the
    computation itself cannot be left out."""
    for node in [n for n in graph.nodes if n.op == "placeholder"]:
        if str(node.target).rstrip("_0123456789") not in names and node.target not in names:
            continue
        if not node.args:  # fx gave it no default: a real input
            continue
        seen, stack = [], [node]
        while stack:
            current = stack.pop()
            for user in current.users:
                if user not in seen:
                    seen.append(user)
                    stack.append(user)
        if any(getattr(u.target, "__name__", "") not in _GUARDS for u in seen):
            continue  # used by the computation: stays an input (reported by the shape check)
        order = {n: i for i, n in enumerate(graph.nodes)}
        for user in sorted(seen, key=order.get, reverse=True):
            graph.erase_node(user)
        graph.erase_node(node)


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
