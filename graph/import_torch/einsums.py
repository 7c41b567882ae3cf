"""``torch.einsum`` products of two computed tensors, written as the permutes and batched
matrix product that they are, which import as Permute and MatMul blocks::

    att = torch.einsum('bhqd,bhkd->bhqk', q, k)     # q @ k.transpose(-2, -1)
    y = torch.einsum('bhqk,bhkd->bhqd', att, v)     # att @ v
    y = torch.einsum('bhqk,bkhd->bqhd', att, v)     # (att @ v.permute(0, 2, 1, 3)), permuted

An equation imports where each operand keeps the letters they share with the output (the
batch first, and the heads) in one order, sums exactly one letter, and keeps one letter of its
own: a matrix product per batch (and head). Any other einsum (with a parameter, a letter
summed away alone, an outer product) is left as it is and refused by the import with what it
wrote. ``...`` stands for the same leading dimensions in both operands and the output.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

from .rearrangements import WRITTEN
from .rewriting import calls, erase_unused

_EINSUM = (torch.einsum, torch.functional.einsum, "einsum")


def expand_einsums(gm: fx.GraphModule, values: dict[fx.Node, Any]) -> bool:
    """Replace each einsum that is a batched matrix product of two computed tensors (see the
    module's text) by permutes and a matmul; ``values`` are the nodes' values on the sample.
    Whether anything was replaced."""
    changed = False
    for node in list(gm.graph.nodes):
        if not calls(node, _EINSUM):
            continue
        found = _operands(node, values)
        if found is None:
            continue
        equation, left, right, plan = found
        written = f"torch.einsum({equation!r})"
        with gm.graph.inserting_before(node):
            a = _permuted(gm, left, plan.left, written)
            b = _permuted(gm, right, plan.right, written)
            product = gm.graph.call_function(torch.matmul, (a, b))
            product.meta[WRITTEN] = written
            result = _permuted(gm, product, plan.out, written)
        result.meta.update({k: v for k, v in node.meta.items()
                            if k not in ("val", "tensor_meta")})
        node.replace_all_uses_with(result)
        erase_unused(gm.graph, node)
        changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return changed


class Plan:
    """The permutations of the two operands before the matmul and of its product after."""

    def __init__(self, left: list[int], right: list[int], out: list[int]):
        self.left, self.right, self.out = left, right, out


def product_plan(equation: str, left_rank: int, right_rank: int) -> Plan | None:
    """How ``equation`` is a batched matrix product, or None.

    >>> vars(product_plan('bhqd,bhkd->bhqk', 4, 4))
    {'left': [0, 1, 2, 3], 'right': [0, 1, 3, 2], 'out': [0, 1, 2, 3]}
    >>> vars(product_plan('bhqk,bkhd->bqhd', 4, 4))
    {'left': [0, 1, 2, 3], 'right': [0, 2, 1, 3], 'out': [0, 2, 1, 3]}
    >>> vars(product_plan('...id,...jd->...ij', 4, 4))
    {'left': [0, 1, 2, 3], 'right': [0, 1, 3, 2], 'out': [0, 1, 2, 3]}
    >>> product_plan('bd,do->bo', 2, 2) is None   # no letter kept by both: a linear layer
    True
    """
    equation = equation.replace(" ", "")
    if "->" not in equation:
        return None
    terms, out = equation.split("->")
    terms = terms.split(",")
    if len(terms) != 2:
        return None
    if "..." in equation:  # the leading dimensions, named by letters of their own
        extra = left_rank - len(terms[0].replace("...", ""))
        if extra < 0 or right_rank - len(terms[1].replace("...", "")) != extra \
                or any(t.count("...") != 1 for t in (*terms, out)):
            return None
        lead = "ABCDEFGH"[:extra]
        terms, out = [t.replace("...", lead) for t in terms], out.replace("...", lead)
    if "." in "".join(terms) + out or [len(t) for t in terms] != [left_rank, right_rank]:
        return None
    a, b = terms
    if any(len(set(t)) != len(t) for t in (a, b, out)) or set(out) - set(a) - set(b):
        return None
    shared = [c for c in out if c in a and c in b]
    summed = [c for c in a if c in b and c not in out]
    own_a = [c for c in a if c not in b]
    own_b = [c for c in b if c not in a]
    if not shared or len(summed) != 1 or len(own_a) != 1 or len(own_b) != 1 \
            or own_a[0] not in out or own_b[0] not in out:
        return None
    if [c for c in a if c in shared] != shared or [c for c in b if c in shared] != shared:
        return None  # the shared letters in another order in an operand (a batch moved)
    left = [a.index(c) for c in shared + own_a + summed]
    right = [b.index(c) for c in shared + summed + own_b]
    product = shared + own_a + own_b
    return Plan(left, right, [product.index(c) for c in out])


def _operands(node: fx.Node, values: dict) -> tuple[str, fx.Node, fx.Node, Plan] | None:
    """``(equation, left, right, plan)`` of ``torch.einsum(equation, a, b)`` (or ``[a, b]``), both
    tensors computed in forward (not a parameter read directly), with their ranks checked."""
    if node.kwargs or len(node.args) < 2 or not isinstance(node.args[0], str):
        return None
    operands = node.args[1] if len(node.args) == 2 and isinstance(node.args[1],
                                                                  (list, tuple)) \
        else node.args[1:]
    if len(operands) != 2 or not all(isinstance(o, fx.Node) and o.op != "get_attr"
                                     and isinstance(values.get(o), torch.Tensor)
                                     for o in operands):
        return None
    left, right = operands
    plan = product_plan(node.args[0], values[left].dim(), values[right].dim())
    return (node.args[0], left, right, plan) if plan is not None else None


def _permuted(gm: fx.GraphModule, x: fx.Node, order: list[int], written: str) -> fx.Node:
    if order == sorted(order):
        return x
    moved = gm.graph.call_method("permute", (x, *order))
    moved.meta[WRITTEN] = written
    return moved
