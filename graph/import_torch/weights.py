"""The imported model's weights, keyed for the compiled graph.

:class:`WeightMap` maps each ``state_dict`` key of the compiled graph to the original model's
key (``layer1_0_conv1.weight`` ← ``layer1.0.conv1.weight``) and knows each tensor's shape in the
compiled model (a ``[1, L, D]`` positional parameter becomes the block's ``[L, D]`` table), and
which it holds transposed (transformers' Conv1D keeps a Linear's weight as ``[in, out]``).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..errors import GraphError


class WeightMap(dict):
    """``{compiled key: original key}``, with ``shapes`` and :meth:`apply`.

    >>> weights = WeightMap({"fc.weight": "head.fc.weight"}, shapes={"fc.weight": (2, 3)})
    >>> weights.apply({"head.fc.weight": torch.ones(2, 3)})["fc.weight"].shape
    torch.Size([2, 3])
    """

    def __init__(self, *args, shapes: Mapping[str, tuple[int, ...]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shapes: dict[str, tuple[int, ...]] = dict(shapes or {})
        # original key -> value, for a buffer registered with persistent=False (a positional
        # table made in __init__): the model's state_dict leaves it out, the graph needs it
        self.unsaved: dict[str, torch.Tensor] = {}
        # compiled keys whose tensor is the original's transposed (a [in, out] weight of
        # transformers' Conv1D held by a Linear block as [out, in])
        self.transposed: set[str] = set()

    def apply(self, state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The original ``state_dict`` renamed (and reshaped) for the compiled graph."""
        state_dict = {**self.unsaved, **state_dict}
        missing = sorted(set(self.values()) - set(state_dict))
        if missing:
            raise KeyError(f"the state_dict lacks {', '.join(missing[:5])}")
        out = {}
        for key, source in self.items():
            tensor = state_dict[source].detach()
            if key in self.transposed:
                tensor = tensor.t()
            shape = self.shapes.get(key, tuple(tensor.shape))
            out[key] = tensor.reshape(shape).clone().contiguous()
        return out


def match_weights(weights: WeightMap, block_id: str, attribute: str,
                  built: Mapping[str, torch.Tensor],
                  original: Mapping[str, tuple[str, torch.Tensor]],
                  transposed: tuple[str, ...] = ()) -> None:
    """Pair every weight of the block (``built``) with one of the original module's.

    A block may wrap the torch module (``Recurrent.rnn``, ``Attention.attn``), so its keys may
    carry one more leading name than the original's. Every weight on both sides must pair up,
    with the same number of values, or the import is refused. ``attribute`` is the block's
    submodule name in the compiled model (``graph/naming.py``). ``transposed``: the original's
    keys (of 2-D weights) that the block holds transposed, which must then have the block's
    shape once transposed.
    """
    used = set()
    for key, tensor in built.items():
        candidates = [key] + ([key.split(".", 1)[1]] if "." in key else [])
        found = next((c for c in candidates if c in original), None)
        if found is None:
            raise GraphError(f"the block has a weight '{key}' that the original module lacks",
                             node=block_id)
        source, value = original[found]
        if found in transposed:
            value = value.t()
            if tuple(value.shape) != tuple(tensor.shape):
                raise GraphError(f"weight '{key}' has shape {list(tensor.shape)} in the block "
                                 f"but {list(value.shape)} transposed in the original "
                                 f"({source})", node=block_id)
            weights.transposed.add(f"{attribute}.{key}")
        if value.numel() != tensor.numel():
            raise GraphError(f"weight '{key}' has shape {list(tensor.shape)} in the block but "
                             f"{list(value.shape)} in the original ({source})", node=block_id)
        weights[f"{attribute}.{key}"] = source
        weights.shapes[f"{attribute}.{key}"] = tuple(tensor.shape)
        used.add(found)
    left = [original[k][0] for k in original if k not in used]
    if left:
        raise GraphError(f"the original's weights {', '.join(left)} have no place in the block",
                         node=block_id)
