"""Scores made rows for a loss: a language model's ``decoded.view(-1, ntoken)``, every step of
every sample one row (``[S * B, V]`` or ``[B * S, V]``), as PyTorch's word language model writes
it for ``nn.NLLLoss``. A design keeps each sample's steps together after the batch, so the view
is refused at its own line, saying so and what to write instead: the scores kept
``[batch, steps, V]`` (a softmax over the last dimension; a sequence-first output transposed
back), flattened where the loss is computed. Where the steps come first (an LSTM built
sequence-first), the refusal would otherwise fall on the transpose the import put after that
LSTM, at the LSTM's line, saying to drop a permute the model does not have.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import fx, nn

from .rewriting import calls
from .sequence_first import FLIPPED

_VIEWS = ("view", "reshape", torch.reshape)
_PERMUTES = ("permute", "transpose", torch.permute, torch.transpose)


def rows_fix(before: tuple, after: tuple, call: str = "view") -> str:
    """What to write instead of the ``call`` (view or reshape) of ``before`` (its first two dims
    the steps and the samples, in either order) to ``after`` (one row each): "" for any other
    reshape."""
    if len(before) < 3 or tuple(after) != (before[0] * before[1], *before[2:]):
        return ""
    shown = ", ".join(map(str, before[2:]))
    return (f"; it makes every step of every sample a row ([{after[0]}, {shown}]), as a "
            f"language model's scores are flattened for a loss (nn.NLLLoss, "
            f"nn.CrossEntropyLoss), but a design keeps each sample's steps together after the "
            f"batch; fix: drop the {call} and keep [batch, steps, {shown}] (a sequence-first "
            f"[steps, batch, {shown}] tensor transposed back, .transpose(0, 1)); what follows "
            f"works on it as it is where it works on the last dimension (nn.Linear; a softmax "
            f"with dim=-1, F.log_softmax(decoded, dim=-1), not dim=1); flatten the scores where "
            f"the loss is computed (output.reshape(-1, {before[-1]}) against "
            f"targets.reshape(-1))")


def steps_as_rows(model: nn.Module, node: fx.Node, values: dict[fx.Node, Any]
                  ) -> tuple[fx.Node, str] | None:
    """``(the view, why it does not import)`` where ``node``, a refused transpose that takes
    the batch out of the first place (sequence-first steps), feeds a view or reshape that makes
    the steps and the samples rows; else None."""
    if not calls(node, _PERMUTES) or not isinstance(values.get(node), torch.Tensor):
        return None
    users = list(node.users)
    users += [u for c in node.users if calls(c, ("contiguous",)) for u in c.users]
    for user in users:
        if not calls(user, _VIEWS) or not isinstance(values.get(user), torch.Tensor) \
                or not isinstance(user.args[0], fx.Node) \
                or not isinstance(values.get(user.args[0]), torch.Tensor):
            continue
        before = tuple(values[user.args[0]].shape)
        after = tuple(values[user].shape)
        fix = rows_fix(before, after, user.target if isinstance(user.target, str)
                       else user.target.__name__)
        if not fix or math.prod(before) != math.prod(after):
            continue
        modules = [name for name, m in model.named_modules()
                   if m in FLIPPED or isinstance(m, nn.RNNBase) and not m.batch_first]
        modules = [n for n in modules if not any(n.startswith(f"{o}.") for o in modules)]
        built = (f" (steps first, as {', '.join(modules)} built sequence-first gives them)"
                 if modules else " (steps first)")
        return user, (f"it reshapes [{', '.join(map(str, before))}]{built} to "
                      f"[{', '.join(map(str, after))}], moving the batch dimension{fix}")
    return None
