"""Which functions and tensor methods become which blocks.

A rule receives the fx node and the :class:`Context` (values recorded on the sample input, the
batch size, parameters read through ``get_attr``) and returns what the node becomes:
:class:`Mapped` (one block, or a short chain of them), :class:`Alias` (no block: the node passes
a tensor on unchanged) or raises :class:`~.modules.Unsupported`. Dimensions are converted from
PyTorch's (batch counted) to LayerLoom's (batch not counted); anything that would touch the
batch dimension is refused.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..modules import SinusoidalPositionalEncoding
from .attention_masks import REFUSED, WRITTEN_OUT, WRITTEN_OUT_MASKS, padded_attention
from .causal_attention import DROPOUT
from .modules import Unsupported, batchless, float32_decimal
from .rearrangements import WRITTEN
from .rows import rows_fix
from .affine import affine, size_read, transposes
from .trace import FREE_SIZES
from .written_out import scale_shift
from .user_imports import public_name


@dataclass
class Mapped:
    """One block (``type``, ``params``) fed by ``inputs`` in port order; ``then`` chains more
    blocks after it (``mean(dim=(2, 3))`` is AdaptiveAvgPool2d then Flatten)."""

    type: str
    params: dict
    inputs: list[fx.Node]
    ports: list[str] | None = None
    module: str | None = None  # the nn.Module whose weights the block takes
    copies: list[str] = field(default_factory=list)  # or one module per copy, when repeated
    weights: dict[str, tuple[str, torch.Tensor]] = field(default_factory=dict)  # key -> source
    then: list[tuple[str, dict]] = field(default_factory=list)
    name: str | None = None  # the block's id stem (default: where the call is)
    trainable: bool = True  # False: its weights are the model's buffers (a fixed table)
    transposed: tuple[str, ...] = ()  # keys of ``weights`` the block holds transposed
    # Slices of positions picked one by one (x[:, 0], x[:, 1]): kept, not merged into a Chunk
    # (which would split another width differently)
    picked: bool = False


@dataclass
class Alias:
    """No block: the node's value is ``source``'s tensor (``contiguous()``, ``lstm(x)[0]``)."""

    source: fx.Node


@dataclass
class Const:
    """A parameter read with ``get_attr``, maybe sliced along its rows: ``self.pos[:L]``."""

    path: str
    tensor: torch.Tensor  # the whole parameter
    rows: bool = True  # the value is the parameter's leading rows (or all of it)


def held(model: nn.Module, path: str) -> str:
    """``"buffer"`` or ``"parameter"``: what the model keeps at ``path``, as messages name it."""
    return "buffer" if path in dict(model.named_buffers(remove_duplicate=False)) \
        else "parameter"


class Context(Protocol):
    batch: int
    model: Any
    gm: fx.GraphModule  # the trace (its meta: where the user's code reads self.training)

    def value(self, node: Any) -> Any: ...

    def tensor(self, node: Any, what: str) -> fx.Node: ...

    def const(self, node: Any) -> Const | None: ...

    def fixed(self, node: Any) -> tuple[torch.Tensor, Const | None] | None: ...


FunctionRule = Callable[["Context", fx.Node], "Mapped | Alias"]
FUNCTION_RULES: dict[Any, FunctionRule] = {}  # call_function target or call_method name


def rule(*targets: Any):
    def add(fn: FunctionRule) -> FunctionRule:
        for target in targets:
            FUNCTION_RULES[target] = fn
        return fn
    return add


def describe(node: fx.Node) -> str:
    """``torch.matmul``, ``operator.sub`` or ``Tensor.masked_fill``: how a user wrote it."""
    if getattr(node, "meta", {}).get(WRITTEN_OUT):  # no call of the model's own code
        return "the attention written out (its scores, softmax and @ v)"
    written = getattr(node, "meta", {}).get(WRITTEN)
    if written:  # a part of an einops call or a pixel shuffle
        return f"{written} (its {_plain(node)})"
    return _plain(node)


def _plain(node: fx.Node) -> str:
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    target = node.target
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    if module.startswith("torch.nn.functional") or target in vars(F).values():
        return f"torch.nn.functional.{name}"
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    if module == "torch" or module.startswith(("torch.", "torch._")) \
            or getattr(torch, name, None) is target:
        return f"torch.{name}"
    return f"{public_name(module)}.{name}" if module else name


def args(node: fx.Node, names: tuple[str, ...], defaults: dict | None = None) -> dict:
    """The node's arguments by name: positional ones in the order of ``names``, then keywords."""
    bound = dict(defaults or {})
    for name, value in zip(names, node.args):
        bound[name] = value
    if len(node.args) > len(names):
        raise Unsupported(f"more arguments than expected ({len(node.args)})")
    bound.update(node.kwargs)
    return bound


def _shape(ctx: Context, node: fx.Node) -> tuple[int, ...]:
    return tuple(ctx.value(node).shape)


def _dims(value: Any) -> list[int]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


# -- merges --------------------------------------------------------------------------------


@rule(operator.add, operator.iadd, torch.add, "add")
def _add(ctx: Context, node: fx.Node) -> Mapped | Alias:
    from .feature_tokens import tokenizer_bias

    for product in node.args[:2]:  # the tokenizer's bias, which its block holds
        if isinstance(product, fx.Node) and tokenizer_bias(ctx, node, product) is not None:
            return Alias(product)
    a = args(node, ("input", "other"), {"alpha": 1})
    if a["alpha"] != 1:
        raise Unsupported("alpha other than 1")
    x, y = a["input"], a["other"]
    scalar = _rescaling(ctx, node, x, y, "add")
    if scalar is not None:
        return scalar
    if _halved(node) and ctx.const(x) is None and ctx.const(y) is None:
        return _average(ctx, node, [ctx.tensor(x, "input"), ctx.tensor(y, "other")])
    for first, second in ((x, y), (y, x)):
        const = ctx.const(second)
        if const is not None and isinstance(first, fx.Node) and ctx.const(first) is None:
            if held(ctx.model, const.path) == "buffer" and not _sliced(second):
                return _buffer_added(ctx, node, first, second, const)  # x + self.eye
            return _positional(ctx, ctx.tensor(first, "input"), second, const)
    for first, second in ((x, y), (y, x)):  # PointNet's x + iden, iden made in forward
        if ctx.fixed(second) is not None and ctx.fixed(first) is None:
            shifted = _constant_added(ctx, node, first, second) \
                or _normalize(ctx, node, first, second, "add")
            if shifted is not None:
                return shifted
    _two_tensors(x, y, "adds a constant")
    return Mapped("Add", {}, [ctx.tensor(x, "input"), ctx.tensor(y, "other")])


@rule(operator.mul, operator.imul, torch.mul, "mul")
def _mul(ctx: Context, node: fx.Node) -> Mapped:
    tokens = _feature_tokenizer(ctx, node)  # FT-Transformer's x[..., None] * self.weight
    if tokens is not None:
        return tokens
    a = args(node, ("input", "other"))
    scalar = _rescaling(ctx, node, a["input"], a["other"], "mul")
    if scalar is not None:
        return scalar
    for first, second in ((a["input"], a["other"]), (a["other"], a["input"])):
        outer = _outer(ctx, first, second)
        if outer is not None:
            return outer
        const = ctx.const(second)
        if const is not None and isinstance(first, fx.Node) and ctx.const(first) is None:
            return _scale(ctx, ctx.tensor(first, "input"), second, const)
    _two_tensors(a["input"], a["other"], "multiplies by a constant")
    return Mapped("Multiply", {}, [ctx.tensor(a["input"], "input"),
                                   ctx.tensor(a["other"], "other")])


def _outer(ctx: Context, x: Any, factor: Any) -> Mapped | None:
    """``t * self.freqs`` with ``t`` ``[B, 1]`` and ``freqs`` a ``[n]`` vector the model keeps
    (``self.freqs[None]``, ``[1, n]``, a view of it): each sample's one value times every
    frequency, a Linear from 1 feature to ``n`` without bias holding the vector (frozen where
    it is a buffer), as a diffusion model's sinusoidal time embedding multiplies. None for
    any other product."""
    if not isinstance(x, fx.Node) or not isinstance(factor, fx.Node) or \
            ctx.fixed(x) is not None or tuple(_shape(ctx, x))[1:] != (1,):
        return None
    const = ctx.const(factor) or _kept_view(ctx, factor)
    value = ctx.fixed(factor)[0] if ctx.fixed(factor) is not None else None
    if const is None or value is None or value.dim() > 2 or value.numel() < 2 or \
            value.shape[-1] != value.numel() or const.tensor.numel() != value.numel():
        return None
    return Mapped("Linear", {"out_features": value.numel(), "bias": False},
                  [ctx.tensor(x, "input")],
                  weights={"weight": (const.path, const.tensor.reshape(-1, 1))},
                  name=const.path.replace(".", "_"))


def _kept_view(ctx: Context, node: fx.Node) -> Const | None:
    """The parameter or buffer whose view (``self.freqs[None]``, taken by the tracer at once)
    the fixed tensor ``node`` is, or None."""
    fixed = ctx.fixed(node)
    if fixed is None or fixed[1] is not None:
        return None
    value = fixed[0]
    for path, kept in [*ctx.model.named_buffers(), *ctx.model.named_parameters()]:
        if kept.numel() == value.numel() and kept.data_ptr() == value.data_ptr() and \
                torch.equal(kept.reshape(-1), value.reshape(-1)):
            return Const(path, kept)
    return None


def _feature_tokenizer(ctx: Context, node: fx.Node) -> Mapped | None:
    """``x[..., None] * self.weight`` (then ``+ self.bias``, where the model adds one) with
    ``weight`` a learned ``[F, D]`` parameter: a FeatureTokenizer holding both (see
    :mod:`.feature_tokens`)."""
    from .feature_tokens import scope_name, tokenized, tokenizer_bias

    found = tokenized(ctx, node)
    if found is None:
        return None
    x, path, weight = found
    weights = {"weight": (path, weight)}
    bias = next((b for b in (tokenizer_bias(ctx, user, node) for user in node.users)
                 if b is not None), None)
    if bias is not None:
        weights["bias"] = bias
    return Mapped("FeatureTokenizer", {"d_token": weight.shape[1], "bias": bias is not None},
                  [ctx.tensor(x, "input")], weights=weights, name=scope_name(node))


_DIVIDES = (operator.truediv, torch.div, torch.true_divide, "div", "true_divide")


def _halved(node: fx.Node) -> bool:
    """``(a + b) / 2``: the sum's one use is a division by 2 (DeiT's two heads averaged)."""
    users = list(node.users)
    if len(users) != 1 or users[0].target not in _DIVIDES or users[0].kwargs \
            or not all(isinstance(a, fx.Node) for a in node.args[:2]):
        return False
    return tuple(users[0].args) in ((node, 2), (node, 2.0))


def _average(ctx: Context, node: fx.Node, inputs: list[fx.Node]) -> Mapped:
    """The mean of two same-shaped tensors: joined along the first dimension, the halves
    stacked as two rows, then the mean of the rows (bit for bit ``(a + b) / 2``)."""
    shapes = {_shape(ctx, t) for t in inputs}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise Unsupported("only the mean of two [B, N] tensors ((a + b) / 2, such as two heads "
                          "averaged) maps to blocks")
    width = next(iter(shapes))[1]
    return Mapped("Concat", {"dim": 0}, inputs,
                  then=[("Reshape", {"shape": [len(inputs), width]}),
                        ("SequencePool", {"mode": "mean"})],
                  name=f"{_scoped_name_of(node)}_average")


@rule(*_DIVIDES)
def _divide(ctx: Context, node: fx.Node) -> Alias:
    """``(a + b) / 2`` whose sum became an average (:func:`_average`): nothing more to do."""
    source = node.args[0] if node.args else None
    if isinstance(source, fx.Node) and source.target in FUNCTION_RULES \
            and FUNCTION_RULES[source.target] is _add and _halved(source):
        return Alias(ctx.tensor(source, "input"))
    if node.kwargs.get("rounding_mode") is None and len(node.args) == 2:
        scalar = _rescaling(ctx, node, node.args[0], node.args[1], "div")
        if scalar is not None:
            return scalar
        normalized = _normalize(ctx, node, node.args[0], node.args[1], "div")
        if normalized is not None:
            return normalized
    raise Unsupported("a division (only (a + b) / 2, two tensors averaged, a division by a "
                      "number, Rescaling, and by a fixed value per channel, Normalize, map to "
                      "blocks; fold a constant divisor into a layer)")


