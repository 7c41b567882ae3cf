"""Regression targets far from unit scale (house prices of 2e5) are learned standardised.

A network's output starts near 0 and an optimiser moves each weight by about its learning rate a
step, so a target of 2e5 is never reached, and its squared errors make every gradient look like
an explosion. As scikit-learn's ``TransformedTargetRegressor`` does, the model learns
``(y - mean) / std`` of the training split instead: the loss is taken there, while MAE, RMSE and
R² are measured in the target's own units.

The standardised values are learned by the design's last Linear (the one that feeds its Output),
so undoing the standardisation is itself a Linear: ``weight · std``, ``bias · std + mean``. Every
checkpoint's ``"model"`` holds the weights folded so, which makes a saved model predict in the
target's units wherever it goes (the Results page, code, TorchScript, ONNX, safetensors, the
bundle's predict.py) with the graph unchanged. The Linear's weights as trained are kept beside
them under ``"target_scale"``, so a resumed run continues from the very same numbers.

>>> scale = TargetScale("head", (200000.0,), (50000.0,))
>>> state = {"head.weight": torch.ones(1, 2), "head.bias": torch.zeros(1)}
>>> folded = fold(state, scale)
>>> folded["head.weight"].tolist(), folded["head.bias"].tolist()
([[50000.0, 50000.0]], [200000.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from layerloom.graph.naming import node_names

LARGE_TARGET = 10.0  # a target column whose mean or spread is above this is learned standardised
MODES = ("auto", "off")
# blocks between the last Linear and the Output that leave its values as they are at inference
PASS_THROUGH = ("Dropout", "Flatten", "Identity")


@dataclass(frozen=True)
class TargetScale:
    head: str  # the module name of the Linear that learns the standardised values
    mean: tuple[float, ...]  # per target column, of the training split
    std: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"head": self.head, "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: dict | None) -> TargetScale | None:
        if not data:
            return None
        return cls(str(data["head"]), tuple(map(float, data["mean"])),
                   tuple(map(float, data["std"])))

    def describe(self, name: str) -> str:
        """``price is standardised for training (mean 218,143, sd 80,253); predictions and
        metrics are in price's units``."""
        return (f"{name} is standardised for training ({_stats(self.mean, self.std)}); "
                f"predictions and metrics are in {name}'s units")


def _stats(mean, std) -> str:
    """``mean 218,143, sd 80,253``, per target column."""
    return ", ".join(f"mean {_number(m)}, sd {_number(s)}" for m, s in zip(mean, std, strict=True))


def _number(value: float) -> str:
    """1234.5 as ``1,234``, 12.345 as ``12.3``: the figures a person reads, with separators."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def target_name(ds) -> str:
    """The target column's name (a table's), else ``the target``."""
    return (getattr(ds, "meta", None) or {}).get("target") or "the target"


def recorded(scale: TargetScale | None, ds) -> dict | None:
    """What the runs database keeps of a run's standardisation (``Run.target_scale``): its
    statistics and head with the target's name; None for a target learned as it is."""
    return None if scale is None else {**scale.to_dict(), "target": target_name(ds)}


def loss_scale(entry: dict | None) -> tuple | None:
    """What a run's loss is measured on, from its recorded ``target_scale``: None for the
    target's own units (and for runs of other tasks), else the standardisation's statistics.
    Runs whose loss scales differ have losses that do not compare (0.04 standardised against
    1e10 in dollars squared); their MAE, in the target's units, does."""
    if not entry:
        return None
    return tuple(map(float, entry["mean"])), tuple(map(float, entry["std"]))


def loss_words(entry: dict | None) -> str:
    """What a run's loss is on, in words: ``price standardised (mean 218,143, sd 80,253)``,
    or ``the target in its own units``."""
    if not entry:
        return "the target in its own units"
    return (f"{entry.get('target') or 'the target'} standardised "
            f"({_stats(entry['mean'], entry['std'])})")


def target_stats(ds) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Per-column mean and standard deviation of a regression dataset's training targets
    (a constant column gets 1); None for too few samples or targets that are not numbers."""
    y = getattr(ds, "y_train", None)
    if not isinstance(y, torch.Tensor) or not y.is_floating_point() or len(y) < 2:
        return None
    y = y.double().reshape(len(y), -1)
    mean, std = y.mean(0), y.std(0)
    if not (torch.isfinite(mean).all() and torch.isfinite(std).all()):
        return None
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return tuple(mean.tolist()), tuple(std.tolist())


def far_from_unit(mean, std) -> bool:
    """Whether some target column is far from the unit scale a network's output starts at."""
    return any(max(abs(m), s) > LARGE_TARGET for m, s in zip(mean, std, strict=True))


