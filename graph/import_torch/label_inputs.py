"""An input of shape ``[]``: one value per sample, ``[B]``, as a conditional GAN's class label::

    gen_input = torch.cat((self.label_emb(labels), noise), -1)   # labels: [B] int64

The design's Input then has shape ``[]`` and the Embedding gives ``[B, E]``, as the model's
does. A LayerLoom tensor keeps a dimension after the batch everywhere else, so such an input
imports only where every use of it is an ``nn.Embedding``; any other use is refused at its
line, saying to give the model ``[B, 1]`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import fx, nn

from ..errors import GraphError
from .functions import describe
from .trace import user_frames


def refuse_other_uses(model: nn.Module, gm: fx.GraphModule,
                      shapes: Sequence[tuple[int, ...]]) -> None:
    """A GraphError where an input of shape ``()`` is used other than by an nn.Embedding."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    for node, shape in zip(placeholders, shapes):
        if shape:
            continue
        for use in node.users:
            if use.op == "call_module" and \
                    isinstance(model.get_submodule(str(use.target)), nn.Embedding):
                continue
            frames = user_frames(use)
            line = f"{frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][1]}: " if frames else ""
            raise GraphError(f"{line}input {node.name!r} has shape [] (one value per sample, "
                             f"[batch]): only an nn.Embedding of it imports (a class label "
                             f"looked up), and {_use(model, use)} takes it here; fix: give this input "
                             f"shape [1] (and the model [batch, 1]), or look it up with an "
                             f"nn.Embedding")


def _use(model: nn.Module, node: fx.Node) -> str:
    if node.op == "call_module":
        return f"{node.target} ({type(model.get_submodule(str(node.target))).__name__})"
    return describe(node)
