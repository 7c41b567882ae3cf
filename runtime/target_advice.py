"""What to do where a regression target far from unit scale is learned as it is.

Training standardises such a target itself where the design's last Linear feeds the Output
(``target_scale.py``). Where it cannot, or is told not to, the fix depends on how the design
ends, and the numbers are the target's own:

- a Linear (target_scaling off, weights brought in, a frozen one): a Rescaling between it and
  the Output, scale the target's sd and offset its mean; without a bias, setting its bias too;
- an activation that keeps its outputs unbounded (a ReLU, for prices that may not go below 0;
  GELU, ELU…): the Rescaling goes before the activation, so that the block before it learns
  standardised values and the activation still acts on the target's units (a Rescaling after
  a ReLU would keep every prediction at the mean or above);
- an activation with a bounded range (Sigmoid's (0, 1)): a Rescaling after it mapping that
  range onto the target's training range (a scale of the sd would keep predictions within one
  sd above the mean), or the activation removed;
- a composite block: a Linear after it, which training then standardises for.

A design that has a Rescaling at its end already (after, or before, its last activation) is
standardised by hand: nothing to advise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .target_scale import PASS_THROUGH, far_from_unit, head_linear, target_name, target_stats

# activations with a bounded range: (low, high) of their outputs
BOUNDED = {"Sigmoid": (0.0, 1.0), "Hardsigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0),
           "ReLU6": (0.0, 6.0)}
NON_NEGATIVE = ("ReLU", "Softplus")
NOT_ELEMENTWISE = ("Softmax", "LogSoftmax")  # activations over a dimension


@dataclass(frozen=True)
class Advice:
    why: str  # why the target is learned as it is: "target_scaling is off"
    fix: str  # what to change, with the numbers


def typed(value: float) -> str:
    """A number as one types it into a param: ``98212``, ``0.5``, ``-12.35``."""
    if abs(value) >= 100:
        return str(round(value))
    return f"{value:.4g}"


def _skipped(node) -> bool:
    """A block that hands its input on at inference (Dropout, Flatten), or one left out."""
    return node.spec is not None and (node.repeat == 0 or (
        node.type in PASS_THROUGH and node.repeat == 1))


def _before(top, node):
    """The block feeding ``node``, past those that hand values on; None at the design's
    start."""
    while node.inputs:
        node = top.nodes[node.inputs[0]]
        if not _skipped(node):
            return node
    return None


def _elementwise(node) -> bool:
    return node is not None and node.spec is not None and \
        node.spec.category == "Activation" and node.type not in NOT_ELEMENTWISE


def rescaled(top, output: str) -> str | None:
    """The id of the Rescaling at the design's end (before the Output, past any activations
    after it), or None."""
    node = _before(top, top.nodes[output])
    while _elementwise(node):
        if node.type == "Rescaling":
            return node.id
        node = _before(top, node)
    return None


def advice(top, output: str, ds, mode: str = "auto",
           init_weights: str | None = None) -> Advice | None:
    """Why a regression target far from unit scale is learned as it is by this design and
    these settings, and the fix, exact for how the design ends; None where the target is near
    unit scale or the design has a Rescaling at its end. Call it where ``target_scale.plan``
    gives no standardisation."""
    stats = target_stats(ds)
    if stats is None or not far_from_unit(*stats) or rescaled(top, output):
        return None
    name = target_name(ds)
    mean, std = stats[0][0], stats[1][0]
    by_itself = mode != "off" and not init_weights  # training would standardise for a Linear
    where = f"the Output {output}"
    last = _before(top, top.nodes[output])
    if last is None:
        return None
    rescale = (f"drop a Rescaling block (palette: Activation) on the wire from {last.id} to "
               f"{where} and set its scale to {typed(std)} and offset to {typed(mean)}: the "
               f"layers before it then learn standardised values, and the model still "
               f"predicts in {name}'s units")
    if mode == "off":
        why = "target_scaling is off"
    elif init_weights:
        why = "the weights brought in predict in its units already"
    else:
        why = None
    if last.type == "Linear" and last.spec is not None:
        params = last.copies[0].params if last.copies else {}
        if not params.get("bias", True):
            why = why or f"its last Linear, {last.id}, has no bias to learn the mean with"
            if by_itself:
                return Advice(why, f"Set {last.id}'s bias to true: training then standardises "
                                   f"{name} itself. Or {rescale}")
        elif last.node.extra.get("trainable") is False:
            why = why or f"its last Linear, {last.id}, is frozen: trainable false"
        elif head_linear(top, output) is not None and by_itself:
            why = why or "its Linear does not give one value per target column"
        else:
            why = why or f"its last Linear, {last.id}, is repeated"
        if mode == "off":
            return Advice(why, f"Set target_scaling to auto (the Train page's setting): "
                               f"training then standardises {name} itself. Or {rescale}")
        return Advice(why, rescale[0].upper() + rescale[1:])
    kind = "a composite block" if last.spec is None else f"a {last.type}"
    why = why or f"the design ends in {last.id}, {kind}, not in a Linear"
    if last.spec is None:
        width = len(stats[0])
        linear = (f"Add a Linear with out_features {width} between {last.id} and {where}"
                  f"{': training then standardises ' + name + ' itself' if by_itself else ''}")
        if by_itself:
            return Advice(why, linear)
        return Advice(why, f"{linear}, then a Rescaling block (palette: Activation) between it "
                           f"and {where}, with scale {typed(std)} and offset {typed(mean)}")
    if last.type in BOUNDED or last.type == "Hardtanh":
        low, high = BOUNDED.get(last.type) or (
            float(last.copies[0].params["min_val"]), float(last.copies[0].params["max_val"]))
        y = ds.y_train.double()
        lowest, highest = float(y.min()), float(y.max())
        scale = (highest - lowest) / (high - low)
        feeding = _before(top, last)
        unless = (f": training then standardises {name} itself" if by_itself and feeding
                  is not None and feeding.type == "Linear" else "")
        return Advice(why, (
            f"{last.id} gives values between {typed(low)} and {typed(high)} only: drop a "
            f"Rescaling block (palette: Activation) on the wire from {last.id} to {where} and "
            f"set its scale to {typed(scale)} and offset to {typed(lowest - low * scale)}, "
            f"which spans {name}'s training range ({typed(lowest)} to {typed(highest)}); or "
            f"remove {last.id}{unless}"))
    feeding = _before(top, last)
    if _elementwise(last) and feeding is not None:
        keeps = (f"{last.id} still keeps every prediction at 0 or above"
                 if last.type in NON_NEGATIVE else f"{last.id} acts on values in {name}'s units")
        return Advice(why, (
            f"Drop a Rescaling block (palette: Activation) on the wire from {feeding.id} to "
            f"{last.id} and set its scale to {typed(std)} and offset to {typed(mean)}: "
            f"{feeding.id} then learns standardised values, and {keeps}"
            + (f" (a Rescaling after {last.id} would keep every prediction at the mean or "
               f"above)" if last.type in NON_NEGATIVE else "")))
    return Advice(why, rescale[0].upper() + rescale[1:])


def cause(top, output: str, ds, mode: str = "auto", init_weights: str | None = None
          ) -> str | None:
    """Why a regression run's gradients are huge where it learns a target far from unit scale
    as it is: the target's scale, for which a lower learning rate is the wrong cure, with the
    fix for this design (:func:`advice`). None for a target near unit scale."""
    stats = target_stats(ds)
    if stats is None or not far_from_unit(*stats):
        return None
    name, mean, std = target_name(ds), stats[0][0], stats[1][0]
    units = f"{name} is learned in its own units (mean {typed(mean)}, sd {typed(std)})"
    by_hand = rescaled(top, output)
    if by_hand:
        return (f"{units} through {by_hand}, so its errors and every gradient are of that "
                f"size: the target's scale is the cause, not a learning rate too high")
    found = advice(top, output, ds, mode, init_weights)
    if found is None:
        return None
    return (f"{units} ({found.why}), so its errors and every gradient are of that size: the "
            f"target's scale is the cause, and a lower learning rate would only slow "
            f"training. {found.fix}.")


def run_cause(graph, ds, config: dict, variables: dict | None = None) -> str | None:
    """:func:`cause` for a recorded run, from its graph, data and config; None where it
    learns its target standardised, or is no regression."""
    from .target_scale import planned_for, regression_output

    found = regression_output(graph, ds, config, variables)  # validated once for both
    if found is None or planned_for(found, ds, config) is not None:
        return None
    _, top, output = found
    return cause(top, output, ds, config.get("target_scaling", "off"),
                 config.get("init_weights"))
