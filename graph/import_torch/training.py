"""How the imported graph trains: as the model does where the graph format can say it, and a
warning naming the line where it cannot.

A node whose weights the model does not train is marked ``"trainable": false`` (the graph
format's frozen node): parameters with ``requires_grad=False`` (a frozen backbone), a table kept
in a buffer (a fixed positional table) and parameters no gradient reaches in the model, every
path from them to the outputs going through ``torch.no_grad()`` or ``.detach()``. What no node
says is a :class:`TrainsDifferently` warning with the file and line: a node partly frozen, a
gradient stop that weights before it also learn around, the running statistics of a frozen
batch norm, and ``self.training`` read in the model's code (the trace is taken in evaluation
mode, so an ``if self.training:`` branch is decided once, as in evaluation). Warnings go
through the ``warnings`` module, so that ``import_torch`` and ``import_onnx`` return what they
did; the command line prints them, with the :class:`ImportNote` of each node frozen.

>>> graph, weights = import_torch(FrozenBackbone(), (3, 32, 32))   # doctest: +SKIP
>>> graph.node("backbone_0").extra                                 # doctest: +SKIP
{'trainable': False}
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import torch
from torch import fx, nn

from ..model import Graph
from .detached import DETACHED


class TrainsDifferently(UserWarning):
    """The imported graph computes what the model computes, but trains otherwise."""


class ImportNote(UserWarning):
    """What the import did so that the graph trains as the model does (a node frozen)."""


@contextlib.contextmanager
def import_warnings() -> Iterator[list[str]]:
    """The import's own warnings (how the graph trains otherwise than the model) and notes
    (nodes frozen as in the model), as lines to show (``warning: …``, ``note: …``); other
    warnings pass on as usual."""
    said: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TrainsDifferently)
            warnings.simplefilter("always", ImportNote)
            yield said
    finally:  # a refused import still shows the others (a deprecation in the user's code)
        for item in caught:  # a check that imports again says its notes again: once here
            line = f"warning: {item.message}" if issubclass(item.category, TrainsDifferently) \
                else f"note: {item.message}" if issubclass(item.category, ImportNote) else None
            if line is not None:
                if line not in said:
                    said.append(line)
            else:
                warnings.showwarning(item.message, item.category, item.filename, item.lineno)


_SHOWN = 6  # node ids named in one message before "…"
_TORCH_DIR = Path(torch.__file__).resolve().parent
_OWN_DIR = Path(__file__).resolve().parent
# the training argument of these is kept by their blocks (Dropout, BatchNorm…), in both modes;
# set_grad_enabled(self.training): a gradient while training, as the imported graph has
_TRAINING_ARGUMENT = re.compile(r"dropout|batch_norm|instance_norm|set_grad_enabled")


def keep_training(model: nn.Module, gm: fx.GraphModule, graph: Graph,
                  learned: Mapping[str, Sequence[str]], statistics: set[str],
                  line_of: Callable[[fx.Node], str]) -> None:
    """Mark the nodes of ``graph`` that the model does not train ``"trainable": false`` and
    warn where the graph trains otherwise. ``learned``: each block's parameters, by the
    model's ``state_dict`` keys; ``statistics``: the blocks with batch norms;
    ``line_of(node)``: the user's ``file:line`` of an fx node."""
    params = dict(model.named_parameters(remove_duplicate=False))
    buffers = {name for name, _ in model.named_buffers(remove_duplicate=False)}
    reached = _gradient_reach(gm)
    own = {n: _weights_of(model, n) for n in gm.graph.nodes}
    taught = {key for n in reached if not _stops(n) for key in own[n]}
    stops = [n for n in gm.graph.nodes if n in reached and _stops(n)]  # where gradients end
    upstream = {stop: _weights_before(stop, own) for stop in stops}

    def why(key: str) -> str | None:
        if key in buffers:
            return f"'{key}' is a buffer of the model (register_buffer), not a parameter"
        if key not in params:
            return None
        if not params[key].requires_grad:
            return "the model's parameters have requires_grad=False"
        if key not in taught:
            lines = sorted({_stop_text(s, line_of) for s in stops if key in upstream[s]})
            return (f"no gradient reaches them in the model: every path to the outputs "
                    f"goes through {' or '.join(lines) or 'a gradient stop'}")
        return None

    by_id = {n.id: n for n in graph.nodes}
    frozen: dict[str, list[str]] = {}
    for block_id, keys in learned.items():
        reasons = {key: why(key) for key in keys}
        if not any(reasons.values()):
            continue
        if all(reasons.values()):
            by_id[block_id].extra["trainable"] = False
            frozen.setdefault(next(iter(reasons.values())), []).append(block_id)
            continue
        still = [_short(k) for k, r in reasons.items() if not r]
        held = [_short(k) for k, r in reasons.items() if r]
        warnings.warn(
            f"{block_id} ({by_id[block_id].type}) is partly frozen in the model: "
            f"{', '.join(held)} not trained ({next(r for r in reasons.values() if r)}), "
            f"{', '.join(still)} trained; a node is frozen whole or not at all, so the import "
            f"trains all of it (freeze all of the layer's parameters or none, or set "
            f"\"trainable\": false on the node)", TrainsDifferently, stacklevel=2)
    for reason, ids in frozen.items():
        warnings.warn(f"frozen as in the model (\"trainable\": false): {_ids(ids)}: {reason}",
                      ImportNote, stacklevel=2)
    held = [i for ids in frozen.values() for i in ids if i in statistics]
    if held:
        warnings.warn(
            f"{_ids(held)}: a frozen node's batch norm keeps its running statistics while "
            f"the graph trains; the model's batch norm updates them in training mode (frozen "
            f"parameters and torch.no_grad() do not stop that) unless your training loop "
            f"keeps it in eval mode", TrainsDifferently, stacklevel=2)
    owner = {key: block_id for block_id, keys in learned.items() for key in keys}
    for stop in stops:
        learning = sorted({owner[k] for k in upstream[stop] if k in owner
                           and by_id[owner[k]].extra.get("trainable") is not False})
        if learning:
            warnings.warn(
                f"{_stop_text(stop, line_of)} stops the gradient, but the weights before it "
                f"({_ids(learning)}) also learn by another path to the outputs; no block stops "
                f"a gradient, so in the imported graph they learn through it too and train "
                f"otherwise than in the model", TrainsDifferently, stacklevel=2)
    for text in _training_branches(gm.meta.get("training_reads", []),
                                   gm.meta.get("training_followed", set())):
        warnings.warn(text, TrainsDifferently, stacklevel=2)


