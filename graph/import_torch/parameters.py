"""Which of the model's parameters the imported design holds, said where it differs.

Tied weights (GPT-2's, nanoGPT's, AWD-LSTM's ``self.head.weight = self.emb.weight``): one
parameter of two layers. Each LayerLoom block has weights of its own and the graph format
cannot say two share one, so the design would hold two copies that train apart; the import is
refused, naming both layers and the parameter, unless asked to untie them (``untie=True``,
``--untie``), which it then notes. Parameters of modules that ``forward`` never uses (an
unused input transform, Inception's auxiliary head while evaluating) have no block: a note
names them and counts their values.

>>> refuse_tied(TiedLM(), weights, untie=False)                  # doctest: +SKIP
GraphError: TiedLM ties weights: emb.weight and head.weight are one parameter ...
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from torch import fx, nn

from ..errors import GraphError
from .training import ImportNote

_SHOWN = 6  # modules named in one note before "and N more"


def refuse_tied(model: nn.Module, sources: Iterable[str], untie: bool) -> None:
    """A GraphError for each parameter the design would hold under two or more of the model's
    names (``sources``: the model's keys the graph's weights come from); with ``untie``, an
    :class:`ImportNote` instead."""
    used = set(sources)
    by_tensor: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        by_tensor.setdefault(id(param), []).append(name)
    params = dict(model.named_parameters(remove_duplicate=False))
    for names in by_tensor.values():
        names = [n for n in names if n in used]
        if len(names) < 2:
            continue
        extra = (len(names) - 1) * params[names[0]].numel()
        keys = _and([f"'{n}'" for n in names])
        layers = _and([_layer(model, n) for n in names])
        copies = len(names)
        if untie:
            warnings.warn(f"untied as asked: {keys}, one parameter in the model ({layers} "
                          f"share it), are {copies} in the design that start equal and train "
                          f"apart ({extra:,} parameters more than the model)",
                          ImportNote, stacklevel=2)
            continue
        first, *others = names
        fix = "; ".join(f"model.{n} = nn.Parameter(model.{first}.detach().clone())"
                        for n in others)
        raise GraphError(
            f"{type(model).__name__} ties weights: {keys} are one parameter ({layers} share "
            f"it: weight tying); each LayerLoom block has weights of its own, so the design "
            f"would hold {copies} copies that train apart ({extra:,} parameters more than the "
            f"model); untie them in the model ({fix}) or import with --untie (untie=True) to "
            f"accept {copies} copies that start equal")


def note_left_out(model: nn.Module, gm: fx.GraphModule) -> None:
    """An :class:`ImportNote` naming the modules (and loose parameters) whose parameters the
    traced ``forward`` (``gm``) never reads, with their count: they have no place in the
    design."""
    reads = [str(n.target) for n in gm.graph.nodes if n.op in ("call_module", "get_attr")]

    def read(name: str) -> bool:
        return any(name == r or name.startswith(r + ".") for r in reads)

    params = dict(model.named_parameters())
    unread = {name for name in params if not read(name)}
    if not unread:
        return
    items, covered = [], set()
    for path, module in model.named_modules():
        if not path or any(path.startswith(c + ".") for c in covered):
            continue
        own = [f"{path}.{k}" for k, _ in module.named_parameters()]
        if own and all(k in unread for k in own):
            covered.add(path)
            count = sum(params[k].numel() for k in own)
            items.append((f"{path} ({type(module).__name__}, {count:,} params)", set(own)))
    for name in params:  # loose parameters, outside every module left out whole
        if name in unread and not any(name in keys for _, keys in items):
            items.append((f"{name} (a parameter, {params[name].numel():,} values)", {name}))
    shown = ", ".join(text for text, _ in items[:_SHOWN]) + (
        f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")
    total = sum(p.numel() for p in params.values())
    held = total - sum(params[name].numel() for name in unread)
    warnings.warn(f"left out: {shown}, never used by forward (as traced, in evaluation "
                  f"mode); the design holds {held:,} of the model's {total:,} parameters",
                  ImportNote, stacklevel=2)


def _layer(model: nn.Module, key: str) -> str:
    """``head (Linear)`` for ``head.weight``: the module holding the parameter ``key``."""
    path = key.rpartition(".")[0]
    if not path:
        return f"{type(model).__name__} itself"
    return f"{path} ({type(model.get_submodule(path)).__name__})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