@rule(operator.sub, operator.isub, torch.sub, torch.subtract, "sub")
def _subtract(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "other"), {"alpha": 1})
    if a["alpha"] == 1:
        scalar = _rescaling(ctx, node, a["input"], a["other"], "sub")
        if scalar is not None:
            return scalar
        normalized = _normalize(ctx, node, a["input"], a["other"], "sub")
        if normalized is not None:
            return normalized
    raise Unsupported("no LayerLoom block does this (of subtractions, only a number "
                      "subtracted from a tensor or a tensor from a number, Rescaling, and a "
                      "fixed value per channel subtracted from a tensor, Normalize, map)")


@rule(operator.neg, torch.neg, torch.negative, "neg")
def _negate(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input",))
    scalar = _rescaling(ctx, node, a["input"], -1, "mul")
    if scalar is None:
        raise Unsupported("only a tensor computed by the model is negated to a block "
                          "(Rescaling)")
    return scalar


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(ctx: Context, value: Any) -> float | None:
    """A number, or a number computed in ``forward`` from sizes (``1 / math.sqrt(k.size(-1))``,
    as recorded on the sample input: the head size), as a float; None for anything else."""
    if isinstance(value, fx.Node):
        value = ctx.value(value)
    return float(value) if _number(value) else None


def _rescaling(ctx: Context, node: fx.Node, x: Any, y: Any, op: str) -> Mapped | None:
    """``x * c``, ``c * x``, ``x / c``, ``x + c``, ``c + x``, ``x - c``, ``c - x`` and ``-x``
    with ``c`` a Python number and ``x`` a computed float tensor: a Rescaling
    (``x * scale + offset``). When ``x`` is itself such a node's result used only here, the two
    become one block (``x * 2 + 1``: scale 2, offset 1): the earlier one's block is reused with
    the combined numbers (the importer's ``_rescale``). None when it is not scalar arithmetic."""
    nx, ny = _scalar(ctx, x), _scalar(ctx, y)
    if isinstance(x, fx.Node) and nx is None and ny is not None:
        tensor, number, first = x, ny, True
    elif isinstance(y, fx.Node) and ny is None and nx is not None and op != "div":
        tensor, number, first = y, nx, False
    else:
        return None
    if ctx.const(tensor) is not None:
        return None
    result = ctx.value(node)
    if not isinstance(result, torch.Tensor) or not result.is_floating_point():
        raise Unsupported("scalar arithmetic whose result is not a float tensor (Rescaling "
                          "gives floats; integer tensors have no block doing arithmetic)")
    if op == "div" and number == 0.0:
        raise Unsupported("a division by zero")
    scale, offset = {"mul": (number, 0.0), "add": (1.0, number),
                     "sub": (1.0, -number) if first else (-1.0, number),
                     "div": (1.0 / number if number else 0.0, 0.0)}[op]
    return Mapped("Rescaling", {"scale": scale, "offset": offset},
                  [ctx.tensor(tensor, "input")])


def _normalize(ctx: Context, node: fx.Node, x: Any, operand: Any, op: str) -> Mapped | None:
    """``x - mean`` and ``x / std`` with ``mean``/``std`` fixed values per channel (a buffer, a
    tensor attribute, or ``torch.tensor([...])`` made in ``__init__`` or ``forward``, shaped
    ``[1, C, 1, 1]`` or ``[C, 1, 1]`` for an image, ``[C]`` or ``[1, C]`` for ``[B, C]``; or
    one value): Normalize, the other of its two values left neutral (the importer merges
    ``(x - mean) / std`` into one block). ``x + c`` (``op`` "add", ``c`` made in ``forward``
    from numbers: PointNet's identity added to a layer's output) is ``x - (-c)``, exactly.
    None when ``operand`` is not such a fixed tensor."""
    found = ctx.fixed(operand)
    if found is None or not isinstance(x, fx.Node) or ctx.fixed(x) is not None \
            or not isinstance(ctx.value(x), torch.Tensor) or not ctx.value(x).is_floating_point():
        return None
    value, const = found
    name = f"'{const.path}'" if const is not None else "a constant tensor"
    learned = dict(ctx.model.named_parameters())
    if const is not None and const.path in learned and learned[const.path].requires_grad:
        raise Unsupported(f"{name} is a learned parameter, and Normalize holds fixed values "
                          f"(if it is not trained, keep it in a buffer: "
                          f"self.register_buffer('{const.path.rpartition('.')[2]}', ...))")
    shape = _shape(ctx, ctx.tensor(x, "input"))
    values = _per_channel(_one_row(value, shape) if const is None else value, shape)
    if values is None:
        fixed, given = f"{name} of shape {list(value.shape)}", f"a {list(shape[1:])} input"
        what = {"sub": f"subtracts {fixed} from {given}", "add": f"adds {fixed} to {given}",
                "div": f"divides {given} by {fixed}"}[op]
        raise Unsupported(f"it {what} (batch not counted); only one value per channel, "
                          f"dimension 1 (shaped [1, C, 1, 1] or [C, 1, 1] for an image, [C] for "
                          f"[B, C]), or one value, maps to a block (Normalize)")
    if not torch.is_floating_point(ctx.value(node)):
        raise Unsupported("arithmetic whose result is not a float tensor")
    if op == "div" and 0.0 in values:
        raise Unsupported(f"a division by {name}, which holds a zero")
    stack = node.meta.get("nn_module_stack") or {}
    scope = list(stack)[-1].replace(".", "_") + "_" if stack else ""
    if op == "add":
        return Mapped("Normalize", {"mean": [0.0 - v for v in values], "std": [1.0]}, [x],
                      name=f"{scope}add_constant")
    if op == "sub":
        return Mapped("Normalize", {"mean": values, "std": [1.0] * len(values)}, [x],
                      name=f"{scope}normalize")
    return Mapped("Normalize", {"mean": [0.0] * len(values), "std": values}, [x],
                  name=f"{scope}normalize")


CONSTANT_VALUES = 4096  # the most values a constant added is held with, in a Normalize's params


def _sliced(node: fx.Node) -> bool:
    """``node`` takes rows of a table (``self.pe[:L]``, ``self.pe[:L].transpose(0, 1)``): a
    positional table, not a constant added whole."""
    while isinstance(node, fx.Node) and node.op != "get_attr":
        if node.op == "call_function" and node.target is operator.getitem:
            return True
        node = node.args[0] if node.args else None
    return False


def _buffer_added(ctx: Context, node: fx.Node, x: fx.Node, table: fx.Node,
                  const: Const) -> Mapped:
    """A buffer added whole: a fixed positional table where it is kept as one, ``[1, L, D]``
    added to a ``[B, L, D]`` sequence (as ViT and the PyTorch tutorial keep theirs); else a
    constant (:func:`_constant_added`: ``self.register_buffer("eye", torch.eye(3))`` added to
    ``[B, 3, 3]`` matrices), or, beyond that, a positional table of any form."""
    rank = len(_shape(ctx, ctx.tensor(x, "input")))
    if ctx.value(table).dim() == rank == 3 and ctx.value(table).shape[0] == 1:
        try:
            return _positional(ctx, ctx.tensor(x, "input"), table, const)
        except Unsupported:
            pass
    added = _constant_added(ctx, node, x, table)
    return added if added is not None else _positional(ctx, ctx.tensor(x, "input"), table, const)


def _constant_added(ctx: Context, node: fx.Node, x: Any, operand: Any) -> Mapped | None:
    """``x + c`` with ``c`` a buffer added whole (``self.register_buffer("eye", torch.eye(3))``
    then ``x + self.eye``) or a constant made in ``forward``: a Normalize holding ``-c``
    (``x - (-c)`` is ``x + c`` bit for bit; nothing is learned, as in the model), and not a
    parameter, as in the model. One value per channel (PointNet's ``iden`` [1, 9] added to
    ``[B, 9]``) is the Normalize alone; a constant that differs along more dimensions (an
    identity added to ``[B, 3, 3]`` matrices) is held value by value: the input flattened, the
    Normalize, and an Unflatten back. None where ``c`` does not broadcast to ``x`` as it is,
    or holds more than ``CONSTANT_VALUES`` values (a table stays a positional embedding)."""
    found = ctx.fixed(operand)
    if found is None or not isinstance(x, fx.Node) or ctx.fixed(x) is not None \
            or not isinstance(ctx.value(x), torch.Tensor) \
            or not ctx.value(x).is_floating_point() \
            or not torch.is_floating_point(ctx.value(node)):
        return None
    value, const = found
    if const is not None and held(ctx.model, const.path) != "buffer":
        return None
    shape = _shape(ctx, ctx.tensor(x, "input"))
    value = _one_row(value, shape) if const is None else value
    if value.dim() > len(shape) or tuple(torch.broadcast_shapes(value.shape, shape)) != shape \
            or value.dim() == len(shape) and value.shape[0] != 1:
        return None
    stack = node.meta.get("nn_module_stack") or {}
    scope = list(stack)[-1].replace(".", "_") + "_" if stack else ""
    base = f"{scope}add_{const.path.rpartition('.')[2]}" if const is not None \
        else f"{scope}add_constant"
    per_channel = _per_channel(value, shape)
    if per_channel is not None:
        return Mapped("Normalize", {"mean": [0.0 - v for v in per_channel], "std": [1.0]},
                      [x], name=base)
    full = value.detach().float().expand(1, *shape[1:]).reshape(-1)
    if full.numel() > CONSTANT_VALUES:
        return None
    mean = [float32_decimal(0.0 - v) for v in full.tolist()]
    return Mapped("Flatten", {}, [x], name=f"{base}_flatten",
                  then=[Mapped("Normalize", {"mean": mean, "std": [1.0]}, [], name=base),
                        Mapped("Unflatten", {"dim": 0, "sizes": list(shape[1:])}, [],
                               name=f"{base}_unflatten")])


def _one_row(value: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """A constant made in ``forward`` with a row per sample, all alike (PointNet's
    ``iden.view(1, 9).repeat(batchsize, 1)``, ``torch.zeros(x.size(0), 9)``): its first row,
    which broadcasts to the same values at any batch size; else ``value``."""
    if value.dim() == len(shape) and len(shape) > 1 and value.shape[0] == shape[0] > 1 \
            and bool((value == value[:1]).all()):
        return value[:1]
    return value


def _per_channel(value: torch.Tensor, shape: tuple[int, ...]) -> list[float] | None:
    """The values of ``value`` if it holds one per channel of an input of ``shape`` (batch
    first; broadcast along dimension 1 only) or is a single value, as the decimals they were
    written from (float32's shortest form: 0.485, not 0.48500001430511475); else None."""
    dims = (1,) * (len(shape) - value.dim()) + tuple(value.shape)
    if value.numel() != 1 and (len(dims) != len(shape) or len(shape) < 2
                               or dims[1] != shape[1]
                               or any(d != 1 for i, d in enumerate(dims) if i != 1)):
        return None
    if not value.is_floating_point():
        value = value.float()
    return [float32_decimal(v) for v in value.detach().reshape(-1).tolist()]


def _scoped_name_of(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    scope = list(stack)[-1] if stack else ""
    base = node.name.rstrip("0123456789").rstrip("_")
    return f"{scope.replace('.', '_')}_{base}" if scope else base


def _two_tensors(x: Any, y: Any, what: str) -> None:
    if not (isinstance(x, fx.Node) and isinstance(y, fx.Node)):
        raise Unsupported(f"it {what} (no block does; fold the constant into a layer)")


def _scale(ctx: Context, x: fx.Node, factor: fx.Node, const: Const) -> Mapped:
    """``x * self.gamma`` with ``gamma`` a vector along one dimension of ``x`` (``[C, 1, 1]``,
    ``[1, C, 1, 1]`` or ``[D]``): a learned Scale (layer scale)."""
    shape, value = _shape(ctx, x), tuple(ctx.value(factor).shape)
    big = [i for i, d in enumerate(value) if d != 1]
    offset = len(shape) - len(value)
    if len(value) > len(shape) or len(big) != 1 or offset + big[0] == 0 \
            or shape[offset + big[0]] != value[big[0]] or const.tensor.numel() != value[big[0]]:
        raise Unsupported(f"it multiplies a {list(shape[1:])} input by the parameter "
                          f"'{const.path}' {list(const.tensor.shape)}; only a vector along one "
                          f"dimension (layer scale) maps to a block (Scale)")
    dim = offset + big[0] - 1
    return Mapped("Scale", {"dim": dim if dim < len(shape) - 2 else -1}, [x],
                  weights={"weight": (const.path, const.tensor.reshape(-1))},
                  name=const.path.replace(".", "_"))


@rule(scale_shift)
def _scale_shift(ctx: Context, node: fx.Node) -> Mapped:
    """``x * self.alpha + self.beta`` (:func:`.written_out.scale_shift`): a Scale block with
    a bias, the two vectors its weights."""
    x, weight, bias = node.args
    mapped = _scale(ctx, ctx.tensor(x, "input"), weight, ctx.const(weight))
    const = ctx.const(bias)
    mapped.params["bias"] = True
    mapped.weights["bias"] = (const.path, const.tensor.reshape(-1))
    return mapped


def _positional(ctx: Context, x: fx.Node, table: fx.Node, const: Const) -> Mapped:
    """``x + self.pos[:L]`` with ``x`` ``[B, L, D]`` and ``pos`` ``[max_len, D]`` (or
    ``[1, max_len, D]``, or the PyTorch tutorial's ``[max_len, 1, D]`` transposed): a
    positional embedding, learned where ``pos`` is a parameter, fixed (not trainable) where it
    is a buffer, as the tutorial's sinusoidal table is."""
    shape, weight = _shape(ctx, x), const.tensor
    rows = weight.reshape(-1, weight.shape[-1]) \
        if weight.dim() == 3 and 1 in tuple(weight.shape[:2]) else weight
    if len(shape) != 3 or rows.dim() != 2 or rows.shape[1] != shape[2] or not const.rows \
            or shape[1] > rows.shape[0] or tuple(ctx.value(table).shape[-2:]) != shape[1:]:
        kind = held(ctx.model, const.path)
        first = x.args[2] if isinstance(x, fx.Node) and x.op == "call_function" and \
            x.target is affine else None
        if first is not None and rows.dim() == 1 and shape[-1:] == tuple(rows.shape):
            raise Unsupported(f"it adds the {kind} '{const.path}' {list(weight.shape)} to a "
                              f"product that has a bias already ('{first.target}'): a second "
                              f"bias, which no block holds; keep one (their sum) in __init__")
        whole = (f", and a buffer added whole that broadcasts to the input, of at most "
                 f"{CONSTANT_VALUES} values, to Normalize (a constant)") if kind == "buffer" else ""
        raise Unsupported(f"it adds the {kind} '{const.path}' {list(weight.shape)} to a "
                          f"{list(shape[1:])} input; only a positional table added to a "
                          f"[L, D] sequence as `x + table[:L]` maps to a block "
                          f"(PositionalEmbedding){whole}")
    buffers = {name for name, _ in ctx.model.named_buffers(remove_duplicate=False)}
    if const.path in buffers and _sinusoidal(rows):
        return Mapped("SinusoidalPositionalEncoding", {"max_len": rows.shape[0]}, [x])
    return Mapped("PositionalEmbedding", {"max_len": rows.shape[0]}, [x],
                  weights={"weight": (const.path, rows)}, trainable=const.path not in buffers)


SINUSOID_TOLERANCE = 1e-4  # a table written another way (10000 ** (i / D)) differs by ~1e-5


def _sinusoidal(rows: torch.Tensor) -> bool:
    """Whether the fixed ``[max_len, D]`` table ``rows`` is the original Transformer's sines
    and cosines (the PyTorch tutorial's and the Annotated Transformer's), value by value: a
    SinusoidalPositionalEncoding block makes it again, with no parameter, as the model has."""
    if not rows.is_floating_point() or rows.shape[1] < 2:
        return False
    table = SinusoidalPositionalEncoding.sinusoid(rows.shape[0], rows.shape[1])
    return bool(torch.allclose(rows.detach().float().cpu(), table, rtol=0.0,
                               atol=SINUSOID_TOLERANCE))


@rule(torch.cat, torch.concat, torch.concatenate)
def _cat(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("tensors", "dim"), {"dim": 0})
    dim = a["dim"]
    tensors = list(a["tensors"])
    if dim == 0 or dim == -len(_shape(ctx, node)):
        if not any(_from_inputs(t) for t in tensors):
            raise Unsupported(_made_weight(ctx, tensors))
        raise Unsupported("it joins along the batch dimension")
    consts = [ctx.const(t) for t in tensors]
    if any(consts):
        return _class_token(ctx, node, tensors, consts, dim)
    inputs = [ctx.tensor(t, "tensors") for t in tensors]
    if len(inputs) == 1:
        return Alias(inputs[0])
    return Mapped("Concat", {"dim": batchless(dim)}, inputs)


def _from_inputs(node: Any) -> bool:
    """``node`` follows from an input of the model (else it is made of parameters, buffers
    and constants alone)."""
    seen, stack = set(), [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, fx.Node) or item in seen:
            continue
        if item.op == "placeholder":
            return True
        seen.add(item)
        stack.extend(item.all_input_nodes)
    return False


def _made_weight(ctx: Context, tensors: list) -> str:
    """Why a join of parameters (BEiT's qkv bias) has no block, and what to do."""
    named = [ctx.const(t).path for t in tensors if ctx.const(t) is not None]
    parts = f" ({', '.join(named)} and {len(tensors) - len(named)} more)" if named and \
        len(named) < len(tensors) else f" ({', '.join(named)})" if named else ""
    return (f"it joins {len(tensors)} tensors{parts} made from parameters and constants, not "
            f"from the model's input: a weight or bias put together in forward (BEiT's "
            f"torch.cat((self.q_bias, self.k_bias, self.v_bias)) for F.linear), which no "
            f"block computes; each block keeps weights of its own, so give "
            f"the layer that uses it a parameter of its own (nn.Linear(dim, 3 * dim) with "
            f"bias=True, its bias set to these values) and import that")


@rule(F.pad)
def _pad(ctx: Context, node: fx.Node) -> Mapped:
    """``F.pad(x, [left, right, top, bottom])`` with zeros, of an image: ZeroPad2d. Of a
    ``[B, C, L]`` sequence (``F.pad(x, (k - 1, 0))``, a causal convolution's padding) too:
    ZeroPad2d pads the last two dimensions of what it is given, here C and L."""
    a = args(node, ("input", "pad", "mode", "value"), {"mode": "constant", "value": None})
    x = ctx.tensor(a["input"], "input")
    pad = list(a["pad"])
    if a["mode"] != "constant" or a["value"] not in (None, 0, 0.0):
        raise Unsupported(f"mode={a['mode']!r}, value={a['value']!r} (only padding with "
                          f"zeros maps, to ZeroPad2d)")
    if len(_shape(ctx, x)) not in (3, 4) or len(pad) not in (2, 4):
        raise Unsupported("only padding the last one or two dimensions of a [B, C, L] "
                          "sequence or a [B, C, H, W] image (a pad of 2 or 4 values) maps, "
                          "to ZeroPad2d")
    sizes = [ctx.value(p) for p in pad]  # numbers, or sizes computed in forward (UNet's)
    if any(isinstance(size, int) and size < 0 for size in sizes):
        raise Unsupported(f"pad {sizes} crops (a negative pad); only padding maps, to "
                          f"ZeroPad2d")
    return Mapped("ZeroPad2d", {"padding": pad + [0] * (4 - len(pad))}, [x])


@rule(torch.stack)
def _stack(ctx: Context, node: fx.Node) -> Mapped:
    """``torch.stack([a, b], dim=1)``: joined along ``dim`` (a Concat), then that dimension
    split into the stacked tensors and their own size (a Reshape)."""
    a = args(node, ("tensors", "dim"), {"dim": 0})
    out = _shape(ctx, node)
    dim = a["dim"] % len(out)
    if dim == 0:
        raise Unsupported("it stacks along the batch dimension")
    if dim == len(out) - 1:
        raise Unsupported("it stacks along a new last dimension (only a new dimension before "
                          "an existing one maps, as Concat then Reshape)")
    inputs = [ctx.tensor(t, "tensors") for t in a["tensors"]]
    return Mapped("Concat", {"dim": dim - 1}, inputs,
                  then=[("Reshape", {"shape": list(out[1:])})])


@rule(operator.matmul, torch.matmul, "matmul", torch.bmm, "bmm")
def _matmul(ctx: Context, node: fx.Node) -> Mapped:
    """``a @ b`` of two computed tensors of the same rank, 3-D or more with the batch (a
    batched product: attention's ``q @ k.transpose(-2, -1)``): MatMul."""
    a = args(node, ("input", "other")) if node.target not in (torch.bmm, "bmm") \
        else args(node, ("input", "mat2"))
    left, right = a["input"], a.get("other", a.get("mat2"))
    by_weight = _by_weight(ctx, node, left, right)
    if by_weight is not None:
        return by_weight
    for operand in (left, right):
        const = ctx.const(operand)
        if const is not None:
            raise Unsupported(f"it multiplies by the {held(ctx.model, const.path)} "
                              f"'{const.path}' directly; a "
                              f"learned matrix maps as a layer (nn.Linear: x @ W.T + b)")
    left, right = ctx.tensor(left, "input"), ctx.tensor(right, "other")
    ranks = (len(_shape(ctx, left)), len(_shape(ctx, right)))
    if ranks[0] != ranks[1] or ranks[0] < 3:
        raise Unsupported(f"a product of a {ranks[0]}-D and a {ranks[1]}-D tensor (with the "
                          f"batch); MatMul multiplies two tensors of the same rank, 3-D or more, "
                          f"batch first on both")
    return Mapped("MatMul", {}, [left, right], ports=["left", "right"])


def _by_weight(ctx: Context, node: fx.Node, left: Any, right: Any) -> Mapped | None:
    """``x @ self.W`` (W ``[in, out]``, a parameter or buffer of the model) or ``x @ self.W.T``
    (``[out, in]``, as nn.Linear keeps it; Tancik's Fourier features ``x @ self.B.T``), x
    computed with ``in`` features last: a Linear without bias holding W, frozen where W is a
    buffer (as the F.linear of a buffer is), transposed where the product is by W itself. None
    for any other product."""
    turned = transposes(right)
    weight = ctx.const(right.args[0] if turned else right)
    if weight is None and not turned:  # a buffer's .T, taken when traced: a view of it
        weight, turned = _transposed_buffer(ctx, right), True
    if weight is None or ctx.const(left) is not None or not weight.rows or \
            weight.tensor.dim() != 2 or not isinstance(left, fx.Node) or \
            left in getattr(ctx, "made", ()):
        return None
    x = ctx.tensor(left, "input")
    shape = _shape(ctx, x)
    width = weight.tensor.shape[1 if turned else 0]
    if len(shape) < 2 or shape[-1] != width:
        return None
    source = right.args[0] if turned and right.op != "get_attr" else right
    if sum(1 for u in source.users if u is not node and not size_read(u)) > \
            (1 if source is not right else 0) or \
            sum(1 for u in right.users if not size_read(u)) != 1:
        raise Unsupported(f"the {held(ctx.model, weight.path)} '{weight.path}' multiplies "
                          f"more than one tensor, sharing its values; each LayerLoom block "
                          f"has weights of its own")
    out = weight.tensor.shape[0 if turned else 1]
    return Mapped("Linear", {"out_features": out, "bias": False}, [x],
                  weights={"weight": (weight.path, weight.tensor)},
                  transposed=() if turned else ("weight",),
                  name=weight.path.rpartition(".")[0] or weight.path)


@rule(affine)
def _affine(ctx: Context, node: fx.Node) -> Mapped:
    """``x @ self.W + self.b`` (:func:`.affine.affine`): a Linear with a bias."""
    x, weight, bias = node.args
    mapped = _by_weight(ctx, node, x, weight)
    if mapped is None:
        raise Unsupported("it adds a vector to a product by a matrix the model keeps, in a "
                          "form no Linear holds")
    const = ctx.const(bias)
    mapped.params["bias"] = True
    mapped.weights["bias"] = (const.path, const.tensor.reshape(-1))
    return mapped


def _transposed_buffer(ctx: Context, node: Any) -> Const | None:
    """The buffer whose ``.T`` the tensor made in forward ``node`` is (the tracer reads a
    buffer as the tensor itself, so ``self.B.T`` is a view taken at once), or None."""
    fixed = ctx.fixed(node)
    if fixed is None or fixed[1] is not None or fixed[0].dim() != 2:
        return None
    value = fixed[0]
    for path, buffer in ctx.model.named_buffers():
        if buffer.dim() == 2 and buffer.data_ptr() == value.data_ptr() and \
                tuple(buffer.shape) == tuple(value.shape)[::-1] and torch.equal(buffer.T, value):
            return Const(path, buffer)
    return None


_EQUALS = (operator.eq, torch.eq, "eq")


@rule(*_EQUALS)
def _padding_mask(ctx: Context, node: fx.Node) -> Mapped:
    """``ids == 0`` (token ids equal to the <pad> id; an attention_mask equal to 0): True at
    padding, the key_padding_mask torch's attention takes. A PaddingMask block."""
    x, value = node.args[0], node.args[1]
    if _number(x) and isinstance(value, fx.Node):
        x, value = value, x
    if not isinstance(x, fx.Node) or isinstance(value, bool) or not isinstance(value, int):
        raise Unsupported("a comparison other than of token ids with one whole number (ids == "
                          "0, which marks padding: a PaddingMask block)")
    x = ctx.tensor(x, "input")
    if ctx.value(x).dtype not in (torch.int64, torch.int32):
        raise Unsupported(f"it compares {ctx.value(x).dtype} values; of comparisons, only token "
                          f"ids == a whole number (which marks padding: a PaddingMask block) "
                          f"maps to a block")
    return Mapped("PaddingMask", {"pad_value": value}, [x], name="padding_mask")


def padding_mask(ctx: Context, mask: Any, what: str) -> fx.Node:
    """The node of a key padding mask made by a PaddingMask (``ids == 0``, True at padding), or
    Unsupported saying what mask imports."""
    if isinstance(mask, fx.Node) and mask.op == "call_method" and mask.target in ("bool",) \
            and len(mask.args) == 1:
        mask = mask.args[0]
    if not isinstance(mask, fx.Node) or mask.target not in _EQUALS:
        raise Unsupported(f"its {what} is not made by comparing token ids with the padding id "
                          f"(ids == 0, True at padding: a PaddingMask block), the one mask a "
                          f"block takes; make it so (an attention_mask of ones and zeros: "
                          f"attention_mask == 0)")
    return ctx.tensor(mask, what)


def attention_inputs(q: fx.Node, k: fx.Node, v: fx.Node, mask: fx.Node | None = None
                     ) -> tuple[list[fx.Node], list[str] | None]:
    """An attention block's inputs and ports: self-attention (q, k, v one tensor) is one input;
    with a key padding mask, all four are given."""
    if mask is not None:
        return [q, k, v, mask], ["query", "key", "value", "key_padding_mask"]
    if q is k is v:
        return [q], None
    if k is v:
        return [q, k], ["query", "key"]
    return [q, k, v], ["query", "key", "value"]


@rule(F.scaled_dot_product_attention, padded_attention)
def _dot_product_attention(ctx: Context, node: fx.Node) -> Mapped:
    """``F.scaled_dot_product_attention``; or :func:`.attention_masks.padded_attention`, one
    given a padding mask that :mod:`.attention_masks` read (a PaddingMask block then feeds the
    key_padding_mask port)."""
    names = ("query", "key", "value", "key_padding_mask", "dropout_p", "is_causal", "scale",
             "enable_gqa") if node.target is padded_attention else \
        ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
    a = args(node, names, {"attn_mask": None, "dropout_p": 0.0, "is_causal": False,
                           "scale": None, "enable_gqa": False})
    if not isinstance(a["enable_gqa"], bool):
        raise Unsupported("enable_gqa must be a bool")
    if a["attn_mask"] is not None:
        why = node.meta.get(REFUSED, "it was not read")
        if node.meta.get(WRITTEN_OUT):
            raise Unsupported(f"what it puts on its scores (a mask or a bias): {why}; "
                              f"{WRITTEN_OUT_MASKS}")
        raise Unsupported(f"its attn_mask: {why}. Of masks, one that keeps every step, the "
                          f"causal one (or is_causal=True) and a padding mask from token ids "
                          f"((ids != pad_id)[:, None, None, :], with or without the causal "
                          f"steps) import; fix: give such a mask, or none")
    if not _number(a["dropout_p"]) or a["dropout_p"] != 0:
        raise Unsupported(f"dropout_p={a['dropout_p']!r} drops attention weights in "
                          f"evaluation too; pass dropout_p=self.dropout if self.training else "
                          f"0.0 (the block's dropout applies while training)")
    if not isinstance(a["is_causal"], bool) or a["scale"] is not None \
            and _scalar(ctx, a["scale"]) is None:
        raise Unsupported("is_causal and scale must be a bool and a number")
    q, k, v = (ctx.tensor(a[n], n) for n in ("query", "key", "value"))
    mask = ctx.tensor(a["key_padding_mask"], "key_padding_mask") if "key_padding_mask" in a \
        else None
    inputs, ports = attention_inputs(q, k, v, mask)
    params = {"is_causal": a["is_causal"]}
    if a["enable_gqa"]:  # key and value heads shared by groups of query heads
        params["enable_gqa"] = True
    if a["scale"] is not None:
        params["scale"] = _scalar(ctx, a["scale"])
    if node.meta.get(DROPOUT):  # a masked attention's dropout, folded in (causal_attention.py)
        params["dropout"] = node.meta[DROPOUT]
    return Mapped("ScaledDotProductAttention", params, inputs, ports=ports)


def _class_token(ctx: Context, node: fx.Node, tensors: list, consts: list, dim: int) -> Mapped:
    """``torch.cat([self.cls_token.expand(B, -1, -1), x], dim=1)``: a ClassToken block. DeiT's
    distilled ``torch.cat((cls.expand(B, -1, -1), dist.expand(B, -1, -1), x), dim=1)``: one
    ClassToken per learned table, chained from the one next to ``x`` outwards (each puts its
    tokens in front), each with its own table's weights."""
    rank = len(_shape(ctx, node))
    # rtdl's CLSToken (FT-Transformer) puts its token after the sequence: torch.cat([x, cls])
    end = len(tensors) >= 2 and consts[0] is None and all(c is not None for c in consts[1:])
    if len(tensors) < 2 or not end and (any(c is None for c in consts[:-1])
                                        or consts[-1] is not None) \
            or rank != 3 or dim % rank != 1:
        paths = ", ".join(f"'{c.path}'" for c in consts if c is not None)
        raise Unsupported(f"it joins the parameter(s) {paths} with the model's tensors; only "
                          f"learned token tables put in front of a [B, L, D] sequence "
                          f"(torch.cat([token.expand(B, -1, -1), x], dim=1), or several "
                          f"tables then x) or after it (torch.cat([x, token.expand(B, 1, -1)], "
                          f"dim=1)) map to blocks (ClassToken)")
    x = ctx.tensor(tensors[0] if end else tensors[-1], "tensors")
    width = _shape(ctx, x)[2]
    blocks = []
    pairs = list(zip(tensors[1:], consts[1:])) if end else list(zip(tensors[:-1], consts[:-1]))
    for table, const in pairs:
        tokens = tuple(ctx.value(table).shape)[1]
        if const.tensor.numel() != tokens * width:
            raise Unsupported(f"the token parameter '{const.path}' {list(const.tensor.shape)} "
                              f"is expanded, not repeated per sample")
        params = {"num_tokens": tokens, "at": "end"} if end else {"num_tokens": tokens}
        blocks.append(Mapped("ClassToken", params, [x],
                             weights={"token": (const.path, const.tensor.reshape(tokens, width))},
                             name=const.path.replace(".", "_")))
    # each block puts its tokens next to the sequence: from the one nearest x outwards
    first, *outer = blocks if end else list(reversed(blocks))
    first.then = list(outer)
    return first


# -- shapes --------------------------------------------------------------------------------


@rule(torch.flatten, "flatten")
def _flatten(ctx: Context, node: fx.Node) -> Mapped | Alias:
    shuffle = _shuffle_part(ctx, node)
    if shuffle is not None:
        return shuffle
    a = args(node, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
    rank = len(_shape(ctx, a["input"]))
    start, end = a["start_dim"] % rank, a["end_dim"] % rank
    if start == 0 and _tokens_norm(ctx, node, a["input"]) is not None:
        return _tokens_norm(ctx, node, a["input"])
    if start == 0 and end == rank - 1 and math.prod(_shape(ctx, a["input"])[1:]) == 1 \
            and returned_only(node):  # x.flatten() of [B, 1]: one value per sample, returned
        return Mapped("Flatten", {}, [ctx.tensor(a["input"], "input")]) if rank > 2 \
            else Alias(ctx.tensor(a["input"], "input"))
    if start == 0:
        raise Unsupported("start_dim=0 flattens the batch (use torch.flatten(x, 1))")
    return Mapped("Flatten", {"start_dim": start - 1, "end_dim": end - rank},
                  [ctx.tensor(a["input"], "input")])


def _tokens_norm(ctx: Context, flat: fx.Node, x: Any) -> Mapped | None:
    """LeViT's BatchNorm1d over batch × tokens: ``bn(x.flatten(0, 1)).reshape_as(x)`` with
    ``x`` ``[B, N, C]``. Its statistics are per channel over the same B·N values as a
    BatchNorm1d of ``[B, C, N]``, so: Permute to ``[C, N]``, BatchNorm1d, Permute back (the
    second Permute is the reshape's, :func:`_tokens_unflatten`). None if not that pattern."""
    if not isinstance(x, fx.Node) or len(_shape(ctx, x)) != 3 \
            or _shape(ctx, flat) != (_shape(ctx, x)[0] * _shape(ctx, x)[1], _shape(ctx, x)[2]):
        return None
    users = list(flat.users)
    if len(users) != 1 or users[0].op != "call_module" or users[0].args != (flat,) \
            or users[0].kwargs:
        return None
    norm = users[0]
    if not isinstance(ctx.model.get_submodule(str(norm.target)), torch.nn.BatchNorm1d):
        return None
    back = list(norm.users)
    if len(back) != 1 or back[0].target not in _RESHAPES or _shape(ctx, back[0]) != _shape(ctx, x):
        return None
    return Mapped("Permute", {"dims": [1, 0]}, [ctx.tensor(x, "input")],
                  name=f"{str(norm.target).replace('.', '_')}_tokens")


_RESHAPES = ("view", "reshape", torch.reshape, "reshape_as", "view_as", "unflatten")


def _tokens_unflatten(ctx: Context, node: fx.Node, source: Any) -> Mapped | None:
    """The reshape back to ``[B, N, C]`` after LeViT's batch × tokens BatchNorm1d."""
    if not isinstance(source, fx.Node) or source.op != "call_module" or not source.args:
        return None
    flat = source.args[0]
    if not isinstance(flat, fx.Node) or flat.target not in (torch.flatten, "flatten"):
        return None
    x = flat.args[0] if flat.args else flat.kwargs.get("input")
    if _tokens_norm(ctx, flat, x) is None:
        return None
    return Mapped("Permute", {"dims": [1, 0]}, [ctx.tensor(source, "input")],
                  name=f"{str(source.target).replace('.', '_')}_back")


@rule("reshape_as", "view_as", "unflatten")
def _reshape_as(ctx: Context, node: fx.Node) -> Mapped | Alias:
    shuffle = _shuffle_part(ctx, node)
    if shuffle is not None:
        return shuffle
    source = node.args[0] if node.args else node.kwargs.get("input")
    back = _tokens_unflatten(ctx, node, source)
    if back is None:
        raise Unsupported("only the reshape back after a BatchNorm1d over batch × tokens "
                          "(LeViT: bn(x.flatten(0, 1)).reshape_as(x)) maps; write the "
                          "shape (x.reshape(B, ...)) otherwise")
    return back


@rule("view", "reshape", torch.reshape, "squeeze", "unsqueeze", torch.squeeze,
      torch.unsqueeze)
def _reshape(ctx: Context, node: fx.Node) -> Mapped | Alias | Const:
    source = node.args[0] if node.args else node.kwargs["input"]
    shuffle = _shuffle_part(ctx, node)
    if shuffle is not None:
        return shuffle
    if node.target in _RESHAPES and _tokens_unflatten(ctx, node, source) is not None:
        return _tokens_unflatten(ctx, node, source)
    const = ctx.const(source)
    if const is not None:  # a parameter reshaped to broadcast: ``gamma.reshape(1, -1, 1, 1)``
        return Const(const.path, const.tensor, rows=False)
    x = ctx.tensor(source, "input")
    from .feature_tokens import feeds_tokenizers

    if feeds_tokenizers(ctx, node):  # x.unsqueeze(-1) * self.weight: the tokenizer adds it
        return Alias(x)
    before, after = _shape(ctx, x), _shape(ctx, node)
    if after[:1] != (ctx.batch,):
        raise Unsupported(f"it reshapes [{', '.join(map(str, before))}] (batch first) to "
                          f"[{', '.join(map(str, after))}], moving the batch dimension"
                          + (_WINDOWS if _windows(before, after, ctx.batch)
                             else rows_fix(before, after, describe(node).split('.')[-1])))
    if after == before:
        return Alias(x)
    if len(after) == 1:
        if math.prod(before[1:]) == 1 and returned_only(node):
            # DCGAN's discriminator: output.view(-1, 1).squeeze(1), one score per sample
            return Alias(x) if len(before) == 2 else Mapped("Flatten", {}, [x])
        raise Unsupported(f"it reshapes [{', '.join(map(str, before))}] (batch first) to "
                          f"[{after[0]}], the batch alone; a LayerLoom tensor keeps at least "
                          f"one dimension after the batch (keep the [B, 1]; only a [B] "
                          f"that forward returns as it is imports, as [B, 1])")
    if len(after) == 2:
        return Mapped("Flatten", {}, [x])
    keep = len(after) - 1  # the leading dims kept, the rest merged: a Flatten, size-agnostic
    if keep < len(before) and before[:keep] == after[:keep]:
        return Mapped("Flatten", {"start_dim": keep - 1}, [x])
    # an ONNX file's sizes that follow its free height and width: the design's variables
    free = node.meta.get(FREE_SIZES) or [None] * (len(after) - 1)
    split = _unflatten(before, after)
    if split is not None:  # one dimension split, the others kept: size-agnostic too
        dim, sizes = split
        sizes = [size if size == -1 or free[dim - 1 + i] is None else free[dim - 1 + i]
                 for i, size in enumerate(sizes)]
        return Mapped("Unflatten", {"dim": dim - 1, "sizes": sizes}, [x])
    return Mapped("Reshape", {"shape": [size if said is None else said
                                        for size, said in zip(after[1:], free)]}, [x])


_WINDOWS = ("; it makes a map's windows samples of the batch (Swin's window_partition), which "
            "no block does: the ShiftedWindowAttention block partitions a [H, W, C] map into "
            "windows, attends within each and puts them back itself, so call torchvision's "
            "ShiftedWindowAttention(dim, window_size=[w, w], shift_size=[s, s], num_heads) "
            "(or its SwinTransformerBlock) on the [B, H, W, C] map in place of window_partition, "
            "the attention and window_reverse")


def _windows(before: tuple[int, ...], after: tuple[int, ...], batch: int) -> bool:
    """``before`` (batch first) is a map cut into windows, ``[B, H/w, w, W/w, w, C]`` or its
    permutation, that ``after`` makes samples of the batch, ``[B·windows, w, w, C]`` or
    ``[B·windows, w·w, C]``."""
    return len(before) == 6 and len(after) in (3, 4) and after[0] % batch == 0 and \
        after[0] > batch and after[-1] == before[-1]


_ELEMENTWISE = (torch.sigmoid, torch.tanh, torch.relu, F.sigmoid, F.tanh, F.relu, F.softplus,
                F.logsigmoid, "sigmoid", "tanh", "relu")
_ELEMENTWISE_MODULES = (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.Softplus, nn.LogSigmoid)


def returned_only(node: fx.Node) -> bool:
    """``node`` is used only as one of ``forward``'s outputs (``return out.view(-1)``), maybe
    through activations of one value each (``torch.sigmoid(out.view(-1))``): a ``[B]`` there
    is imported as ``[B, 1]``, the nearest tensor a design holds, and the import says so in a
    note; used any further, the two would compute differently."""
    def elementwise(user: fx.Node) -> bool:
        if user.op == "call_module":
            module = user.graph.owning_module.get_submodule(str(user.target))
            return isinstance(module, _ELEMENTWISE_MODULES) and user.args[:1] == (node,)
        return user.op in ("call_function", "call_method") and user.target in _ELEMENTWISE \
            and user.args[:1] == (node,)

    return bool(node.users) and all(
        u.op == "output" or elementwise(u) and returned_only(u) for u in node.users)


def _unflatten(before: tuple[int, ...], after: tuple[int, ...]) -> tuple[int, list] | None:
    """``(dim, sizes)`` when ``after`` is ``before`` (batch first) with one dimension split
    into several and every other kept, as ``q.view(B, L, heads, D)`` splits the features of
    ``[B, L, C]``: an Unflatten, which keeps the other sizes free (L is not frozen). A split
    into pieces of 1 and the size itself (``unsqueeze``) writes that size as -1, so it stays
    free too. None when the reshape is not such a split."""
    extra = len(after) - len(before)
    if extra < 1:
        return None
    found = []
    for dim in range(1, len(before)):
        sizes = list(after[dim:dim + extra + 1])
        if before[:dim] == after[:dim] and before[dim + 1:] == after[dim + extra + 1:] \
                and math.prod(sizes) == before[dim]:
            found.append((dim, sizes))
    if not found:
        return None
    # several fit only where sizes of 1 are inserted: prefer a split without them
    dim, sizes = next((f for f in found if 1 not in f[1]), found[-1])
    if sizes.count(before[dim]) == 1 and all(s == 1 for s in sizes if s != before[dim]):
        sizes[sizes.index(before[dim])] = -1
    return dim, sizes


_BROADCASTS = (operator.mul, operator.imul, torch.mul, "mul", "mul_",
               operator.add, operator.iadd, torch.add, "add", "add_")


@rule("expand", "expand_as")
def _expand(ctx: Context, node: fx.Node) -> Const | Alias | Mapped:
    const = ctx.const(node.args[0])
    if const is None and node.users and all(u.target in _BROADCASTS for u in node.users):
        x = ctx.tensor(node.args[0], "input")  # ``x * y.expand_as(x)``: broadcasting does it
        if _shape(ctx, x)[:1] == _shape(ctx, node)[:1]:
            return Alias(x)
    sizes = node.args[1:] if node.target == "expand" else ()
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)) \
        else sizes
    if const is None and sizes:  # h.unsqueeze(1).expand(-1, outputs.size(1), -1)
        repeated = _repeat_to(ctx, node, tuple(1 if c == -1 else c for c in sizes))
        if repeated is not None:
            return repeated
    if const is None:
        raise Unsupported("only a learned token expanded over the batch "
                          "(self.cls_token.expand(B, -1, -1), then joined) maps to a block")
    if node.users and not all(_calls_cat(u) for u in node.users):
        learned = _learned_tokens(ctx, node, const)
        if learned is not None:
            return learned
    return Const(const.path, const.tensor, rows=False)


@rule("repeat")
def _repeat(ctx: Context, node: fx.Node) -> Mapped | Const:
    """A learned table repeated over the batch alone (DETR's object queries,
    ``self.query_embed.weight.unsqueeze(0).repeat(B, 1, 1)``; a class token's
    ``self.cls_token.repeat(B, 1, 1)``): the values it gives expanded over the batch, so it
    imports as ``expand`` does. Any other repeat copies values no block copies."""
    const = ctx.const(node.args[0])
    counts = tuple(node.args[1:])
    if len(counts) == 1 and isinstance(counts[0], (list, tuple)):
        counts = tuple(counts[0])
    shape = _shape(ctx, node)
    over_batch = len(counts) == len(shape) and isinstance(counts[0], fx.Node) and \
        all(c == 1 for c in counts[1:]) and shape[0] == ctx.batch
    if const is not None and not over_batch and any(isinstance(c, fx.Node) for c in counts):
        raise Unsupported(f"it repeats the learned table '{const.path}' by a size read from a "
                          f"tensor (DETR's positions: row and column tables repeated over the "
                          f"map), which no block does; a learned table of every position "
                          f"imports, added to the batch-first [B, H·W, D] tokens as ViT's "
                          f"pos_embed is (nn.Parameter of [1, H·W, D]: PositionalEmbedding)")
    if const is None and _repeat_to(ctx, node, counts) is not None:
        return _repeat_to(ctx, node, counts)
    if const is None or not over_batch:
        raise Unsupported("no LayerLoom block does this")
    if node.users and not all(_calls_cat(u) for u in node.users):
        learned = _learned_tokens(ctx, node, const)
        if learned is not None:
            return learned
    return Const(const.path, const.tensor, rows=False)


def _repeat_to(ctx: Context, node: fx.Node, counts: tuple) -> Mapped | None:
    """``h.unsqueeze(1).repeat(1, outputs.size(1), 1)``: a dimension of size 1 repeated as many
    times as another tensor is long there (Bahdanau's decoder state beside each encoder step):
    RepeatTo, so the design runs at any length, as the model does; else None."""
    x = node.args[0]
    shape = _shape(ctx, x)
    repeated = [i for i, c in enumerate(counts) if c != 1]
    if len(counts) != len(shape) or len(repeated) != 1 or repeated[0] == 0 \
            or shape[repeated[0]] != 1:
        return None
    dim = repeated[0]
    read = _one_size_read(counts[dim])
    if read is None or len(_shape(ctx, read[0])) != len(shape) \
            or read[1] % len(shape) != dim:
        return None
    return Mapped("RepeatTo", {"dim": dim - 1}, [ctx.tensor(x, "input"),
                                                 ctx.tensor(read[0], "like")],
                  ports=["input", "like"])


def _calls_cat(node: fx.Node) -> bool:
    return node.op == "call_function" and node.target in (torch.cat, torch.concat,
                                                          torch.concatenate)


def _learned_tokens(ctx: Context, node: fx.Node, const: Const) -> Mapped | None:
    """A learned ``[N, D]`` table expanded over the batch and used as it is, not joined with
    the model's tokens (Perceiver's ``self.latents.unsqueeze(0).expand(b, -1, -1)``): a
    LearnedTokens block, fed the model's first input for its batch size."""
    shape = _shape(ctx, node)
    sizes = node.args[1:] if node.op == "call_method" and node.target in ("expand", "repeat") \
        else ()
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = tuple(sizes[0])
    if len(shape) != 3 or shape[0] != ctx.batch or const.tensor.numel() != shape[1] * shape[2] \
            or not sizes or not isinstance(sizes[0], fx.Node):
        return None  # expand(3, -1, -1): a number that only equals the traced batch
    first = next((n for n in ctx.gm.graph.nodes if n.op == "placeholder"), None)
    if first is None:
        return None
    tokens, dim = shape[1], shape[2]
    return Mapped("LearnedTokens", {"num_tokens": tokens, "dim": dim},
                  [ctx.tensor(first, "input")],
                  weights={"tokens": (const.path, const.tensor.reshape(tokens, dim))},
                  name=const.path.replace(".", "_"))


@rule("permute", torch.permute)
def _permute(ctx: Context, node: fx.Node) -> Mapped | Alias:
    shuffle = _shuffle_part(ctx, node)
    if shuffle is not None:
        return shuffle
    x = node.args[0]
    dims = node.args[1:] if node.op == "call_method" else node.args[1:2]
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    dims = list(dims) or _dims(node.kwargs.get("dims"))
    rank = len(_shape(ctx, x))
    dims = [d % rank for d in dims]
    if ctx.const(x) is not None:
        return _moved_table(ctx, x, dims)
    if dims[0] != 0:
        raise Unsupported(f"dims {dims} move the batch dimension")
    return Mapped("Permute", {"dims": [d - 1 for d in dims[1:]]}, [ctx.tensor(x, "input")])


@rule("transpose", torch.transpose)
def _transpose(ctx: Context, node: fx.Node) -> Mapped | Alias:
    shuffle = _shuffle_part(ctx, node)
    if shuffle is not None:
        return shuffle
    a = args(node, ("input", "dim0", "dim1"))
    rank = len(_shape(ctx, a["input"]))
    d0, d1 = a["dim0"] % rank, a["dim1"] % rank
    if ctx.const(a["input"]) is not None:
        order = list(range(rank))
        order[d0], order[d1] = d1, d0
        return _moved_table(ctx, a["input"], order)
    if 0 in (d0, d1):
        raise Unsupported("it swaps the batch dimension")
    dims = list(range(1, rank))
    dims[d0 - 1], dims[d1 - 1] = dims[d1 - 1], dims[d0 - 1]
    return Mapped("Permute", {"dims": [d - 1 for d in dims]}, [ctx.tensor(a["input"], "input")])


def _moved_table(ctx: Context, table: fx.Node, order: list[int]) -> Const:
    """A parameter's dimensions reordered: ``self.pe[:L].transpose(0, 1)`` of the tutorial's
    ``[max_len, 1, D]`` table. Where only a dimension of size 1 moves, the values keep their
    order: the same table. Any other reordering of a parameter is refused, as before."""
    const = ctx.const(table)
    shape = _shape(ctx, table)
    kept = [d for d in order if shape[d] != 1]
    if kept != sorted(kept):
        ctx.tensor(table, "input")  # raises: it uses the parameter directly
    return Const(const.path, const.tensor, rows=const.rows)


# -- channel shuffle ---------------------------------------------------------------------

_SHUFFLED = "layerloom_shuffled"  # fx node meta: a later part of a recognised channel shuffle
_UNGROUPS = ("view", "reshape", torch.reshape, "unflatten")
_SWAPS = ("transpose", torch.transpose, "permute", torch.permute)
_REGROUPS = ("view", "reshape", torch.reshape, "flatten", torch.flatten)
_COPIES = ("contiguous", "clone")


@rule(torch.channel_shuffle, torch.native_channel_shuffle)
def _channel_shuffle(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "groups"))
    return Mapped("ChannelShuffle", {"groups": int(a["groups"])},
                  [ctx.tensor(a["input"], "input")])


def _shuffle_part(ctx: Context, node: fx.Node) -> Mapped | Alias | None:
    """ShuffleNet's channel shuffle written out (torchvision's ``channel_shuffle``):
    ``x.view(b, g, c // g, h, w)``, ``transpose(1, 2)`` (or ``permute(0, 2, 1, …)``), maybe
    ``contiguous()``, ``view(b, c, h, w)`` (or ``flatten(1, 2)``). Its first reshape becomes
    one ChannelShuffle block, the rest pass that block's tensor on, so no size of the traced
    input is kept (the graph runs at any size). None when ``node`` is not such a part."""
    if node.meta.get(_SHUFFLED):
        return Alias(ctx.tensor(node.args[0] if node.args else node.kwargs.get("input"),
                                "input"))
    if node.target not in _UNGROUPS:
        return None
    chain = _shuffle_chain(ctx, node)
    if chain is None:
        return None
    x, groups, later = chain
    for part in later:
        part.meta[_SHUFFLED] = True
    stack = node.meta.get("nn_module_stack") or {}
    scope = list(stack)[-1].replace(".", "_") if stack else ""
    return Mapped("ChannelShuffle", {"groups": groups}, [x],
                  name=f"{scope}_channel_shuffle" if scope else "channel_shuffle")


def _shuffle_chain(ctx: Context, first: fx.Node) -> tuple[fx.Node, int, list] | None:
    """``(x, groups, the nodes after the first)`` of a channel shuffle starting at ``first``,
    checked on the recorded values; None otherwise."""
    source = first.args[0] if first.args else first.kwargs.get("input")
    if not isinstance(source, fx.Node) or ctx.const(source) is not None:
        return None
    x = ctx.value(source)
    grouped = ctx.value(first)
    if not isinstance(x, torch.Tensor) or not isinstance(grouped, torch.Tensor) \
            or x.dim() < 2 or grouped.dim() != x.dim() + 1 \
            or tuple(grouped.shape[:1]) + tuple(grouped.shape[3:]) != (x.shape[0],) \
            + tuple(x.shape[2:]) or grouped.shape[1] * grouped.shape[2] != x.shape[1] \
            or grouped.shape[1] < 1:
        return None
    later: list[fx.Node] = []
    current = _next_part(first, later)
    if current is None or current.target not in _SWAPS:
        return None
    swapped = ctx.value(current)
    if not isinstance(swapped, torch.Tensor) or tuple(swapped.shape[1:3]) != \
            (grouped.shape[2], grouped.shape[1]):
        return None
    later.append(current)
    last = _next_part(current, later)
    if last is None or last.target not in _REGROUPS:
        return None
    later.append(last)
    groups = int(grouped.shape[1])
    result = ctx.value(last)
    expected = x.reshape(grouped.shape).transpose(1, 2).reshape(x.shape)
    if not isinstance(result, torch.Tensor) or result.shape != x.shape \
            or not torch.equal(result, expected):
        return None
    ctx.tensor(source, "input")
    return source, groups, later


def _next_part(node: fx.Node, copies: list) -> fx.Node | None:
    """The one user of ``node``, past ``contiguous()`` (added to ``copies``), not counting
    reads of its size (``x.shape[0]``); None if the value is used more than once."""
    while True:
        users = [u for u in node.users if not _size_read(u)]
        if len(users) != 1 or users[0].op not in ("call_method", "call_function"):
            return None
        node = users[0]
        if node.target not in _COPIES:
            return node
        copies.append(node)


def _size_read(node: fx.Node) -> bool:
    return node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",) \
        or node.op == "call_method" and node.target in ("size", "dim")


@rule("to", "type_as", "float", "long", "type")
def _cast(ctx: Context, node: fx.Node) -> Alias | Const:
    """``self.weight.to(dtype=x.dtype)`` (timm), ``x.float()`` of a float, ``.type(x.dtype)``
    (guided-diffusion's GroupNorm32): nothing changes."""
    source = node.args[0]
    const = ctx.const(source)
    if const is not None:
        return Const(const.path, const.tensor, rows=const.rows)
    x = ctx.tensor(source, "input")
    if ctx.value(x).dtype == torch.bool and ctx.value(node).dtype == torch.int64 \
            and x.target in _EQUALS:
        return Alias(x)  # a PaddingMask gives its 1 and 0 as int64 already
    if ctx.value(x).dtype != ctx.value(node).dtype:
        raise Unsupported(f"it casts {ctx.value(x).dtype} to {ctx.value(node).dtype}")
    return Alias(x)


@rule("contiguous", "clone", "detach", "requires_grad_")
def _same(ctx: Context, node: fx.Node) -> Alias | Const:
    const = ctx.const(node.args[0])  # the Annotated Transformer's pe[:, :L].requires_grad_(False)
    if const is not None:
        return const
    return Alias(ctx.tensor(node.args[0], "input"))


# -- reductions and indexing ---------------------------------------------------------------


@rule("mean", torch.mean)
def _mean(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
    x = ctx.tensor(a["input"], "input")
    rank = len(_shape(ctx, x))
    if a["dim"] is None:
        raise Unsupported("a mean over every dimension includes the batch")
    dims = sorted(d % rank for d in _dims(a["dim"]))
    keep = a["keepdim"]
    if rank == 3 and dims == [1] and not keep:
        return Mapped("SequencePool", {"mode": "mean"}, [x])
    if rank == 3 and dims == [2]:
        return Mapped("AdaptiveAvgPool1d", {"output_size": 1}, [x],
                      then=[] if keep else [("Flatten", {})])
    if rank == 4 and dims == [2, 3]:
        return Mapped("AdaptiveAvgPool2d", {"output_size": 1}, [x],
                      then=[] if keep else [("Flatten", {})])
    raise Unsupported(f"a mean over dims {dims} of a {rank}-D tensor (a mean over the steps of "
                      f"a sequence, dim=1, or over the map of an image, dim=(2, 3), maps)")


@rule("amax", torch.amax)
def _amax(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "dim", "keepdim"), {"keepdim": False})
    x = ctx.tensor(a["input"], "input")
    rank = len(_shape(ctx, x))
    if rank == 3 and [d % rank for d in _dims(a["dim"])] == [1] and not a["keepdim"]:
        return Mapped("SequencePool", {"mode": "max"}, [x])
    raise Unsupported("only amax over the steps of a [B, L, D] sequence (dim=1) maps")


@rule(operator.getitem)
def _getitem(ctx: Context, node: fx.Node) -> Mapped:
    x, index = node.args
    x = ctx.tensor(x, "input")
    index = fx.node.map_arg(index, lambda n: _known_int(ctx, n))  # x[:, :x.size(1) // 2]
    while isinstance(index, tuple) and len(index) > 2 and index[-1] == slice(None):
        index = index[:-1]  # ``out[:, -1, :]`` is ``out[:, -1]``
    if len(_shape(ctx, x)) == 3 and isinstance(index, tuple) and len(index) == 2 \
            and index[0] == slice(None) and index[1] in (0, -1):
        return Mapped("SequencePool", {"mode": "first" if index[1] == 0 else "last"}, [x])
    token = _token_index(ctx, x, index)
    if token is not None:
        return token
    sliced = _one_slice(index, len(_shape(ctx, x)))
    if sliced is not None:
        dim, part = sliced
        return Mapped("Slice", {"dim": dim - 1, "start": part.start or 0, "end": part.stop},
                      [x])
    raise Unsupported(f"indexing with x{show_index(index)} (only x[:, k] of a [B, L, D] "
                      f"sequence, to "
                      f"SequencePool or Slice, and a slice of one dimension such as "
                      f"x[:, :k], to Slice, map)")


def _known_int(ctx: Context, node: fx.Node) -> Any:
    """A size computed in ``forward`` (``x.size(1) // 2``) as its number; other nodes stay."""
    value = ctx.value(node)
    return value if isinstance(value, int) and not isinstance(value, bool) else node


def show_index(index: Any) -> str:
    """``(slice(None), -1)`` as ``[:, -1]``: an index as the user wrote it."""
    def one(item: Any) -> str:
        if isinstance(item, slice):
            text = ":".join("" if v is None else one(v)
                            for v in (item.start, item.stop, item.step))
            return text[:-1] if item.step is None else text
        if item is Ellipsis:
            return "..."
        if isinstance(item, fx.Node):
            return "<tensor>" if item.op == "get_attr" else "<computed>"
        return repr(item)
    items = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(one(i) for i in items) + "]"


def _token_index(ctx: Context, x: fx.Node, index: Any) -> Mapped | None:
    """``x[:, k]`` of a ``[B, L, D]`` sequence, k not the first or last (DeiT's distillation
    token, ``x[:, 1]``): Slice of that one token, then Flatten."""
    shape = _shape(ctx, x)
    if len(shape) != 3 or not isinstance(index, tuple) or len(index) != 2 \
            or index[0] != slice(None) or not isinstance(index[1], int) \
            or isinstance(index[1], bool) or not -shape[1] <= index[1] < shape[1]:
        return None
    k = index[1]  # x[:, -2] stays counted from the end, at any length
    return Mapped("Slice", {"dim": 0, "start": k, "end": k + 1 if k != -1 else None}, [x],
                  then=[("Flatten", {})])


def _one_slice(index: Any, rank: int) -> tuple[int, slice] | None:
    """``x[:, a:b]``, ``x[:, :, a:b]``, ``x[:, a:b, :, :]``, ``x[..., a:b]``: (dim, slice)."""
    items = list(index) if isinstance(index, tuple) else [index]
    if Ellipsis in items:
        at = items.index(Ellipsis)
        if items.count(Ellipsis) > 1:
            return None
        items = items[:at] + [slice(None)] * (rank - len(items) + 1) + items[at + 1:]
    if not items or len(items) > rank or not all(isinstance(i, slice) for i in items):
        return None
    cut = [d for d, i in enumerate(items) if i != slice(None)]
    if len(cut) != 1 or cut[0] == 0:
        return None
    part = items[cut[0]]
    if part.step not in (None, 1) or not all(v is None or isinstance(v, int)
                                             for v in (part.start, part.stop)):
        return None
    return cut[0], part


def split_parts(ctx: Context, node: fx.Node) -> tuple[fx.Node, int, list[tuple[int, int]]]:
    """``x.chunk(2, dim=1)``, ``torch.split(x, [a, b], 1)``: the input, the dim (with the
    batch) and each part's (start, end), read from the recorded values."""
    x = ctx.tensor(node.args[0] if node.args else node.kwargs.get("input"), "input")
    a = args(node, ("input", "sections", "dim"), {"dim": 0})
    rank = len(_shape(ctx, x))
    dim = a["dim"] % rank
    if dim == 0:
        raise Unsupported("it splits the batch dimension")
    parts, start = [], 0
    for piece in ctx.value(node):
        size = piece.shape[dim]
        parts.append((start, start + size))
        start += size
    return x, dim, parts


# -- activations and pooling written as functions (dropout: dropout.py) -------------------


def _activation(block: str, names: tuple[str, ...] = ("input",), **params: str):
    """A rule for ``F.<fn>(x, ...)``: ``params`` maps block params to argument names."""
    def convert(ctx: Context, node: fx.Node) -> Mapped:
        a = args(node, names + tuple(n for n in ("inplace",) if n not in names))
        out = {}
        for param, arg in params.items():
            if arg in a:
                out[param] = a[arg]
        if "dim" in out:
            if out["dim"] is None or out["dim"] == 0:
                raise Unsupported("dim must be given and must not be the batch (0)")
            out["dim"] = batchless(out["dim"])
        return Mapped(block, out, [ctx.tensor(a["input"], "input")])
    return convert


for _targets, _rule in (
    ((F.relu, torch.relu, "relu"), _activation("ReLU")),
    ((F.relu6,), _activation("ReLU6")),
    ((F.silu,), _activation("SiLU")),
    ((F.mish,), _activation("Mish")),
    ((torch.sigmoid, F.sigmoid, "sigmoid"), _activation("Sigmoid")),
    ((torch.tanh, F.tanh, "tanh"), _activation("Tanh")),
    ((torch.sin, "sin"), _activation("Sin")),
    ((torch.cos, "cos"), _activation("Cos")),
    ((torch.exp, "exp", "exp_"), _activation("Exp")),
    ((F.hardswish,), _activation("Hardswish")),
    ((F.hardsigmoid,), _activation("Hardsigmoid")),
    ((F.gelu,), _activation("GELU", ("input",), approximate="approximate")),
    ((F.leaky_relu,), _activation("LeakyReLU", ("input", "negative_slope"),
                                  negative_slope="negative_slope")),
    ((F.elu,), _activation("ELU", ("input", "alpha"), alpha="alpha")),
    ((F.celu, torch.celu), _activation("CELU", ("input", "alpha"), alpha="alpha")),
    ((F.selu, torch.selu, "selu"), _activation("SELU")),
    ((F.softplus,), _activation("Softplus", ("input", "beta", "threshold"), beta="beta",
                                threshold="threshold")),
    ((F.softmax, torch.softmax, "softmax"), _activation("Softmax", ("input", "dim"), dim="dim")),
    ((F.log_softmax, torch.log_softmax, "log_softmax"),
     _activation("LogSoftmax", ("input", "dim"), dim="dim")),
):
    rule(*_targets)(_rule)


for _name in ("relu", "sigmoid", "tanh"):  # in place: ``x.relu_()``, ``torch.relu_(x)``
    for _target in (f"{_name}_", getattr(torch, f"{_name}_", None), getattr(F, f"{_name}_", None)):
        if _target is not None:
            FUNCTION_RULES[_target] = FUNCTION_RULES[_name]
FUNCTION_RULES["add_"], FUNCTION_RULES["mul_"] = FUNCTION_RULES["add"], FUNCTION_RULES["mul"]
FUNCTION_RULES["sub_"], FUNCTION_RULES["div_"] = FUNCTION_RULES["sub"], FUNCTION_RULES["div"]


@rule(F.interpolate, F.upsample)
def _interpolate(ctx: Context, node: fx.Node) -> Mapped:
    """``F.interpolate(x, scale_factor=2)`` (or a ``size`` a whole multiple of the input's):
    Upsample."""
    a = args(node, ("input", "size", "scale_factor", "mode", "align_corners",
                    "recompute_scale_factor", "antialias"),
             {"size": None, "scale_factor": None, "mode": "nearest"})
    x = ctx.tensor(a["input"], "input")
    if a.get("antialias"):
        raise Unsupported("antialias=True (Upsample has no antialiasing)")
    if a["mode"] not in ("nearest", "linear", "bilinear", "bicubic", "trilinear"):
        raise Unsupported(f"mode={a['mode']!r} (Upsample has nearest, linear, bilinear, "
                          f"bicubic and trilinear)")
    like = _size_source(ctx, a["size"])
    if like is not None and a["scale_factor"] is None:
        # the size of another tensor, whatever it is at another input size: ResizeTo
        return Mapped("ResizeTo", {"mode": a["mode"],
                                   "align_corners": bool(a.get("align_corners"))},
                      [x, ctx.tensor(like, "like")], ports=["input", "like"])
    before, after = _shape(ctx, x)[2:], _shape(ctx, node)[2:]
    if a["scale_factor"] is not None:
        scale = a["scale_factor"]
    elif after and all(o % i == 0 for i, o in zip(before, after)):
        scale = [o // i for i, o in zip(before, after)]
    else:
        raise Unsupported(f"the output size {list(after)} is not a whole multiple of the "
                          f"input's {list(before)} (Upsample enlarges by a scale factor)")
    return Mapped("Upsample", {"scale_factor": scale, "mode": a["mode"],
                               "align_corners": bool(a.get("align_corners"))}, [x])


def _size_source(ctx: Context, size: Any) -> fx.Node | None:
    """The tensor whose spatial sizes ``size`` reads, all of them in order (``t.shape[2:]``,
    ``t.shape[-2:]``, ``t.size()[2:]``, ``(t.size(2), t.size(3))``, ``(t.shape[2],
    t.shape[3])``), or None (numbers, or sizes of several tensors)."""
    if isinstance(size, fx.Node) and size.op == "call_function" \
            and size.target is operator.getitem and isinstance(size.args[1], slice):
        tensor, index = _shape_read_of(size.args[0]), size.args[1]
        if tensor is None or index.stop is not None or index.step not in (None, 1):
            return None
        rank = len(_shape(ctx, tensor))
        start = index.start if index.start is not None else 0
        return tensor if isinstance(start, int) and rank > 2 and start % rank == 2 else None
    if not isinstance(size, (list, tuple)) or not size:
        return None
    reads = [_one_size_read(part) for part in size]
    if any(r is None for r in reads) or len({r[0] for r in reads}) != 1:
        return None
    tensor = reads[0][0]
    rank = len(_shape(ctx, tensor))
    return tensor if [r[1] % rank for r in reads] == list(range(2, rank)) else None


def _shape_read_of(node: Any) -> fx.Node | None:
    """``t`` of ``t.shape`` or ``t.size()``."""
    if not isinstance(node, fx.Node):
        return None
    if node.op == "call_function" and node.target is getattr and node.args[1] == "shape":
        return node.args[0] if isinstance(node.args[0], fx.Node) else None
    if node.op == "call_method" and node.target == "size" and len(node.args) == 1 \
            and not node.kwargs:
        return node.args[0] if isinstance(node.args[0], fx.Node) else None
    return None


def _one_size_read(node: Any) -> tuple[fx.Node, int] | None:
    """``(t, d)`` of ``t.size(d)``, ``t.shape[d]`` or ``t.size()[d]``."""
    if not isinstance(node, fx.Node):
        return None
    if node.op == "call_method" and node.target == "size" and len(node.args) == 2 \
            and isinstance(node.args[0], fx.Node) and isinstance(node.args[1], int):
        return node.args[0], node.args[1]
    if node.op == "call_function" and node.target is operator.getitem \
            and isinstance(node.args[1], int):
        tensor = _shape_read_of(node.args[0])
        return (tensor, node.args[1]) if tensor is not None else None
    return None


@rule(torch.clamp, torch.clip, "clamp", "clip", "clamp_", "clip_")
def _clamp(ctx: Context, node: fx.Node) -> Mapped:
    """``x.clamp(min=0)`` is ReLU, ``x.clamp(0, 6)`` ReLU6, other bounds Hardtanh."""
    a = args(node, ("input", "min", "max"), {"min": None, "max": None})
    return _bounded(ctx, a["input"], a["min"], a["max"])


@rule(torch.clamp_min, "clamp_min", "clamp_min_")
def _clamp_min(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "min"))
    return _bounded(ctx, a["input"], a["min"], None)


@rule(torch.clamp_max, "clamp_max", "clamp_max_")
def _clamp_max(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "max"))
    return _bounded(ctx, a["input"], None, a["max"])


