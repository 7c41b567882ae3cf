"""The user's source as Python syntax, for what a trace cannot tell: what a line passes
(``training=self.training`` or ``False``), and which ``with`` a line runs in."""

from __future__ import annotations

import ast
import linecache
from pathlib import Path

_TREES: dict[tuple[str, int], ast.Module | None] = {}


def tree(file: str) -> ast.Module | None:
    """The parsed source of ``file`` (cached while the file is unchanged), or None."""
    lines = linecache.getlines(file)
    key = (str(Path(file)), hash(tuple(lines)))
    if key not in _TREES:
        if len(_TREES) > 64:  # a long-running app imports many files: keep only recent ones
            _TREES.clear()
        try:
            _TREES[key] = ast.parse("".join(lines)) if lines else None
        except (SyntaxError, ValueError):
            _TREES[key] = None
    return _TREES[key]


def reads_training(expression: ast.AST) -> bool:
    """``expression`` reads ``self.training``."""
    return any(isinstance(n, ast.Attribute) and n.attr == "training"
               and isinstance(n.value, ast.Name) and n.value.id == "self"
               for n in ast.walk(expression))


def enclosing_function(file: str, line: int) -> ast.FunctionDef | None:
    """The innermost function of ``file`` whose code spans ``line``."""
    parsed = tree(file)
    if parsed is None:
        return None
    found = [n for n in ast.walk(parsed)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return max(found, key=lambda n: n.lineno) if found else None


_GRAD_MODES = ("no_grad", "set_grad_enabled", "inference_mode", "enable_grad")


def grad_follows_training(file: str, line: int) -> bool | None:
    """Which grad-mode ``with`` the code at ``file:line`` runs in: True for
    ``with torch.set_grad_enabled(self.training):`` (a gradient while training, none in
    evaluation), False for another (``torch.no_grad()``), None where the line is in none."""
    function = enclosing_function(file, line)
    if function is None:
        return None
    found = [w for w in ast.walk(function) if isinstance(w, (ast.With, ast.AsyncWith))
             and w.body and w.body[0].lineno <= line <= (w.end_lineno or w.lineno)
             and any(_grad_mode(item.context_expr) for item in w.items)]
    if not found:
        return None
    innermost = max(found, key=lambda w: w.lineno)
    return any(_grad_mode(item.context_expr) == "set_grad_enabled"
               and any(reads_training(a) for a in item.context_expr.args)
               for item in innermost.items)


def _grad_mode(expression: ast.AST) -> str | None:
    """``torch.no_grad()`` → ``"no_grad"``; None for a call that sets no grad mode."""
    if not isinstance(expression, ast.Call):
        return None
    func = expression.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name if name in _GRAD_MODES else None