def _stops(node: fx.Node) -> bool:
    """No gradient flows back through ``node``: computed under ``torch.no_grad()``, or a
    ``.detach()`` (a weight read through ``.data`` or ``.detach()``: :mod:`.detached`)."""
    if node.op == "get_attr":
        return bool(node.meta.get(DETACHED))
    if node.op in ("placeholder", "output"):
        return False
    return bool(node.meta.get("no_grad")) or node.op == "call_method" and node.target in (
        "detach", "detach_") or node.op == "call_function" and node.target is torch.detach


def _reads_size(node: fx.Node) -> bool:
    """``x.size(0)``, ``x.shape``: a number, through which no gradient flows."""
    return node.op == "call_method" and node.target in ("size", "dim", "numel") \
        or node.op == "call_function" and node.target is getattr \
        and node.args[1:] in (("shape",), ("dtype",), ("device",))


def _stop_text(node: fx.Node, line_of: Callable[[fx.Node], str]) -> str:
    what = "torch.no_grad()" if node.meta.get("no_grad") else \
        f"`{node.meta.get(DETACHED) or '.detach()'}`"
    line = line_of(node)
    return f"{what} at {line}" if line else what


def _gradient_reach(gm: fx.GraphModule) -> set[fx.Node]:
    """The nodes whose results the outputs' gradient reaches in the model."""
    nodes = list(gm.graph.nodes)
    reached = {n for n in nodes if n.op == "output"}
    for node in reversed(nodes):
        if node in reached and not _stops(node) and not _reads_size(node):
            reached.update(node.all_input_nodes)
    return reached