def _bounded(ctx: Context, x: Any, low: Any, high: Any) -> Mapped:
    """A clamp to number bounds: ReLU for [0, ∞), ReLU6 for [0, 6], Hardtanh for any other
    two bounds. One bound other than min=0 has no block (Hardtanh needs both): the message
    gives the same function written with ReLU and scalar arithmetic, which imports."""
    for bound in (low, high):
        if bound is not None and not _number(bound):
            raise Unsupported("a bound that is a tensor or computed in forward (a clamp maps "
                              "to a block only with numbers as bounds)")
    if low == 0 and high is None:
        return Mapped("ReLU", {}, [ctx.tensor(x, "input")])
    if low == 0 and high == 6:
        return Mapped("ReLU6", {}, [ctx.tensor(x, "input")])
    if low is not None and high is not None:
        if low >= high:
            raise Unsupported(f"clamping to [{low}, {high}] makes every value {high} (a "
                              f"clamp maps to a block, Hardtanh, when min < max)")
        return Mapped("Hardtanh", {"min_val": float(low), "max_val": float(high)},
                      [ctx.tensor(x, "input")])
    if high is None:
        shift, back = (f"x - {low}", f"+ {low}") if low > 0 else (f"x + {-low}", f"- {-low}")
        raise Unsupported(f"clamping to min={low} with no upper bound has no block (of "
                          f"one-sided clamps only min=0, ReLU, has one; Hardtanh needs both "
                          f"bounds); write F.relu({shift}) {back}, the same values, which "
                          f"imports as ReLU between two Rescaling blocks, or "
                          f"x.clamp({low}, upper) with an upper bound (Hardtanh)")
    raise Unsupported(f"clamping to max={high} with no lower bound has no block (Hardtanh "
                      f"needs both bounds); write {high} - F.relu({high} - x), the same "
                      f"values, which imports as ReLU between two Rescaling blocks, or "
                      f"x.clamp(lower, {high}) with a lower bound (Hardtanh)")


