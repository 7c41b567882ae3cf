"""Blocks with several outputs: Chunk and Split (a channel split, as ShuffleNet and GhostNet do).

Their outputs are named ports ``"0"``, ``"1"``… in order; an edge picks one with ``source_port``
(an index or the name), and an edge without one takes the first.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import batch_dim, normalize_dim, show
from .common import modules  # imported when a block is built


def chunk_sizes(size: int, chunks: int) -> list[int]:
    """The sizes ``torch.chunk`` gives: pieces of ceil(size / chunks), the last smaller, so
    there may be fewer than ``chunks`` of them (``chunk_sizes(5, 4) == [2, 2, 1]``)."""
    step = -(-size // chunks)
    return [min(step, size - start) for start in range(0, size, step)]


def split_sizes(size: int, sizes) -> list[int]:
    """The sizes ``torch.split`` gives for a split size (an int) or a list of sections."""
    if isinstance(sizes, int):
        return [min(sizes, size - start) for start in range(0, size, sizes)]
    return list(sizes)


def _ports(dim: int, x, sizes: list[int]):
    return [(str(i), x[:dim] + (s,) + x[dim + 1:]) for i, s in enumerate(sizes)]


def _chunk_outputs(p, ins):
    x = ins[0]
    dim = normalize_dim(p["dim"], len(x))
    return _ports(dim, x, chunk_sizes(x[dim], p["chunks"]))


def _listed(sizes: tuple) -> str:
    """The sizes as a message shows them: the first eight, then how many more."""
    shown = ", ".join(str(s) for s in sizes[:8])
    return f"[{shown}]" if len(sizes) <= 8 else f"[{shown}, … {len(sizes) - 8} more]"


def _split_outputs(p, ins):
    x = ins[0]
    dim = normalize_dim(p["dim"], len(x))
    sizes = p["sizes"]
    if isinstance(sizes, tuple):
        if any(s < 0 for s in sizes):
            raise ShapeError(f"sizes {_listed(sizes)} holds a negative size", param="sizes")
        if sum(sizes) != x[dim]:
            raise ShapeError(f"sizes {_listed(sizes)} add up to {sum(sizes)}, but dimension "
                             f"{p['dim']} of {show(x)} has {x[dim]} (the sections must cover "
                             f"it, as torch.split's do)", param="sizes")
        if 0 in sizes:
            raise ShapeError(f"sizes {_listed(sizes)} holds an empty section", param="sizes")
    return _ports(dim, x, split_sizes(x[dim], sizes))


def _first(outputs):
    return lambda p, ins: outputs(p, ins)[0][1]


register(BlockSpec(
    "Chunk", "Shape",
    "Splits one dimension into the given number of pieces (torch.chunk; the last may be "
    "smaller, and there may be fewer than asked, as torch gives them). Several outputs, named \"0\", \"1\"…: an "
    "edge picks one with source_port.",
    params=(Param("chunks", "int", 2, "How many pieces.", min=1),
            Param("dim", "int", 0, "Dimension to split (batch not counted: 0 is the channels).")),
    infer=_first(_chunk_outputs), outputs=_chunk_outputs, input_dtype="any",
    output_dtype="same",
    build=lambda p, ins: modules.Chunk(p["chunks"], batch_dim(p["dim"])),
    key_params=("chunks", "dim"),
    doc_url="https://pytorch.org/docs/stable/generated/torch.chunk.html",
    examples=(({"chunks": 2}, ((6, 3, 3),)), ({"chunks": 3, "dim": -1}, ((4, 7),))),
))


register(BlockSpec(
    "Split", "Shape",
    "Splits one dimension into sections (torch.split): the sizes param is a list of section "
    "sizes that add up to the dimension, or one size for pieces of that size (the last may be "
    "smaller). Several outputs, named \"0\", \"1\"…: an edge picks one with source_port.",
    params=(Param("sizes", "int_or_ints", [1, 1], "Section sizes (a list that covers the "
                  "dimension), or one size for equal pieces.", min=1),
            Param("dim", "int", 0, "Dimension to split (batch not counted: 0 is the channels).")),
    infer=_first(_split_outputs), outputs=_split_outputs, input_dtype="any",
    output_dtype="same",
    build=lambda p, ins: modules.Split(
        split_sizes(ins[0][normalize_dim(p["dim"], len(ins[0]))], p["sizes"]),
        batch_dim(p["dim"])),
    key_params=("sizes", "dim"),
    doc_url="https://pytorch.org/docs/stable/generated/torch.split.html",
    examples=(({"sizes": [2, 4]}, ((6, 3, 3),)), ({"sizes": 3, "dim": 1}, ((2, 7),))),
))
