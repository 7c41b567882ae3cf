"""Dropout written as a function: ``F.dropout(x, p, training=...)``.

The model is traced in evaluation mode, so ``training=self.training`` and a literal
``training=False`` both read False then; they differ while training. What the user's line
passes decides what the call becomes:

- ``training=self.training`` (directly, or through a variable or argument that holds it):
  the Dropout block, which drops while the graph trains, as the model does;
- ``training=False`` (or no argument where the default is False, as for ``F.alpha_dropout``):
  nothing, the call passes its input on (the model never drops there);
- anything else (a flag of the model's own, ``training=True``): refused, naming it.
"""

from __future__ import annotations

import ast

import torch
import torch.nn.functional as F
from torch import fx

from .functions import Alias, Context, Mapped, args, rule
from .modules import Unsupported
from .trace import user_frames
from .user_source import enclosing_function, reads_training, tree

_LEFT_OUT = object()  # the call leaves the training argument out: its default

# each function: its block (None: no block drops so), and its arguments' names and defaults
_DROPOUTS = {
    F.dropout: ("Dropout", ("input", "p", "training", "inplace"), True),
    torch.dropout: ("Dropout", ("input", "p", "train"), None),
    F.dropout2d: ("Dropout2d", ("input", "p", "training", "inplace"), True),
    F.dropout1d: (None, ("input", "p", "training", "inplace"), True),
    F.dropout3d: (None, ("input", "p", "training", "inplace"), True),
    F.alpha_dropout: (None, ("input", "p", "training", "inplace"), False),
    F.feature_alpha_dropout: (None, ("input", "p", "training", "inplace"), False),
}


@rule(*_DROPOUTS)
def _dropout(ctx: Context, node: fx.Node) -> Mapped | Alias:
    block, names, default = _DROPOUTS[node.target]
    flag = names[2]
    a = args(node, names, {"p": 0.5, flag: default})
    x = ctx.tensor(a["input"], "input")
    name = f"{'F' if node.target is not torch.dropout else 'torch'}.{node.target.__name__}"
    if a[flag] is not False:
        raise Unsupported(f"{flag}={a[flag]!r} (the default of {name}) drops values in "
                          f"evaluation too; pass {flag}=self.training")
    written = _training_argument(node, flag, names.index(flag))
    reads = {(file, line) for file, line, _ in ctx.gm.meta.get("training_reads", [])}
    followed = ctx.gm.meta.setdefault("training_followed", set())
    follows = _follows_training(node, written, reads, followed)
    if follows is None:  # a literal False: the model never drops here
        return Alias(x)
    if not follows:
        shown = f"{flag}={ast.unparse(written)}" if isinstance(written, ast.AST) else \
            f"its {flag} argument"
        raise Unsupported(f"{shown} is neither self.training nor False, so it is not known "
                          f"whether the model drops while training; pass {flag}=self.training "
                          f"(a Dropout block, which drops only while the graph trains) or "
                          f"{flag}=False (never drops: no block)")
    if block is None:
        raise Unsupported(f"{flag}=self.training, but no LayerLoom block drops as {name} "
                          f"does (Dropout and Dropout2d do F.dropout and F.dropout2d)")
    rank = ctx.value(x).dim()
    if block == "Dropout2d" and rank != 4:
        raise Unsupported(f"a {rank}-D input (with the batch); the Dropout2d block drops "
                          f"channels of a [B, C, H, W] map")
    return Mapped(block, {"p": a["p"]}, [x])


def _follows_training(node: fx.Node, written: ast.AST | object | None,
                      reads: set[tuple[str, int]], followed: set[tuple[str, int]]) -> bool | None:
    """True where the training argument is ``self.training`` (read in the user's code on the
    call's line, or through a variable or argument holding it), None where it is the literal
    False (or left out with a default of False), False where it is anything else."""
    if written is _LEFT_OUT:  # its default, False: as a literal
        return None
    if isinstance(written, ast.Constant) and written.value is False:
        return None
    frames = user_frames(node)
    if isinstance(written, ast.AST) and reads_training(written):
        return True
    if isinstance(written, ast.Name) and frames:
        function = enclosing_function(*frames[-1])
        if function is not None:
            values = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                      and any(isinstance(t, ast.Name) and t.id == written.id for t in n.targets)]
            if values:
                return all(reads_training(v) for v in values)
            parameters = {a.arg for a in function.args.args + function.args.kwonlyargs}
            if written.id in parameters:  # a helper's argument: its caller's line decides
                callers = [f for f in frames[:-1] if f in reads and _passes_training(*f)]
                # those lines' reads are dropout's training argument, not a branch of their own
                followed.update(callers)
                return bool(callers)
    if written is None:  # the source is not at hand: only a read on one of its lines tells
        return any(frame in reads for frame in frames)
    return False


def _training_argument(node: fx.Node, flag: str, position: int) -> ast.AST | object | None:
    """The expression the user's line passes as the training argument of the dropout call that
    made ``node``; :data:`_LEFT_OUT` where the call leaves it out; None where the source is not
    at hand."""
    frames = user_frames(node)
    if not frames:
        return None
    file, line = frames[-1]
    parsed = tree(file)
    if parsed is None:
        return None
    called = node.target.__name__
    calls = [n for n in ast.walk(parsed) if isinstance(n, ast.Call)
             and n.lineno <= line <= (n.end_lineno or n.lineno)
             and (getattr(n.func, "attr", None) or getattr(n.func, "id", None)) == called]
    if not calls:
        return None
    call = max(calls, key=lambda n: n.lineno)  # the innermost call on that line
    for keyword in call.keywords:
        if keyword.arg == flag:
            return keyword.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[position]
    return None if any(k.arg is None for k in call.keywords) else _LEFT_OUT  # f(**kw): unknown


def _passes_training(file: str, line: int) -> bool:
    """``file:line`` passes ``self.training`` as an argument of a call (a helper's)."""
    parsed = tree(file)
    return parsed is not None and any(
        isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)
        and any(reads_training(a) for a in n.args + [k.value for k in n.keywords])
        for n in ast.walk(parsed))