@rule(F.hardtanh, F.hardtanh_)
def _hardtanh(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "min_val", "max_val", "inplace"),
             {"min_val": -1.0, "max_val": 1.0})
    low, high = a["min_val"], a["max_val"]
    if not (_number(low) and _number(high)):
        raise Unsupported("bounds that are not numbers")
    if low >= high:
        raise Unsupported(f"min_val {low} is not below max_val {high}")
    return Mapped("Hardtanh", {"min_val": float(low), "max_val": float(high)},
                  [ctx.tensor(a["input"], "input")])


@rule(F.adaptive_avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_max_pool2d,
      F.adaptive_max_pool1d)
def _adaptive_pool(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "output_size", "return_indices"))
    if a.get("return_indices"):
        raise Unsupported("return_indices=True")
    block = {F.adaptive_avg_pool2d: "AdaptiveAvgPool2d", F.adaptive_max_pool2d:
             "AdaptiveMaxPool2d", F.adaptive_max_pool1d: "AdaptiveMaxPool1d"}.get(
                 node.target, "AdaptiveAvgPool1d")
    return Mapped(block, {"output_size": a["output_size"]}, [ctx.tensor(a["input"], "input")])


@rule(F.max_pool2d, F.max_pool1d, F.avg_pool2d, F.avg_pool1d)
def _pool(ctx: Context, node: fx.Node) -> Mapped:
    is_max = node.target in (F.max_pool2d, F.max_pool1d)
    names = ("input", "kernel_size", "stride", "padding") + (
        ("dilation", "ceil_mode") if is_max else ("ceil_mode", "count_include_pad"))
    a = args(node, names, {"stride": None, "padding": 0, "ceil_mode": False})
    if a.get("divisor_override") is not None or a.get("return_indices"):
        raise Unsupported("divisor_override or return_indices")
    rank = len(_shape(ctx, a["input"])) - 1
    spatial = 2 if node.target in (F.max_pool2d, F.avg_pool2d) else 1
    if rank == spatial + 1 and _over_the_map(ctx, a, is_max):
        block = f"Adaptive{'Max' if is_max else 'Avg'}Pool{rank - 1}d"
        return Mapped(block, {"output_size": 1}, [ctx.tensor(a["input"], "input")])
    whole = _whole_dims(ctx, a, spatial, is_max)
    if whole:  # F.avg_pool2d(x, (x.shape[1], 1)) of [B, L, E]: the mean over the steps, kept
        return Mapped("Reduce", {"op": "max" if is_max else "mean", "dim": whole,
                                 "keepdim": True}, [ctx.tensor(a["input"], "input")])
    if rank != spatial + 1:
        raise Unsupported(f"a {rank + 1}-D input (with the batch) of a {spatial}-D pool, whose "
                          f"window then runs over the batch's samples as channels; a window "
                          f"of the whole dimension or 1 imports (the mean or max over it, as "
                          f"FastText's F.avg_pool2d(x, (x.shape[1], 1)))")
    block = f"{'MaxPool' if is_max else 'AvgPool'}{rank - 1}d"
    params = {k: a[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                "count_include_pad")
              if k in a and (k != "stride" or a[k] not in (None, []))}
    return Mapped(block, params, [ctx.tensor(a["input"], "input")])


