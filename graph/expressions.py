"""Expressions in params: ``"=round(32*width)"``, ``"=in_shape[0] * 6"``.

A whitelist evaluator over Python's ``ast``; nothing is ever handed to ``eval``.

>>> evaluate("=round(32*width)", {"width": 1.5})
48
>>> evaluate("=in_shape[0] * 6", {"in_shape": (16, 8, 8)})
96
>>> evaluate("=__import__('os')", {})
Traceback (most recent call last):
...
layerloom.graph.expressions.ExpressionError: function '__import__' is not allowed (allowed: abs, ceil, floor, int, max, min, round)
"""

from __future__ import annotations

import ast
import functools
import keyword
import math
import operator
from collections.abc import Mapping
from typing import Any

FUNCTIONS = {
    "round": round, "ceil": math.ceil, "floor": math.floor,
    "min": min, "max": max, "int": int, "abs": abs,
}

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
# Cost bounds: an expression is at most MAX_LENGTH characters, nests at most MAX_DEPTH levels,
# and no integer in it (constant, name, intermediate or result) may exceed MAX_INT_BITS bits
# (about 3.4e38); a power or product that would is refused before it is computed, and round()
# takes at most MAX_ROUND_DIGITS digits either way. Evaluating any expression is therefore
# microseconds, whatever it says.
MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_INT_BITS = 128
MAX_ROUND_DIGITS = 100


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the caller adds node and param."""


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def variable_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a variable (expressions could never use it), or None."""
    if not name:  # nothing typed: "variable name '' cannot be used" named no name
        return ("a variable needs a name: ASCII letters, digits and '_', not starting with a "
                "digit (e.g. depth)")
    if not name.isidentifier() or not name.isascii():
        return (f"variable name {name!r} cannot be used in an expression: a name is ASCII "
                f"letters, digits and '_', and does not start with a digit")
    if keyword.iskeyword(name):
        return (f"variable name '{name}' is a Python keyword, which an expression cannot use "
                f"as a name: rename it (e.g. '{name}_')")
    if name in FUNCTIONS or name == "in_shape":
        what = "a function" if name in FUNCTIONS else "the input's shape inside a block"
        return (f"variable name '{name}' is taken: in an expression it means {what}; "
                f"rename it (e.g. '{name}_')")
    return None


def unknown_name(name: str, known, listed: str) -> str:
    """'unknown name 'clases' (did you mean 'classes'?); known: classes, width': the nearest
    known name first when a typo is that close, else the known names alone."""
    import difflib

    close = difflib.get_close_matches(name, sorted(k for k in known if isinstance(k, str)), n=1)
    if close:
        return f"unknown name '{name}' (did you mean '{close[0]}'?); known: {listed}"
    return f"unknown name '{name}' (known: {listed})"


def names_in(text: str) -> set[str]:
    """The free names an expression refers to (functions excluded)."""
    tree = _parse(text)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Evaluate ``text`` (with or without its leading ``=``) against ``names``."""
    tree = _parse(text)
    try:
        value = _Evaluator(names).visit(tree.body)
    except ExpressionError:
        raise
    except ZeroDivisionError:
        raise ExpressionError("division by zero") from None
    except OverflowError:
        raise ExpressionError("number too large") from None
    except (TypeError, ValueError, IndexError, ArithmeticError) as exc:
        raise ExpressionError(str(exc)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression too complex to evaluate") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError(f"the result is not a finite number ({value})")
    return value


def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression is text, got {type(text).__name__}")
    return _parse_text(text)


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> ast.Expression:
    """Parsed once per distinct text: a design repeats the same few expressions many times (the
    tree is only read, never changed)."""
    source = text.removeprefix("=")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {_short(text)}: {_syntax(exc.msg)}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"cannot parse {_short(text)}: nested too deeply") from None
    _check_depth(tree)
    return tree


def _syntax(msg: str) -> str:
    """Python's word for a parse error, in the user's: 'invalid decimal literal' (a number run
    into a letter, '=3x3', '=2width') says nothing to someone writing arithmetic."""
    if "decimal literal" in msg:
        return "a number runs into a letter: write * to multiply (3*3, 2*width)"
    return msg


def _short(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _check_depth(tree: ast.AST) -> None:
    """Refuse expressions nested deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _bounded(value: Any) -> Any:
    """``value``, unless it is an integer beyond MAX_INT_BITS bits."""
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ExpressionError(f"number too large: integers in expressions are limited to "
                              f"{MAX_INT_BITS} bits (about {float(2 ** MAX_INT_BITS):.1e})")
    return value


