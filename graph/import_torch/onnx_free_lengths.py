"""An ONNX file from another tool whose inputs leave a length free, imported as a design whose
Input length is a variable.

``torch.onnx.export(..., dynamic_axes={"ids": {0: "batch", 1: "seq"}})``, the dynamo exporter's
``dynamic_shapes`` and other tools write a sequence input as ``[batch, "seq"]``: a named symbol
(or an unnamed free size) after the batch. A graph's Input has one shape, and the graph format's
way to leave a size to the user is a variable (the text templates' ``"shape": ["=length"]``),
so each such symbol becomes a variable of the design, ``length`` where there is one (the
symbol's own name where there are several), the Input's size at that axis ``"=length"``.

The file is imported at one length (:data:`LENGTHS`: the first pair at which onnxruntime runs
it), values computed from the length (``Shape → Gather``) folded at it as the batch's are;
the import is then checked against onnxruntime on the file at a second length, so a design that
would hold the first length somewhere (a Reshape to it, a table cut to it) is refused, naming
the length and where it is held, rather than imported for one length the user never chose.

An image's free height and width are two variables, checked at a second height and width that
differ (:func:`_tries`): a size the file computes from them (a map's tokens put back with
``Reshape [batch, C, H, W]``) is then told apart as the one or the other, and written as an
expression over its variable (:func:`size_expression`), so that the design runs at any height
and width, equal or not.
"""

from __future__ import annotations

import copy
import keyword
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import GraphError

# (the design's length, the check's other length), tried in order until onnxruntime runs both:
# 32 as the text templates; shorter pairs for a file whose position table is shorter
LENGTHS = ((32, 20), (16, 10), (8, 5))
_TAKEN = {"in_shape", "round", "ceil", "floor", "min", "max", "int", "abs", "True", "False"}


class LengthHeld(GraphError):
    """The design imported at one length does not give the file's outputs at another."""