def _whole_dims(ctx: Context, a: dict, spatial: int, is_max: bool) -> list[int]:
    """The dims (batch not counted) that a window computed from sizes covers whole, where it
    is 1 on the others: a reduction over them, kept, as FastText's
    ``F.avg_pool2d(embedded, (embedded.shape[1], 1))`` of ``[B, L, E]`` (torch pools it as one
    map per sample, the batch its channels), the mean over the steps. [] where it is not."""
    found: list = []
    fx.node.map_arg(a["kernel_size"], found.append)
    if not found:
        return []
    sizes = list(_shape(ctx, a["input"])[-spatial:])
    kernel = _dims(fx.node.map_arg(a["kernel_size"], ctx.value))
    kernel = kernel * spatial if len(kernel) == 1 else kernel
    stride = fx.node.map_arg(a.get("stride"), ctx.value)
    stride = kernel if stride in (None, []) else _dims(stride)
    stride = stride * spatial if len(stride) == 1 else stride
    plain = all(set(_dims(fx.node.map_arg(a.get(k, d), ctx.value))) == {d}
                for k, d in (("padding", 0), ("dilation", 1))) and not a.get("ceil_mode")
    if not plain or len(kernel) != spatial or len(stride) != spatial or any(
            k not in (1, n) or k == 1 and s != 1 for k, n, s in zip(kernel, sizes, stride)):
        return []
    whole = [i - spatial for i, (k, n) in enumerate(zip(kernel, sizes)) if k == n and n != 1]
    return whole if whole and (len(whole) < spatial or len(_shape(ctx, a["input"])) ==
                               spatial + 1) else []


