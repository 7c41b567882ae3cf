"""Hooks registered on the model or its layers (``register_forward_hook``,
``register_forward_pre_hook``, ``register_full_backward_hook``, and the global
``register_module_forward_hook`` and its kin).

A hook runs when a module is called, outside its ``forward``. torch.fx traces the model's
``forward`` and calls the user's own modules through their hooks, but a layer with a block (a
leaf of the trace) and the model itself are not called so: their forward hooks are not in the
graph. Backward hooks change or read gradients, which no block does. Each hook of the user's is
a :class:`~.training.TrainsDifferently` warning naming it and its file and line; where the
compiled graph's outputs differ from the model's, :func:`hook_hint` names the hooks left out
as the likely cause. Hooks of torch's own (``weight_norm``'s) are left to the rules that know
them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules import module as _module

from .trace import leaf
from .training import TrainsDifferently

_TORCH_DIR = Path(torch.__file__).resolve().parent
_KINDS = (("_forward_pre_hooks", "forward pre-hook"), ("_forward_hooks", "forward hook"),
          ("_backward_pre_hooks", "backward pre-hook"), ("_backward_hooks", "backward hook"))
_GLOBAL = (("_global_forward_pre_hooks", "global forward pre-hook"),
           ("_global_forward_hooks", "global forward hook"),
           ("_global_backward_pre_hooks", "global backward pre-hook"),
           ("_global_backward_hooks", "global backward hook"))


def warn_hooks(model: nn.Module) -> None:
    """A :class:`TrainsDifferently` warning for each hook of the user's on ``model``, its
    modules, or every module (a global hook)."""
    for path, kind, hook in _hooks(model):
        name = _described(hook)
        on = _module_named(model, path)
        if kind.startswith("global"):
            text = (f"the {kind} {name} runs on every module's call; the imported "
                    f"graph has no hooks, so what it does (changing inputs, outputs or "
                    f"gradients, saving or printing them) is left out")
        elif "backward" in kind:
            text = (f"the {kind} {name} on {on} changes or reads its gradients while "
                    f"the model trains; the imported graph has no hooks, so it trains without "
                    f"it")
        elif _left_out(model, path):
            text = (f"the {kind} {name} on {on} is not part of the imported graph "
                    f"(the import traces forward, not the hooks a call runs): what it does "
                    f"(changing the {'inputs' if 'pre' in kind else 'outputs'}, saving or "
                    f"printing them) is left out; write it into forward to import it")
        else:
            text = (f"the {kind} {name} on {on} ran while the model was traced: what "
                    f"it computes from the tensors is in the imported graph, but anything else "
                    f"it does (saving activations, printing) is not")
        warnings.warn(text, TrainsDifferently, stacklevel=2)


def hook_hint(model: nn.Module) -> str:
    """Why the compiled graph's outputs may differ from the model's, where forward hooks that
    are not in the graph can change them: ``"; the likely cause: …"``, or ""."""
    found = [f"the {kind} {_described(hook)} on {_module_named(model, path)}"
             for path, kind, hook in _hooks(model) if "forward" in kind
             and (kind.startswith("global") or _left_out(model, path))]
    if not found:
        return ""
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return (f"; the likely cause: forward hooks not part of the imported graph ({shown}) "
            f"change what the model computes when called (write what they do into forward)")


def _hooks(model: nn.Module) -> Iterator[tuple[str | None, str, object]]:
    """``(module path or None for a global hook, kind, hook)`` of the user's hooks."""
    for path, module in model.named_modules():
        for attribute, kind in _KINDS:
            for hook in getattr(module, attribute, {}).values():
                if not _torch_own(hook):
                    yield path, kind, hook
    for attribute, kind in _GLOBAL:
        for hook in getattr(_module, attribute, {}).values():
            if not _torch_own(hook):
                yield None, kind, hook


def _left_out(model: nn.Module, path: str | None) -> bool:
    """The forward hooks of the module at ``path`` are not traced: the model itself, or a
    layer the trace keeps whole (a block)."""
    return not path or leaf(model.get_submodule(path), path)


def _code(hook: object):
    function = hook
    while isinstance(function, functools.partial):
        function = function.func
    code = getattr(function, "__code__", None)
    if code is None and callable(function):  # an object with a __call__ method
        code = getattr(type(function).__call__, "__code__", None)
    return function, code


def _torch_own(hook: object) -> bool:
    _, code = _code(hook)
    if code is None:
        return False
    try:
        return Path(code.co_filename).resolve().is_relative_to(_TORCH_DIR)
    except OSError:
        return False


def _described(hook: object) -> str:
    """``save_features (models.py:12)`` or ``(a lambda, models.py:30)``: the hook's name and
    where it is defined."""
    function, code = _code(hook)
    name = getattr(function, "__name__", None) or type(function).__name__
    where = "" if code is None or code.co_filename.startswith("<") else \
        f"{Path(code.co_filename).name}:{code.co_firstlineno}"
    if name == "<lambda>":
        return f"(a lambda, {where})" if where else "(a lambda)"
    return f"{name} ({where})" if where else name


def _module_named(model: nn.Module, path: str | None) -> str:
    if path is None:
        return "every module"
    if not path:
        return f"the model ({type(model).__name__})"
    return f"{path} ({type(model.get_submodule(path)).__name__})"
