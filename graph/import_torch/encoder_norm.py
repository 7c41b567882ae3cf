"""``nn.TransformerEncoder(layer, n, norm=nn.LayerNorm(d))``: the encoder's blocks, then a
LayerNorm block holding the final norm's weights (the encoder block itself has no final norm).
"""

from __future__ import annotations

from torch import fx, nn

from .functions import Mapped
from .modules import find_rule


def with_final_norm(model: nn.Module, node: fx.Node, mapped: Mapped) -> Mapped:
    """``mapped`` (the encoder's layers) with its final norm chained after it, if it has one."""
    module = model.get_submodule(str(node.target))
    if not isinstance(module, nn.TransformerEncoder) or module.norm is None:
        return mapped
    block, params = find_rule(module.norm)(module.norm)  # the LayerNorm rule, its refusals too
    path = f"{node.target}.norm"
    mapped.then.append(Mapped(block, params, [], module=path, name=path))
    return mapped