def _over_the_map(ctx: Context, a: dict, is_max: bool) -> bool:
    """A window computed in forward from sizes (``F.max_pool1d(c, c.shape[2])``,
    ``F.avg_pool2d(x, x.size()[2:])``) that covers the whole map at the traced size: a global
    pool, which follows the map's size wherever the model runs (a fixed window of the traced
    size would not). A window written as a number stays a fixed pool: that is what it says."""
    found: list = []
    fx.node.map_arg(a["kernel_size"], found.append)
    if not found:
        return False
    spatial = list(_shape(ctx, a["input"])[2:])
    kernel = _dims(fx.node.map_arg(a["kernel_size"], ctx.value))
    kernel = kernel * len(spatial) if len(kernel) == 1 else kernel
    settings = [fx.node.map_arg(a.get(k, 0 if k == "padding" else 1), ctx.value)
                for k in ("padding", "dilation")]
    padding, dilation = (_dims(v) for v in settings)
    return kernel == spatial and set(padding) == {0} and (not is_max or set(dilation) == {1})


# -- functions on a module's own parameters (layers subclassed with a forward of their own) ----


def _owned(ctx: Context, node: fx.Node, given: dict[str, Any], what: str) -> tuple[str, dict]:
    """The module owning the parameters ``given`` (``{key: fx node or None}``) and the
    block's weights: ``timm``'s ``BatchNormAct2d`` calls ``F.batch_norm(x, self.running_mean,
    …)``; its parameters are the block's."""
    weights, owners = {}, set()
    for key, arg in given.items():
        if arg is None:
            continue
        const = ctx.const(arg)
        if const is None:
            raise Unsupported(f"its {key} is computed, not a parameter of a layer ({what} maps "
                              f"to a block only with a module's own parameters)")
        owners.add(const.path.rpartition(".")[0])
        weights[key] = (const.path, const.tensor)
    if len(owners) > 1:
        raise Unsupported(f"its parameters come from several modules ({', '.join(sorted(owners))})")
    return (owners.pop() if owners else ""), weights


