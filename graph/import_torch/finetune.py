"""Fine-tuning an imported model: its weights read back, its head fitted to other classes, and
all but the head frozen.

>>> head = replace_head(graph, 3)             # the last Linear now gives 3 classes  # doctest: +SKIP
>>> freeze_all_but(graph, [head])            # "trainable": false everywhere else    # doctest: +SKIP
>>> fresh = load_fitting(model, read_weights("imported.safetensors"))  # the head starts fresh  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

from ..errors import GraphError
from ..model import Graph

# blocks a classifier's head may end with after its last Linear
_AFTER_HEAD = ("Softmax", "LogSoftmax", "Dropout", "Identity", "Flatten", "Sigmoid")


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A ``.safetensors`` file's tensors (nothing is unpickled); GraphError naming the file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise GraphError(f"no weights file {path}") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise GraphError(f"{path} is not a readable safetensors file: {exc}") from None


def load_fitting(model: nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """Load every tensor of ``state`` whose key and shape fit ``model``; the keys left with
    their fresh values because their shape differs (a replaced head). A file for another
    design (keys missing or unknown) is a GraphError naming them."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unknown = sorted(set(state) - set(own))
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"lacks {', '.join(missing[:4])}" + (" …" if len(missing) > 4 else ""))
        if unknown:
            parts.append(f"has {', '.join(unknown[:4])}" + (" …" if len(unknown) > 4 else "")
                         + " that the design does not")
        raise GraphError(f"the weights do not fit this design: the file {' and '.join(parts)}")
    fresh = sorted(k for k in own if tuple(own[k].shape) != tuple(state[k].shape))
    fitting = {k: v for k, v in state.items() if k not in fresh}
    with torch.no_grad():
        for key, tensor in fitting.items():
            own[key].copy_(tensor)
    return fresh


def head_node(graph: Graph) -> str:
    """The id of the last Linear before the (single) Output, through softmax/dropout/flatten."""
    by_id = {n.id: n for n in graph.nodes}
    into: dict[str, list[str]] = {}
    for edge in graph.edges:
        into.setdefault(edge.target, []).append(edge.source)
    outputs = [n.id for n in graph.nodes if n.type == "Output"]
    if len(outputs) != 1:
        raise GraphError(f"replacing the head needs one Output, the design has {len(outputs)}")
    current = outputs[0]
    while True:
        sources = into.get(current, [])
        if len(sources) != 1:
            break
        node = by_id[sources[0]]
        if node.type == "Linear":
            return node.id
        if node.type not in _AFTER_HEAD:
            break
        current = node.id
    raise GraphError("the design does not end with a Linear layer (then only softmax, dropout "
                     "or flatten): no head to fit to the classes", node=current)


def replace_head(graph: Graph, classes: int) -> str:
    """Make the head (the last Linear) give ``classes`` outputs; its id. Every other node is
    unchanged, so every other weight still fits (:func:`load_fitting`)."""
    if not isinstance(classes, int) or classes < 1:
        raise GraphError(f"classes must be a positive whole number, got {classes!r}")
    head = head_node(graph)
    graph.node(head).params["out_features"] = classes
    return head


def freeze_all_but(graph: Graph, keep: Iterable[str]) -> list[str]:
    """Mark every node with weights but ``keep`` ``"trainable": false``; the frozen ids."""
    keep = set(keep)
    frozen = []
    for node in graph.nodes:
        if node.type in ("Input", "Output"):
            continue
        if node.id in keep:
            node.extra.pop("trainable", None)
        else:
            node.extra["trainable"] = False
            frozen.append(node.id)
    return frozen
