"""Merges: Add and Multiply (broadcasting), Subtract and Divide (left and right, broadcasting),
Concat along a dimension, MatMul (batched matrix product)."""

from __future__ import annotations

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, Ports, register
from .common import batch_dim, expect_min_rank, normalize_dim, prod, show
from .common import modules  # imported when a block is built


def broadcast(shapes, what: str):
    """PyTorch broadcasting with the batch in front of every input: equal ranks, and each
    dimension equal or 1."""
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ShapeError(f"{what} needs inputs of the same rank, got "
                         + " and ".join(show(s) for s in shapes))
    out = []
    for dims in zip(*shapes):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ShapeError(f"{what} of " + " and ".join(show(s) for s in shapes)
                             + ": sizes must match (or be 1) in every dimension")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


register(BlockSpec(
    "Add", "Merge", "Elementwise sum of two or more inputs (residual joins).",
    ports=Ports("variadic", min=2, max=None),
    infer=lambda p, ins: broadcast(ins, "Add"), build=lambda p, ins: modules.Add(),
    examples=(({}, ((4, 5, 5), (4, 5, 5))), ({}, ((4, 5, 5), (4, 1, 1), (4, 5, 5))),
              ({}, ((7,), (7,)))),
))

register(BlockSpec(
    "Multiply", "Merge", "Elementwise product of two inputs, broadcasting (gates, attention "
    "masks).",
    ports=Ports("variadic", min=2, max=2),
    infer=lambda p, ins: broadcast(ins, "Multiply"), build=lambda p, ins: modules.Multiply(),
    examples=(({}, ((6, 4, 4), (6, 1, 1))), ({}, ((5,), (5,)))),
))


def _ordered(name: str, symbol: str):
    """Subtract or Divide: the two inputs are not interchangeable, so they are named ports."""
    register(BlockSpec(
        name, "Merge",
        f"Elementwise left {symbol} right, broadcasting as Add does (a [C, 1, 1] right "
        f"{'shifts' if symbol == '−' else 'scales'} each channel of a [C, H, W] left).",
        ports=Ports("named", names=("left", "right"), min=2, max=2),
        infer=lambda p, ins: broadcast(ins, name),
        build=lambda p, ins: getattr(modules, name)(),
        doc_url=f"https://pytorch.org/docs/stable/generated/torch.{name[:3].lower()}.html",
        examples=(({}, ((4, 5, 5), (4, 5, 5))), ({}, ((6, 4, 4), (6, 1, 1))),
                  ({}, ((7,), (7,)))),
    ))


_ordered("Subtract", "−")
_ordered("Divide", "/")


def _concat_shape(p, ins):
    rank = len(ins[0])
    dim = normalize_dim(p["dim"], rank)
    for i, s in enumerate(ins):
        if len(s) != rank or any(a != b for j, (a, b) in enumerate(zip(s, ins[0])) if j != dim):
            raise ShapeError(f"Concat along dim {p['dim']} needs the other dimensions to match, "
                             f"got " + " and ".join(show(x) for x in ins), port=i)
    return ins[0][:dim] + (sum(s[dim] for s in ins),) + ins[0][dim + 1:]


register(BlockSpec(
    "Concat", "Merge", "Joins two or more inputs along dim (0: channels of an image).",
    params=(Param("dim", "int", 0, "Dimension to join along (batch not counted)."),),
    ports=Ports("variadic", min=2, max=None), infer=_concat_shape,
    build=lambda p, ins: modules.Concat(batch_dim(p["dim"])), key_params=("dim",),
    input_dtype="any", output_dtype="same",
    doc_url="https://pytorch.org/docs/stable/generated/torch.cat.html",
    examples=(({}, ((3, 4, 4), (5, 4, 4))), ({"dim": -1}, ((2, 3), (2, 6), (2, 1)))),
))


def _matmul_shape(p, ins):
    left, right = ins
    expect_min_rank(left, 2, "[..., N, K] (at least 2-D)", port=0)
    expect_min_rank(right, 2, "[..., K, M] (at least 2-D)", port=1)
    if len(left) != len(right):
        raise ShapeError(f"MatMul needs inputs of the same rank, got {show(left)} and "
                         f"{show(right)}", port=1)
    if left[-1] != right[-2]:
        raise ShapeError(f"MatMul of {show(left)} and {show(right)}: the left's last dimension "
                         f"({left[-1]}) must equal the right's second-to-last ({right[-2]})",
                         port=1)
    lead = broadcast([left[:-2], right[:-2]], "MatMul") if len(left) > 2 else ()
    return lead + (left[-2], right[-1])


register(BlockSpec(
    "MatMul", "Merge",
    "Matrix product of two inputs, left @ right, batched over the leading dimensions "
    "(torch.matmul): [..., N, K] @ [..., K, M] gives [..., N, M], leading sizes equal or 1 "
    "(broadcast). Attention written by hand: q @ kᵀ, then the weights @ v.",
    ports=Ports("named", names=("left", "right"), min=2, max=2),
    infer=_matmul_shape, build=lambda p, ins: modules.MatMul(),
    macs=lambda p, ins, out: prod(out) * ins[0][-1],
    doc_url="https://pytorch.org/docs/stable/generated/torch.matmul.html",
    examples=(({}, ((5, 8), (8, 3))), ({}, ((2, 5, 4), (2, 4, 5))),
              ({}, ((2, 1, 3, 4), (1, 6, 4, 2)))),
))