@rule(F.batch_norm)
def _batch_norm(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "running_mean", "running_var", "weight", "bias", "training",
                    "momentum", "eps"), {"weight": None, "bias": None, "training": False,
                                         "momentum": 0.1, "eps": 1e-5})
    x = ctx.tensor(a["input"], "input")
    if a["training"] or a["running_mean"] is None or a["running_var"] is None:
        raise Unsupported("batch statistics at evaluation (track_running_stats=False) have no "
                          "block equivalent")
    if (a["weight"] is None) != (a["bias"] is None):
        raise Unsupported("a scale without a shift (or the reverse)")
    owner, weights = _owned(ctx, node, {k: a[k] for k in ("weight", "bias", "running_mean",
                                                          "running_var")}, "F.batch_norm")
    rank = len(_shape(ctx, x))
    if rank not in (2, 3, 4):
        raise Unsupported(f"a {rank}-D input (BatchNorm1d/2d take 2-D to 4-D with the batch)")
    counter = f"{owner}.num_batches_tracked" if owner else "num_batches_tracked"
    state = ctx.model.state_dict()
    if counter not in state:
        raise Unsupported(f"'{owner}' has no num_batches_tracked buffer (the block keeps one)")
    weights["num_batches_tracked"] = (counter, state[counter])
    module = ctx.model.get_submodule(owner) if owner else ctx.model
    momentum = getattr(module, "momentum", a["momentum"])
    if momentum is None:
        raise Unsupported("momentum=None (a cumulative average)")
    return Mapped("BatchNorm2d" if rank == 4 else "BatchNorm1d",
                  {"eps": a["eps"], "momentum": momentum, "affine": a["weight"] is not None},
                  [x], weights=weights, name=owner or None)


