"""Layers whose weight is computed from other parameters at each call: ``weight_norm`` and
``spectral_norm`` (as ``torch.nn.utils`` hooks or ``torch.nn.utils.parametrizations``), or any
``torch.nn.utils.parametrize`` parametrisation.

``weight_norm`` over dim 0 (its default) of a Linear's or a convolution's weight is the
block's ``weight_norm`` param (:func:`weight_norm_dim`), its g and v the block's;
``spectral_norm`` with its defaults (one power iteration, eps 1e-12, the layer's own dim) is the
block's ``spectral_norm`` param (:func:`spectral_norm_of`), its weight, u and v the block's. No
block keeps any other: the weight it gives now could be imported as a plain weight, but trained so
it is another model (spectral_norm's bound on the weight is gone). So the import is refused,
with the line that removes it: the user decides that the plain weight is what they want.

>>> reparametrisation(torch.nn.utils.weight_norm(nn.Conv1d(4, 8, 3)), "conv")[1]  # doctest: +SKIP
'torch.nn.utils.remove_weight_norm(model.conv)'
"""

from __future__ import annotations

import warnings

from torch import nn
from torch.nn.utils import parametrize

# the torch.nn.utils hooks (their class names) and the parametrisations' names as users write them
_HOOKS = {"WeightNorm": ("weight_norm", "torch.nn.utils.remove_weight_norm({module})"),
          "SpectralNorm": ("spectral_norm", "torch.nn.utils.remove_spectral_norm({module})")}
_PARAMETRIZATIONS = {"_WeightNorm": "weight_norm", "_SpectralNorm": "spectral_norm",
                     "_Orthogonal": "orthogonal"}
_WHAT = {"weight_norm": "weight = g · v / ‖v‖, learned as g and v",
         "spectral_norm": "the weight divided by its largest singular value, kept at most 1"}


def reparametrisation(module: nn.Module, path: str) -> tuple[str, str] | None:
    """``(how its weight is computed, the Python line that makes it a plain weight)`` for a
    reparametrised ``module`` at ``path`` of the model, or None."""
    target = _expression(path)
    for hook in module._forward_pre_hooks.values():
        found = _HOOKS.get(type(hook).__name__)
        if found is not None and type(hook).__module__.startswith("torch.nn.utils"):
            kind, fix = found
            return (f"its {getattr(hook, 'name', 'weight')} is reparametrised by {kind} "
                    f"({_WHAT[kind]})", fix.format(module=target))
    if parametrize.is_parametrized(module):
        for name, chain in module.parametrizations.items():
            kinds = [_PARAMETRIZATIONS.get(type(p).__name__, type(p).__name__) for p in chain]
            what = f" ({_WHAT[kinds[0]]})" if len(kinds) == 1 and kinds[0] in _WHAT else ""
            return (f"its {name} is reparametrised by {' then '.join(kinds)}{what}",
                    f"torch.nn.utils.parametrize.remove_parametrizations({target}, {name!r})")
    return None


def weight_norm_dim(module: nn.Module) -> int | None | str:
    """The ``dim`` of ``weight_norm`` where it is ``module``'s one reparametrisation, of its
    ``weight`` (as a ``torch.nn.utils`` hook or a parametrisation); ``"none"`` where it is not
    (``dim=None`` is a norm over the whole weight, returned as None)."""
    hooks = [h for h in module._forward_pre_hooks.values()
             if type(h).__name__ in _HOOKS and type(h).__module__.startswith("torch.nn.utils")]
    if parametrize.is_parametrized(module):
        chains = dict(module.parametrizations.items())
        if hooks or list(chains) != ["weight"] or len(chains["weight"]) != 1 \
                or type(chains["weight"][0]).__name__ != "_WeightNorm":
            return "none"
        return chains["weight"][0].dim
    if len(hooks) == 1 and type(hooks[0]).__name__ == "WeightNorm" and hooks[0].name == "weight":
        return hooks[0].dim
    return "none"