def _pairs(design: int | None) -> tuple[tuple[int, int], ...]:
    """The (length, other length) pairs to try: a LayerLoom file's own length first, with a
    shorter and a longer one (a file may take no more than its design's length).

    >>> _pairs(128)[:2], _pairs(None) == LENGTHS
    (((128, 64), (128, 256)), True)
    """
    if design is None:
        return LENGTHS
    return tuple((design, other) for other in (design // 2, design * 2) if other >= 1
                 and other != design) + LENGTHS


@dataclass
class FreeLengths:
    """The free axes of a file's inputs and the lengths the import runs them at."""

    axes: dict[str, dict[int, str]]  # input -> {axis (the batch 0): variable}
    symbols: dict[str, str]  # variable -> the file's name of the size ('seq', or '' unnamed)
    size: int  # the design's length: the variables' value, the import's trace
    # variable -> the check's second length; an image's height and width differ there
    others: dict[str, int]
    check: tuple[list[torch.Tensor], list[np.ndarray]]  # inputs at ``others``, the file's outputs
    # variable -> the import's length where they differ (an image design of unequal height and
    # width, as its file's metadata says it); else each is ``size``
    base: dict[str, int] = field(default_factory=dict)

    def imported(self) -> dict[str, int]:
        """Each variable's length at the import's trace: the design's value of it."""
        return {name: self.base.get(name, self.size) for name in self.symbols}

    def at(self, model, sizes: int | dict[str, int]):
        """``model`` (a copy) with each free axis of its inputs set to ``sizes`` (one length,
        or one per variable)."""
        sizes = sizes if isinstance(sizes, dict) else dict.fromkeys(self.symbols, sizes)
        return with_sizes(model, {name: {axis: sizes[v] for axis, v in axes.items()}
                                  for name, axes in self.axes.items()})

    def variables(self) -> dict[str, int]:
        return self.imported()

    def sizes(self) -> dict[str, tuple[int, int]]:
        """Each variable's length at the import's trace and at the check."""
        return {name: (size, self.others[name]) for name, size in self.imported().items()}

    def shown(self, sizes: int | dict[str, int]) -> str:
        """``sizes`` as a message says them: ``32``, or an image's ``20×44``.

        >>> FreeLengths({"x": {2: "h", 3: "w"}}, {"h": "", "w": ""}, 32, {"h": 20, "w": 44},
        ...             ([], [])).shown({"h": 20, "w": 44})
        '20×44'
        """
        sizes = sizes if isinstance(sizes, dict) else dict.fromkeys(self.symbols, sizes)
        said = ["×".join(str(sizes[v]) for v in axes.values()) for axes in self.axes.values()]
        return ", ".join(dict.fromkeys(said))

    @property
    def word(self) -> str:
        """``length``, or ``size`` where an image's height and width are free."""
        return "size" if any(len(axes) > 1 for axes in self.axes.values()) else "length"

    def said(self) -> str:
        """How a message names the free sizes: ``input 'ids' of any length ('seq')``,
        ``input 'image' of any height and width ('h', 'w')``."""
        parts = []
        for name, axes in self.axes.items():
            symbols = [self.symbols[v] for v in axes.values() if self.symbols[v]]
            parts.append(f"input '{name}' of any "
                         f"{'height and width' if len(axes) > 1 else 'length'}"
                         + (f" ({', '.join(repr(s) for s in symbols)})" if symbols else ""))
        return ", ".join(parts)


def free_axes(model) -> dict[str, dict[int, str]]:
    """Each graph input's sizes after the batch that the file leaves free, by the file's name
    for them (``''`` for an unnamed one): ``{input: {axis: symbol}}``, the axis counted with
    the batch.

    >>> import onnx
    >>> x = onnx.helper.make_tensor_value_info("ids", onnx.TensorProto.INT64, ["batch", "seq"])
    >>> y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT64, ["batch", "seq"])
    >>> free_axes(onnx.helper.make_model(onnx.helper.make_graph(
    ...     [onnx.helper.make_node("Identity", ["ids"], ["y"])], "g", [x], [y])))
    {'ids': {1: 'seq'}}
    """
    weights = {t.name for t in model.graph.initializer}
    found: dict[str, dict[int, str]] = {}
    for value in model.graph.input:
        if value.name in weights:
            continue
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if axis and not dim.HasField("dim_value"):
                found.setdefault(value.name, {})[axis] = dim.dim_param
    return found


def with_sizes(model, sizes: dict[str, dict[int, int]]):
    """A copy of ``model`` whose inputs have ``sizes`` (``{input: {axis: size}}``) at those
    axes; the shapes inferred inside the file are dropped (they may name the free sizes)."""
    fixed = copy.deepcopy(model)
    for value in fixed.graph.input:
        dims = value.type.tensor_type.shape.dim
        for axis, size in sizes.get(value.name, {}).items():
            dims[axis].dim_value = size
    del fixed.graph.value_info[:]
    return fixed


def _variables(axes: dict[str, dict[int, str]]) -> tuple[dict[str, dict[int, str]],
                                                          dict[str, str]]:
    """The axes by variable, and each variable's symbol: one symbol (the same name on several
    inputs, a padding mask's) is ``length``; several are named after their symbols where
    those are names, ``length_2``… where not (an unnamed size is a symbol of its own)."""
    symbols: list[str] = []
    for per_input in axes.values():
        for symbol in per_input.values():
            if symbol not in symbols or not symbol:
                symbols.append(symbol)
    names: list[str] = []
    for i, symbol in enumerate(symbols):
        name = "length" if len(symbols) == 1 else re.sub(r"\W", "_", symbol).strip("_")
        if not name or not name.isidentifier() or keyword.iskeyword(name) or name in _TAKEN \
                or name in names or name[0].isdigit():
            name = f"length_{i + 1}"
        names.append(name)
    unnamed = iter(n for n, s in zip(names, symbols) if not s)
    by_symbol = {s: n for n, s in zip(names, symbols) if s}
    renamed = {value: {axis: by_symbol[s] if s else next(unnamed) for axis, s in per.items()}
               for value, per in axes.items()}
    return renamed, dict(zip(names, symbols))


def free_lengths(model, file: str, design: int | dict[str, dict[int, int]] | None = None
                 ) -> FreeLengths | None:
    """The free lengths of ``model``'s inputs and the two lengths at which onnxruntime runs
    it (with its outputs at the second); None where every size after the batch is a number.
    ``design``: the length to import at first (a LayerLoom export's design's, its metadata's),
    or each free axis's (``{input: {axis: length}}``: an image design's unequal height and
    width).
    An image ``[batch, C, H, W]`` may leave its height and width free, both run at each length.
    A GraphError where an input leaves other sizes free (its channels), or where onnxruntime
    runs the file at none of :data:`LENGTHS`."""
    from .onnx_in import _ort_text
    from .onnx_lengths import is_image
    from .onnx_runner import OrtFailure, refuse_large_inputs, run_onnx

    symbolic = free_axes(model)
    if not symbolic:
        return None
    images = {v.name for v in model.graph.input if is_image(v)}
    for name, per_input in symbolic.items():
        if len(per_input) > 1 and name not in images:
            shape = [d.dim_value or d.dim_param or "?" for d in
                     next(v for v in model.graph.input if v.name == name)
                     .type.tensor_type.shape.dim]
            raise GraphError(f"{file}: input '{name}' has shape {shape}: {len(per_input)} of "
                             f"its sizes after the batch are free; one (a length) imports, as "
                             f"the design's variable, or an image's height and width: fix the "
                             f"others when you export it")
    axes, symbols = _variables(symbolic)
    weights = {t.name for t in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in weights]
    first = inputs[0].type.tensor_type.shape.dim[0] if inputs and \
        inputs[0].type.tensor_type.shape.dim else None
    batch = first.dim_value if first is not None and first.HasField("dim_value") else 2
    failures = []
    tries = _tries(_pairs(design if isinstance(design, int) else None), axes)
    if isinstance(design, dict):  # the design's own height and width first
        base = {axes[n][axis]: size for n, per in design.items() for axis, size in per.items()
                if axis in axes.get(n, {})}
        tries = [*_unequal_tries(base, axes), *tries]
    for size, others, *at in tries:
        at = at[0] if at else {}
        ran = [with_sizes(model, {n: {axis: length.get(v, size) for axis, v in a.items()}
                                  for n, a in axes.items()}) for length in (at, others)]
        for fixed in ran:
            refuse_large_inputs(fixed, file, [batch])
        generator = np.random.default_rng(size)
        feeds = [{value.name: _sample(value, batch, generator) for value in fixed.graph.input
                  if value.name not in weights} for fixed in ran]
        try:
            results = run_onnx([(ran[0], True), (ran[1], True)], [(0, feeds[0]), (1, feeds[1])],
                               file)
        except OrtFailure as exc:
            found = FreeLengths(axes, symbols, size, others, ([], []), at)
            failures.append(f"at {found.shown(found.imported() if exc.run == 0 else others)}: "
                            f"{_ort_text(exc)}")
            continue
        samples = [torch.as_tensor(feeds[1][v.name]) for v in inputs]
        return FreeLengths(axes, symbols, size, others, (samples, list(results[1].values())), at)
    lengths = sorted({n for pair in LENGTHS for n in pair}, reverse=True)
    names = FreeLengths(axes, symbols, 0, {}, ([], [])).said()
    raise GraphError(f"{file}: the file takes {names}, but onnxruntime runs it at none of "
                     f"the lengths {', '.join(map(str, lengths))} ({failures[0]}); the file "
                     f"itself holds the length it was exported at (the TorchScript exporter "
                     f"writes nn.MultiheadAttention's so): export it with "
                     f"torch.onnx.export(..., dynamo=True, dynamic_shapes=...), which keeps the "
                     f"length free, or with the length fixed (no dynamic axis on it)")


def _tries(pairs, axes: dict[str, dict[int, str]]):
    """``(size, {variable: other size})`` for each pair of :func:`_pairs`: where an image's
    height and width are two variables, first at a height and width that differ and are odd
    (a size the file computes from the one is then told from one computed from the other, and
    a convolution's ``ceil(height / 4)`` from a patch embedding's ``height // 4``), then even
    (a model that halves and doubles its map back), then every variable at the pair's other
    size, for a model that takes only square images.

    >>> list(_tries(((32, 20),), {"x": {2: "h", 3: "w"}}))[:3]
    [(32, {'h': 21, 'w': 45}), (32, {'h': 20, 'w': 44}), (32, {'h': 20, 'w': 20})]
    >>> list(_tries(((32, 20),), {"ids": {1: "length"}}))
    [(32, {'length': 20})]
    """
    widths = [list(per.values())[1] for per in axes.values()
              if len(per) == 2 and len(set(per.values())) == 2]
    variables = list(dict.fromkeys(v for per in axes.values() for v in per.values()))
    for size, other in pairs:
        wide = 2 * size - other if other < size else size - (other - size) // 2
        if widths and wide >= 1 and wide not in (size, other):
            odd = {v: n + 1 - n % 2 for v, n in ((v, wide if v in widths else other)
                                                 for v in variables)}
            if size not in odd.values():
                yield size, odd
            yield size, {v: wide if v in widths else other for v in variables}
        yield size, dict.fromkeys(variables, other)


def _forms():
    """The expressions tried for a size computed from a free length ``n``, the likelier first:
    ``n``; a convolution's of stride k and 'same' padding, ``ceil(n / k)``; a patch
    embedding's, ``n // k``; other paddings', ``(n + a) // k``; an upsampling's, ``n * k``."""
    yield "={}", lambda n: n
    for k in range(2, 65):
        yield f"=ceil({{}} / {k})", lambda n, k=k: -(-n // k)
        yield f"={{}} // {k}", lambda n, k=k: n // k
    for k in range(2, 65):
        for a in range(1, k - 1):
            yield f"=({{}} + {a}) // {k}", lambda n, k=k, a=a: (n + a) // k
    for k in range(2, 9):
        yield f"={{}} * {k}", lambda n, k=k: n * k


def _unequal_tries(base: dict[str, int], axes: dict[str, dict[int, str]]):
    """``(size, others, base)`` for a design whose free sizes ``base`` (``{variable: length}``)
    differ, an image of unequal height and width: imported at them, checked with the height
    halved and the width doubled (odd, then even), so that a size computed from the one is told
    from one computed from the other; then both halved.

    >>> list(_unequal_tries({"h": 32, "w": 48}, {"x": {2: "h", 3: "w"}}))[0]
    (32, {'h': 17, 'w': 97}, {'h': 32, 'w': 48})
    """
    if len(set(base.values())) < 2 or len(base) != len({v for a in axes.values()
                                                          for v in a.values()}):
        return
    first, *rest = base
    changed = {v: n // 2 if v == first else n * 2 for v, n in base.items()}
    for others in ({v: n + 1 - n % 2 for v, n in changed.items()}, changed,
                   {v: max(n // 2, 1) for v, n in base.items()}):
        if all(others[v] != base[v] for v in base):
            yield base[first], others, base


def size_expression(values: tuple[int, int], sizes: dict[str, tuple[int, int]]) -> str | None:
    """An expression over one of the variables ``sizes`` (``{name: (length at the trace, at
    the check)}``) that gives ``values`` at both (the size a file computes from a free height
    or width: the height itself, a quarter of it after a stride-4 patch embedding); None where
    none of the forms tried does, or where several variables would.

    >>> size_expression((8, 5), {"height": (32, 21), "width": (32, 45)})
    '=height // 4'
    >>> size_expression((8, 6), {"height": (32, 21), "width": (32, 45)})
    '=ceil(height / 4)'
    >>> size_expression((32, 45), {"height": (32, 21), "width": (32, 45)})
    '=width'
    >>> size_expression((8, 8), {"height": (32, 21), "width": (32, 45)}) is None
    True
    """
    for text, form in _forms():
        fits = [name for name, pair in sizes.items()
                if pair[0] != pair[1] and tuple(form(n) for n in pair) == tuple(values)]
        if len(fits) == 1:
            return text.format(fits[0])
        if fits:
            return None
    return None


def _sample(value, batch: int, generator) -> np.ndarray:
    """Random values for the input ``value`` at ``batch``: token ids 0-4, a mask's 0 and 1
    (as the probes', :func:`~.onnx_in.id_bound`)."""
    from .onnx_in import _DTYPES, id_bound

    shape = [batch, *(d.dim_value for d in value.type.tensor_type.shape.dim[1:])]
    if _DTYPES.get(value.type.tensor_type.elem_type) == "int64":
        return generator.integers(0, id_bound(value.name), shape).astype(np.int64)
    return generator.standard_normal(shape).astype(np.float32)


def free_the_inputs(graph, names: list[str], lengths: FreeLengths) -> None:
    """The Input nodes of ``graph`` (the file's inputs ``names``, in order) take their free
    axes as the design's variables (``"shape": ["=length", 16]``), set to the import's length."""
    graph.variables = {**lengths.variables(), **graph.variables}
    inputs = [n for n in graph.nodes if n.type == "Input"]
    for node, name in zip(inputs, names):
        shape = list(node.params.get("shape") or [])
        for axis, variable in lengths.axes.get(name, {}).items():
            if 0 < axis <= len(shape):
                shape[axis - 1] = f"={variable}"
        node.params["shape"] = shape


def check_other_length(graph, state, lengths: FreeLengths, file: str, atol: float,
                       held: list[str]) -> float:
    """The compiled ``graph`` against onnxruntime on the file at the second length: the max
    abs diff, or a GraphError naming the length and, where the import knows it, the ONNX node
    whose size computed from the length it holds (``held``)."""
    from .onnx_in import _against_runtime
    from .training import ImportNote

    at_other = graph.copy()  # its variables at the check's sizes, as a user would set them
    at_other.variables = {**graph.variables, **lengths.others}
    try:
        diff = _against_runtime(lengths.check, at_other, state, atol)
    except Exception as exc:  # noqa: BLE001 - a shape error of the compiled graph, said in words
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        word = lengths.word
        where = f"; {held[0]} uses a size computed from the {word}" if held else ""
        size, other = lengths.shown(lengths.imported()), lengths.shown(lengths.others)
        raise LengthHeld(
            f"{file}: the file takes {lengths.said()} (onnxruntime runs it at {size} "
            f"and {other}), but the design imported at {word} {size} does not "
            f"give the file's outputs at {other} ({reason}){where}: it would take only "
            f"the {word} {size}; export the model with its {word} fixed (no dynamic "
            f"axis on it) to import it at that {word}") from None
    variables = ", ".join(f"{name} = {size}" for name, size in lengths.imported().items())
    plural = len(lengths.symbols) > 1
    warnings.warn(f"the file takes {lengths.said()}: the design's Input takes "
                  f"{'them as the variables' if plural else 'it as the variable'} {variables}, "
                  f"its outputs checked against onnxruntime's at {lengths.word}s "
                  f"{lengths.shown(lengths.imported())} and {lengths.shown(lengths.others)}",
                  ImportNote, stacklevel=2)
    return diff