def head_linear(top, output: str) -> str | None:
    """The id of the Linear (with a bias, once, in the main graph) whose values reach the
    Output ``output`` unchanged at inference; None when the design ends otherwise (a Sigmoid,
    a Rescaling, a composite block)."""
    node = top.nodes[top.nodes[output].inputs[0]]
    while node.spec is not None and (node.repeat == 0 or (
            node.type in PASS_THROUGH and node.repeat == 1)) and node.inputs:
        node = top.nodes[node.inputs[0]]
    if node.spec is None or node.type != "Linear" or node.repeat != 1:
        return None
    params = node.copies[0].params if node.copies else {}
    if not params.get("bias", True) or node.node.extra.get("trainable") is False:
        return None
    return node.id


def plan(graph, top, output: str, ds, mode: str = "auto",
         init_weights: str | None = None) -> TargetScale | None:
    """The standardisation a regression run of ``graph`` (resolved as ``top``) on ``ds``
    trains with, or None: ``mode`` "off", targets near unit scale, weights brought in (they
    predict in the data's units already), or no last Linear to fold it into."""
    if mode == "off" or init_weights:
        return None
    stats = target_stats(ds)
    if stats is None or not far_from_unit(*stats):
        return None
    head = head_linear(top, output)
    if head is None or top.nodes[head].shape not in ((len(stats[0]),), ()):
        return None
    return TargetScale(node_names([n.id for n in graph.nodes])[head], *stats)


def fold(state: dict, scale: TargetScale) -> dict:
    """``state`` with the head's standardised weights turned into the target's units."""
    out = dict(state)
    weight, bias = state[f"{scale.head}.weight"], state[f"{scale.head}.bias"]
    std = torch.tensor(scale.std, dtype=torch.float64, device=weight.device)
    mean = torch.tensor(scale.mean, dtype=torch.float64, device=weight.device)
    out[f"{scale.head}.weight"] = (weight.double() * std[:, None]).to(weight.dtype)
    out[f"{scale.head}.bias"] = (bias.double() * std + mean).to(bias.dtype)
    return out


def head_state(state: dict, scale: TargetScale) -> dict:
    """The head's weights as trained (standardised), copied, for the checkpoint."""
    return {k: state[f"{scale.head}.{k}"].detach().clone() for k in ("weight", "bias")}


def checkpoint_entry(state: dict, scale: TargetScale | None) -> dict | None:
    """What a checkpoint keeps under ``"target_scale"``: the statistics and the trained head."""
    if scale is None:
        return None
    return {**scale.to_dict(), "trained": head_state(state, scale)}


def load_trained(module: nn.Module, checkpoint: dict) -> TargetScale | None:
    """Load a checkpoint's weights into ``module`` as they train (the head standardised again
    where the run standardised its target); the run's TargetScale, None for runs saved before
    targets were standardised or without it."""
    module.load_state_dict(checkpoint["model"])
    entry = checkpoint.get("target_scale")
    scale = TargetScale.from_dict(entry)
    if scale is not None:
        head = module.get_submodule(scale.head)
        with torch.no_grad():
            head.weight.copy_(entry["trained"]["weight"])
            head.bias.copy_(entry["trained"]["bias"])
    return scale


def regression_output(graph, ds, config: dict, variables: dict | None = None):
    """``(resolved graph, top level, its one used Output)`` of a recorded regression run; None
    where the graph is invalid, the run is no regression, or it has several Outputs."""
    from layerloom.graph import validate

    from .data.fit import resolve_task

    report = validate(graph, variables or None)
    if not report.ok or resolve_task(config.get("task", "auto"), graph, ds) != "regression":
        return None
    top = report.resolution.top
    outputs = [o for o in top.outputs if top.nodes[o].used]
    if len(outputs) != 1:
        return None
    return report.resolution.graph, top, outputs[0]


def run_scale(graph, ds, config: dict, variables: dict | None = None) -> TargetScale | None:
    """The standardisation a recorded run trains with, from its graph, data and config (a
    run recorded before targets were standardised has no ``target_scaling``: none)."""
    found = regression_output(graph, ds, config, variables)
    return None if found is None else planned_for(found, ds, config)


def planned_for(found: tuple, ds, config: dict) -> TargetScale | None:
    """:func:`plan` for a run's :func:`regression_output`, with its config's settings."""
    resolved, top, output = found
    return plan(resolved, top, output, ds, config.get("target_scaling", "off"),
                config.get("init_weights"))