@rule(F.layer_norm)
def _layer_norm(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "normalized_shape", "weight", "bias", "eps"),
             {"weight": None, "bias": None, "eps": 1e-5})
    x = ctx.tensor(a["input"], "input")
    shape = _dims(fx.node.map_arg(a["normalized_shape"], ctx.value))  # or x.shape[1:]
    if not 1 <= len(shape) < len(_shape(ctx, x)) \
            or tuple(shape) != _shape(ctx, x)[-len(shape):]:
        raise Unsupported(f"normalized_shape={shape} (the block normalises over the trailing "
                          f"dimensions of the input, after the batch)")
    owner, weights = _owned(ctx, node, {"weight": a["weight"], "bias": a["bias"]},
                            "F.layer_norm")
    affine = a["weight"] is not None
    if not affine and a["bias"] is not None:
        raise Unsupported("a shift without a scale")
    return Mapped("LayerNorm", {"eps": a["eps"], "elementwise_affine": affine,
                                "bias": a["bias"] is not None or not affine,
                                "dims": len(shape)},
                  [x], weights=weights, name=owner or None)


@rule(F.group_norm)
def _group_norm(ctx: Context, node: fx.Node) -> Mapped:
    """``F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)`` (timm's
    ``GroupNorm``/``GroupNorm1`` of PoolFormer): GroupNorm over the channels, dimension 1."""
    a = args(node, ("input", "num_groups", "weight", "bias", "eps"),
             {"weight": None, "bias": None, "eps": 1e-5})
    x = ctx.tensor(a["input"], "input")
    groups, eps = (fx.node.map_arg(a[k], ctx.value) for k in ("num_groups", "eps"))
    shape = _shape(ctx, x)
    if type(groups) is not int or len(shape) < 2 or groups < 1 or shape[1] % groups:
        raise Unsupported(f"num_groups={groups!r} does not divide the {shape[1:2]} channels "
                          f"of its input")
    if not _number(eps):
        raise Unsupported("an eps that is not a number")
    if (a["weight"] is None) != (a["bias"] is None):
        raise Unsupported("a scale without a shift (or the reverse); the block has both or "
                          "neither (affine)")
    owner, weights = _owned(ctx, node, {"weight": a["weight"], "bias": a["bias"]},
                            "F.group_norm")
    return Mapped("GroupNorm", {"num_groups": groups, "eps": float(eps),
                                "affine": a["weight"] is not None},
                  [x], weights=weights, name=owner or None)


@rule(F.rms_norm)
def _rms_norm(ctx: Context, node: fx.Node) -> Mapped:
    """``F.rms_norm(x, (D,), self.weight, eps)`` over the last dimension: RMSNorm."""
    a = args(node, ("input", "normalized_shape", "weight", "eps"), {"weight": None, "eps": None})
    x = ctx.tensor(a["input"], "input")
    shape = _dims(fx.node.map_arg(a["normalized_shape"], ctx.value))
    if len(shape) != 1 or shape[0] != _shape(ctx, x)[-1]:
        raise Unsupported(f"normalized_shape={shape} (the block normalises over the last "
                          f"dimension)")
    owner, weights = _owned(ctx, node, {"weight": a["weight"]}, "F.rms_norm")
    eps = torch.finfo(torch.float32).eps if a["eps"] is None else a["eps"]
    if not _number(eps):
        raise Unsupported("an eps that is not a number")
    return Mapped("RMSNorm", {"eps": float(eps), "elementwise_affine": a["weight"] is not None},
                  [x], weights=weights, name=owner or None)


@rule(F.linear)
def _linear(ctx: Context, node: fx.Node) -> Mapped:
    a = args(node, ("input", "weight", "bias"), {"bias": None})
    x = ctx.tensor(a["input"], "input")
    owner, weights = _owned(ctx, node, {"weight": a["weight"], "bias": a["bias"]}, "F.linear")
    out_features = tuple(ctx.value(a["weight"]).shape)[0]
    return Mapped("Linear", {"out_features": out_features, "bias": a["bias"] is not None},
                  [x], weights=weights, name=owner or None)


# each function: its block, its spatial dimensions, and whether it is transposed
_CONVOLUTIONS = {F.conv1d: ("Conv1d", 1, False), F.conv2d: ("Conv2d", 2, False),
                 F.conv3d: ("Conv3d", 3, False), F.conv_transpose1d: ("ConvTranspose1d", 1, True),
                 F.conv_transpose2d: ("ConvTranspose2d", 2, True)}


@rule(*_CONVOLUTIONS)
def _convolution(ctx: Context, node: fx.Node) -> Mapped:
    """``F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)`` in
    a layer's own forward (WaveNet's and TCN's causal ``nn.Conv1d`` subclasses, which pad
    first): the Conv block, with the layer's weights and settings."""
    block, spatial, transposed = _CONVOLUTIONS[node.target]
    names = ("input", "weight", "bias", "stride", "padding") + (
        ("output_padding", "groups", "dilation") if transposed else ("dilation", "groups"))
    a = args(node, names, {"bias": None, "stride": 1, "padding": 0, "output_padding": 0,
                           "groups": 1, "dilation": 1})
    x = ctx.tensor(a["input"], "input")
    what = f"F.{node.target.__name__}"
    owner, weights = _owned(ctx, node, {"weight": a["weight"], "bias": a["bias"]}, what)
    rank = len(_shape(ctx, x))
    if rank != spatial + 2:
        raise Unsupported(f"a {rank}-D input (with the batch); {block} takes "
                          f"{spatial + 2}-D, [B, C, ...{spatial} spatial]")
    calls = [u for u in a["weight"].users if u.target in _CONVOLUTIONS]
    if len(calls) > 1:
        raise Unsupported(f"'{weights['weight'][0]}' is used by {len(calls)} convolutions, "
                          f"sharing its weights; each LayerLoom block has weights of its own")
    shape = tuple(ctx.value(a["weight"]).shape)
    groups = ctx.value(a["groups"])
    params = {"out_channels": shape[1] * groups if transposed else shape[0],
              "kernel_size": list(shape[2:]), "stride": a["stride"], "padding": a["padding"],
              "dilation": a["dilation"], "groups": groups, "bias": a["bias"] is not None}
    if transposed:
        params["output_padding"] = a["output_padding"]
    return Mapped(block, params, [x], weights=weights, name=owner or None)