def spectral_norm_of(module: nn.Module) -> tuple[str, str | None] | None:
    """``(how, why not)`` where ``spectral_norm`` is ``module``'s one reparametrisation, of its
    ``weight``: ``how`` is ``"hook"`` (``torch.nn.utils.spectral_norm``) or
    ``"parametrization"``, ``why not`` None where the block's ``spectral_norm`` computes it (one
    power iteration, eps 1e-12, over the layer's own dim: 1 for a transposed convolution, else
    0), else what differs. None where the module has no spectral_norm, or more than it."""
    hooks = [h for h in module._forward_pre_hooks.values()
             if type(h).__name__ in _HOOKS and type(h).__module__.startswith("torch.nn.utils")]
    if parametrize.is_parametrized(module):
        chains = dict(module.parametrizations.items())
        if hooks or list(chains) != ["weight"] or len(chains["weight"]) != 1 \
                or type(chains["weight"][0]).__name__ != "_SpectralNorm":
            return None
        found, how = chains["weight"][0], "parametrization"
    elif len(hooks) == 1 and type(hooks[0]).__name__ == "SpectralNorm" \
            and hooks[0].name == "weight":
        found, how = hooks[0], "hook"
    else:
        return None
    own = 1 if isinstance(module, nn.modules.conv._ConvTransposeNd) else 0
    differs = [f"{name}={getattr(found, name)}" for name, default in
               (("n_power_iterations", 1), ("eps", 1e-12), ("dim", own))
               if getattr(found, name) != default]
    return how, (f"its spectral_norm has {', '.join(differs)}, and the block's is torch's "
                 f"default (n_power_iterations=1, eps=1e-12, dim={own})" if differs else None)


# the torch.nn.utils hooks' names of weight_norm's g and v and of spectral_norm's weight, u
# and v, and the parametrisations' (the block's)
_HOOK_KEYS = {"weight_g": "parametrizations.weight.original0",
              "weight_v": "parametrizations.weight.original1"}
_SPECTRAL_KEYS = {"weight_orig": "parametrizations.weight.original",
                  "weight_u": "parametrizations.weight.0._u",
                  "weight_v": "parametrizations.weight.0._v"}


def as_parametrised(keys: dict) -> dict:
    """A reparametrised layer's ``state_dict`` keys as the parametrisation names them (the
    block's): ``weight_g`` and ``weight_v`` of the weight_norm hook are ``original0`` and
    ``original1``; ``weight_orig``, ``weight_u`` and ``weight_v`` of the spectral_norm hook
    are ``original``, ``0._u`` and ``0._v``."""
    renames = _SPECTRAL_KEYS if "weight_orig" in keys and "weight_u" in keys else _HOOK_KEYS
    return {renames.get(k, k): v for k, v in keys.items()}


def warn_spectral_hook(path: str) -> None:
    """Say that the ``torch.nn.utils.spectral_norm`` hook of the layer at ``path`` imports as
    torch's parametrization, whose power iteration takes its two steps in the other order."""
    from .training import TrainsDifferently

    warnings.warn(f"{path}: the torch.nn.utils.spectral_norm hook imports as the block's "
                  f"spectral_norm (torch.nn.utils.parametrizations.spectral_norm), with the "
                  f"layer's weight, u and v; evaluation gives the model's outputs, but while "
                  f"training the hook's power iteration updates v before u and the "
                  f"parametrization u before v, so the weight's scale differs slightly at each "
                  f"training step (use parametrizations.spectral_norm in the model to train "
                  f"alike)", TrainsDifferently, stacklevel=2)


def refusal(module: nn.Module, path: str, model: nn.Module) -> str | None:
    """Why ``module`` (at ``path``) does not import, with the fix and the model's other
    reparametrised layers, or None when it is not reparametrised."""
    found = reparametrisation(module, path)
    if found is None:
        return None
    how, fix = found
    others = [name for name, m in model.named_modules()
              if name and name != path and reparametrisation(m, name) is not None]
    more = ""
    if others:
        shown = ", ".join(others[:4]) + (" …" if len(others) > 4 else "")
        count = "is 1 more layer" if len(others) == 1 else f"are {len(others)} more layers"
        more = f"; so {count} of the model, to do the same for: {shown}"
    return (f"{how}, which no block keeps: importing the weight it gives now as a plain weight "
            f"would train another model. To import it so, write a function that builds the "
            f"model, runs {fix} and returns the model, and import that function{more}")


def _expression(path: str) -> str:
    """``model.conv`` or ``model.get_submodule('tcn.network.0.conv1')``."""
    if all(part.isidentifier() for part in path.split(".")):
        return f"model.{path}"
    return f"model.get_submodule({path!r})"