def _weights_of(model: nn.Module, node: fx.Node) -> list[str]:
    """The model's parameter and buffer keys that ``node`` computes with (a module's own, or
    the tensor it reads)."""
    if node.op == "call_module":
        module = model.get_submodule(str(node.target))
        return [f"{node.target}.{k}" for k in module.state_dict()]
    if node.op == "get_attr":
        return [str(node.target)]
    return []


def _weights_before(stop: fx.Node, own: Mapping[fx.Node, list[str]]) -> set[str]:
    """The keys of the weights that ``stop``'s result is computed from (its own included);
    ``own``: each node's own weights."""
    seen, todo = {stop}, [stop]
    while todo:
        for source in todo.pop().all_input_nodes:
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return {key for n in seen for key in own[n]}


def _training_branches(reads: Sequence[tuple[str, int, str]],
                       followed: set[tuple[str, int]] = frozenset()) -> list[str]:
    """A warning for each line of the user's code that reads ``self.training`` other than as
    the training argument of dropout or batch norm; ``followed``: lines whose read the import
    found to be such an argument (passed on through a helper of the user's)."""
    out = []
    for file, line, function in dict.fromkeys(reads):
        if (file, line) in followed:
            continue
        path = Path(file)
        try:
            resolved = path.resolve()
        except OSError:
            continue
        if file.startswith("<") or resolved.is_relative_to(_TORCH_DIR) \
                or resolved.is_relative_to(_OWN_DIR):
            continue
        if _read_as_training_argument(file, line):
            continue
        text = linecache.getline(file, line).strip()
        out.append(f"{path.name}:{line}: `{text}` in {function}: the model is traced in "
                   f"evaluation mode (self.training False), so the imported graph does what "
                   f"the model does in evaluation; what it does otherwise while training "
                   f"(decided on this line) is not in the graph, so training the import "
                   f"differs from training the model (dropout written as nn.Dropout(p) or "
                   f"F.dropout(x, p, self.training) imports as a Dropout block, which drops "
                   f"only while training)")
    return out


def _read_as_training_argument(file: str, line: int) -> bool:
    """Every read of ``self.training`` at ``file:line`` only decides what a block does in both
    modes: the training argument of dropout or batch norm (``F.dropout(x, 0.1,
    training=self.training)``, directly or through a variable used only there), or the batch
    norm's own counter (``if self.training: self.num_batches_tracked.add_(1)``, as in
    ``torch.nn``'s and timm's batch norms, whose block counts too)."""
    try:
        tree = ast.parse("".join(linecache.getlines(file)))
    except (SyntaxError, ValueError):
        return False
    parents = {child: parent for parent in ast.walk(tree)
               for child in ast.iter_child_nodes(parent)}
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "training"
             and isinstance(n.value, ast.Name) and n.value.id == "self" and n.lineno == line]
    return bool(reads) and all(_kept_in_both_modes(read, parents) for read in reads)


def _kept_in_both_modes(read: ast.AST, parents: dict) -> bool:
    if _inside_training_call(read, parents):
        return True
    statement = read
    while statement is not None and not isinstance(statement, ast.stmt):
        statement = parents.get(statement)
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
            and isinstance(statement.targets[0], ast.Name):
        function = statement
        while function is not None and not isinstance(function, ast.FunctionDef):
            function = parents.get(function)
        name = statement.targets[0].id
        uses = [n for n in ast.walk(function or statement) if isinstance(n, ast.Name)
                and n.id == name and isinstance(n.ctx, ast.Load)]
        return bool(uses) and all(_inside_training_call(u, parents) for u in uses)
    if isinstance(statement, ast.If) and not statement.orelse:
        return all("num_batches_tracked" in ast.unparse(s) for s in statement.body)
    return False


def _inside_training_call(node: ast.AST, parents: dict) -> bool:
    """``node`` is (part of) an argument of a dropout or batch norm call."""
    child, parent = node, parents.get(node)
    while parent is not None and not isinstance(parent, ast.stmt):
        if isinstance(parent, ast.Call) and child is not parent.func:
            func = parent.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if _TRAINING_ARGUMENT.search(name):
                return True
        child, parent = parent, parents.get(parent)
    return False


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")
