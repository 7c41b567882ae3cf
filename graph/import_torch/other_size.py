"""The imported graph against the model at a second input size.

:func:`~layerloom.graph.import_torch.check_import` compares them at the size the model was
traced at. A number read from that size and kept as a param (a pool window of the traced map, a
slice end of the traced length) matches there and nowhere else, so the import is tried once more
at a size a little larger (images: height and width + 4; sequences: length + 5) where the model
itself runs: one more forward of each. Where the graph differs there, or cannot run there, the
result says so in words, naming the first block whose output differs. It is a warning, not an
error: a design may be meant for its one size, and it matches the model there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from ..model import Graph
from ..naming import node_names
from .output_match import match_outputs
from .qkv_first import split_qkv
from .rearrangements import expand_rearrangements
from .trace import BATCH, propagate, sample_inputs, trace

_GROW_MAP, _GROW_SEQUENCE = 4, 5


@dataclass
class SizeCheck:
    """What :func:`check_other_size` found: ``shapes``, the input shapes tried where the model
    runs (None: it ran at none tried); ``diff``, the largest difference there; ``warning``, in
    words, where the graph differs or cannot run there (None: it matches)."""

    shapes: list[tuple[int, ...]] | None
    diff: float = 0.0
    warning: str | None = None


def check_other_size(model: nn.Module, graph: Graph, state_dict: dict,
                     input_shape: Sequence[Sequence[int]], dtype: str | Sequence[str] = "float32",
                     atol: float = 1e-5, compiled: nn.Module | None = None) -> SizeCheck:
    """Compile ``graph`` with ``state_dict`` and compare it with ``model`` at an input size other
    than ``input_shape`` (each without the batch), the first tried where ``model`` runs.
    ``compiled``: ``graph`` compiled already (as :func:`check_import` had it: the CLI compiles
    once for both checks); ``state_dict`` is loaded into it again, whatever it held.

    >>> check_other_size(Net(), graph, state, [(3, 8, 8)]).warning          # doctest: +SKIP
    "at input [3, 12, 12], where the model runs too, the imported graph gives other outputs ..."
    """
    from ..compile import compile_graph

    shapes = [tuple(s) for s in input_shape]
    dtypes = [dtype] * len(shapes) if isinstance(dtype, str) else list(dtype)
    was_training = model.training
    model.eval()
    try:
        tried = _runs_at(model, shapes, dtypes)
        if tried is None:
            return SizeCheck(None)
        other, samples, expected = tried
        compiled = (compiled if compiled is not None else compile_graph(graph)).eval()
        compiled.load_state_dict(state_dict, strict=True)
        at = (f"at input {' and '.join(str(list(s)) for s in other)}, where the model runs "
              f"too, the imported graph")
        only = f"; the design matches the model at {' and '.join(str(list(s)) for s in shapes)}"
        try:
            with torch.no_grad():  # forward, not __call__: fx would print a traceback
                got = compiled.forward(*samples)
        except Exception as exc:  # noqa: BLE001 - where and why it fails is the message
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            first, failed = _first_difference(model, graph, compiled, samples, shapes, dtypes)
            where = f" at block {failed}" if failed else ""
            before = f"; its values first part from the model's at block {first}" \
                if first and first != failed else ""
            return SizeCheck(other, float("inf"),
                             f"{at} cannot run{where}: {text}{before}{only}")
        match = match_outputs(expected, got, atol)
        if match.agrees:
            return SizeCheck(other, match.diff)
        problem = f"output {match.index} has shape {match.shape}, the model's " \
                  f"{match.expected_shape}" if match.shapes_differ else \
                  f"output {match.index} differs by up to {match.diff:.3g}"
        first, _ = _first_difference(model, graph, compiled, samples, shapes, dtypes)
        where = f", first at block {first}" if first else ""
        return SizeCheck(other, match.diff, f"{at} gives other outputs ({problem}){where}{only}")
    finally:
        model.train(was_training)


def _candidates(shapes: list[tuple[int, ...]], dtypes: list[str]) -> list[list[tuple]]:
    """Other input shapes to try, in order: token ids longer by 5, maps larger by 4 in each
    dimension after the channels, a 2-D float input longer by 5 along its last dimension (a
    signal [C, L]) or else its first (a sequence [L, D]). Vectors of features stay as they are,
    and so does a size of 1 (one id, a latent vector as a 1×1 map): they are not lengths."""
    def grown(size: int, by: int) -> int:
        return size + by if size > 1 else size

    options = []
    for shape, dtype in zip(shapes, dtypes):
        if dtype == "int64" and len(shape) == 1:
            options.append([(grown(shape[0], _GROW_SEQUENCE),)])
        elif len(shape) == 2:
            options.append([(shape[0], grown(shape[1], _GROW_SEQUENCE)),
                            (grown(shape[0], _GROW_SEQUENCE), shape[1])])
        elif len(shape) >= 3:
            options.append([(shape[0], *(grown(d, _GROW_MAP) for d in shape[1:]))])
        else:
            options.append([shape])
    tries = [[o[min(i, len(o) - 1)] for o in options] for i in range(max(map(len, options)))]
    return [t for t in tries if t != shapes]


def _runs_at(model: nn.Module, shapes, dtypes) -> tuple | None:
    """The first other shapes where ``model`` runs, with its inputs and outputs there."""
    for other in _candidates(shapes, dtypes):
        samples = sample_inputs(model, other, dtypes)
        try:
            with torch.no_grad():
                return other, samples, model(*samples)
        except Exception:  # noqa: BLE001 - the model itself takes only its own size
            continue
    return None


class _Recorder(fx.Interpreter):
    """Runs a traced module keeping a copy of each node's value (a later in-place op, such as
    ``nn.ReLU(inplace=True)``, changes the tensor itself), and the node it failed at."""

    def __init__(self, gm: fx.GraphModule):
        super().__init__(gm)
        self.values: dict[fx.Node, Any] = {}
        self.failed: fx.Node | None = None

    def run_node(self, n: fx.Node) -> Any:
        try:
            value = super().run_node(n)
        except Exception:
            self.failed = n
            raise
        self.values[n] = value.clone() if isinstance(value, torch.Tensor) else value
        return value

    def record(self, samples) -> _Recorder:
        try:
            with torch.no_grad():
                self.run(*samples)
        except Exception:  # noqa: BLE001 - self.failed says where
            pass
        return self


def _first_difference(model: nn.Module, graph: Graph, compiled: fx.GraphModule, samples,
                      shapes, dtypes) -> tuple[str | None, str | None]:
    """``("'pool' (MaxPool1d, from net.py:30)", None)``: the first block, in graph order, whose
    output at the other size differs from the value of the code it was imported from, and the
    block that fails there (None where none can be named). The import is walked again to know
    which node of the trace each block came from (only when something differs)."""
    from .importer import Importer, source_line

    try:
        gm = trace(model)
        values = propagate(gm, sample_inputs(model, shapes, dtypes))
        if expand_rearrangements(gm, values):
            values = propagate(gm, sample_inputs(model, shapes, dtypes))
        if split_qkv(gm, values):
            values = propagate(gm, sample_inputs(model, shapes, dtypes))
        importer = Importer(model, gm, values, BATCH, dtypes)
        importer.run(graph.name)
    except Exception:  # noqa: BLE001 - naming the block is a help; the warning stands without
        return None, None
    theirs = _Recorder(gm).record(samples).values
    origin: dict[str, fx.Node] = {}
    for node, block_id in importer.ids.items():  # the last node giving a block's tensor
        origin[block_id] = node
    recorder = _Recorder(compiled).record(samples)
    ours = {n.name: value for n, value in recorder.values.items()}
    failed = recorder.failed.name if recorder.failed is not None else None
    names = node_names([n.id for n in graph.nodes])
    first = None
    for node in graph.nodes:
        if node.type in ("Input", "Output"):
            continue
        source = origin.get(node.id)
        line = source_line(source) if source is not None else ""
        shown = f"'{node.id}' ({node.type}{', from ' + line if line else ''})"
        if failed == names[node.id]:
            return first or shown, shown
        got, want = ours.get(names[node.id]), theirs.get(source)
        if first is None and isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor) \
                and not _agree(want, got):
            first = shown
            if failed is None:
                break
    return first, None


def _agree(want: torch.Tensor, got: torch.Tensor) -> bool:
    """The same values; laid out otherwise counts too (where the import put a Permute for the
    code's reshape, as for LayerNorm2d or LeViT's tokens, the two differ only in layout)."""
    if want.shape == got.shape:
        return match_outputs(want, got, 1e-5).agrees
    if want.numel() != got.numel():
        return False
    return match_outputs(want.flatten().sort().values, got.flatten().sort().values, 1e-5).agrees