class _Evaluator(ast.NodeVisitor):
    def __init__(self, names: Mapping[str, Any]):
        self.names = names

    def generic_visit(self, node: ast.AST) -> Any:
        raise ExpressionError(f"{type(node).__name__.lower()} is not allowed in an expression")

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, (bool, int, float)):
            return _bounded(node.value)
        raise ExpressionError(f"constant {node.value!r} is not allowed (numbers and True/False)")

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return _bounded(self.names[node.id])
        raise ExpressionError(unknown_name(node.id, self.names,
                                           ", ".join(sorted(self.names)) or "none"))

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        raise ExpressionError(f"attribute access ('.{node.attr}') is not allowed")

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        _check_number(left), _check_number(right)
        if op is operator.pow and abs(left) > 1 and right > 0:
            if right > 64:
                raise ExpressionError("exponent too large")
            if isinstance(left, int) and (left.bit_length() - 1) * right > MAX_INT_BITS:
                _bounded(1 << (MAX_INT_BITS + 1))  # refused before it is computed
        if (op is operator.mul and isinstance(left, int) and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1):
            _bounded(1 << (MAX_INT_BITS + 1))
        return _bounded(op(left, right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        op = _UNARY.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        return _bounded(op(self.visit(node.operand)))

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        if isinstance(node.op, ast.And):
            result = True
            for value in node.values:
                result = self.visit(value)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = self.visit(value)
            if result:
                return result
        return result

    def visit_Compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        for op_node, comparator in zip(node.ops, node.comparators):
            op = _COMPARE.get(type(op_node))
            if op is None:
                raise ExpressionError(f"comparison {type(op_node).__name__} is not allowed")
            right = self.visit(comparator)
            if not op(left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        value = self.visit(node.value)
        if not isinstance(value, (tuple, list)):
            raise ExpressionError("only shapes such as in_shape can be indexed")
        index = self.visit(node.slice)
        if not isinstance(index, int) or isinstance(index, bool):
            raise ExpressionError("an index must be a whole number")
        try:
            return value[index]
        except IndexError:
            raise ExpressionError(f"index {index} is out of range for a shape of "
                                  f"{len(value)} dimensions {list(value)}") from None

    def visit_Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("this call is not allowed: only the functions "
                                  + ", ".join(sorted(FUNCTIONS)) + " can be called")
        fn = FUNCTIONS.get(node.func.id)
        if fn is None:
            raise ExpressionError(f"function '{node.func.id}' is not allowed "
                                  f"(allowed: {', '.join(sorted(FUNCTIONS))})")
        if node.keywords:
            raise ExpressionError(f"{node.func.id}() takes no keyword arguments here")
        args = [self.visit(a) for a in node.args]
        for a in args:
            _check_number(a)
        if fn is round and len(args) == 2 and isinstance(args[1], int) \
                and abs(args[1]) > MAX_ROUND_DIGITS:
            raise ExpressionError(f"round() takes at most {MAX_ROUND_DIGITS} digits, "
                                  f"got {args[1]}")
        return _bounded(fn(*args))


def _check_number(value: Any) -> None:
    if not isinstance(value, (int, float)):
        raise ExpressionError(f"expected a number, got {type(value).__name__}")
