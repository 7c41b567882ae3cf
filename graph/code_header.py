"""The comment at the top of generated code: what the model takes and gives, read from the graph.

The input and output lines come from the resolved shapes, so they are true of the design as it
is (a template fitted to other data included). The data line names the dataset the weights were
trained on (an export of a run) or that the code trains on (a training project), when the caller
knows it. The design's own description follows only when nothing shows it was written for other
inputs: it is left out when it names image sizes (8×8 or larger; smaller ones are kernels) none
of which is the input's, or when the design names the dataset it was made for and the data line
names another.

>>> sorted(_sizes("Small CNN for 28×28 digits, 3×3 kernels; 224 x 224 RGB"))
[(3, 3), (28, 28), (224, 224)]
"""

from __future__ import annotations

import re
import textwrap

from .model import Graph
from .resolve import Level

# "28×28", "224 x 224", "32×32×3": the first two numbers
_SIZE = re.compile(r"(?<![\d.])(\d+)\s*[×xX]\s*(\d+)(?![\d.])")
SMALLEST_IMAGE = 8  # sizes below this in a description are kernels and strides


def comment(text: str | None, limit: int = 100) -> str:
    """Text safe inside a ``#`` comment: printable characters only (no line breaks)."""
    clean = "".join(c if c.isprintable() else " " for c in str(text or ""))
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def comment_block(text: str, limit: int = 600) -> list[str]:
    return ["# " + line for line in textwrap.wrap(comment(text, limit), 96)]


def io_lines(top: Level, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]]
             ) -> list[str]:
    """``# Input image: float32 [batch, 1, 28, 28], 1-channel 28×28 images`` for every
    ``(argument name, node id)`` of ``inputs``, and ``# Output ...`` for ``outputs``."""
    lines = []
    for name, node_id in inputs:
        info = top.nodes[node_id]
        lines.append(f"# Input {name}: {_tensor(info.shape, info.dtype)}"
                     + (f", {_reading(info.shape, info.dtype)}"
                        if _reading(info.shape, info.dtype) else ""))
    for name, node_id in outputs:
        info = top.nodes[node_id]
        lines.append(f"# Output {name}: {_tensor(info.shape, info.dtype)}")
    return lines


def data_line(data: str | None) -> list[str]:
    return [f"# Data: {comment(data)}"] if data else []


def normalization_lines(norm: dict | None) -> list[str]:
    """Header lines saying that the weights were trained on standardised inputs: the code's
    ``standardize_input`` must be applied to raw data first."""
    if not norm:
        return []
    scaled = (f" (raw in 0–1: whole numbers, such as 8-bit pixels, divided by "
              f"{norm['scale']:g} first)" if norm.get("scale") else "")
    return comment_block(f"Inputs: the weights were trained on inputs standardised per "
                         f"{norm['kind']}, x = (raw - mean) / std{scaled}, with the training split's "
                         f"mean and std (INPUT_NORMALIZATION below). Feed the model "
                         f"standardize_input(raw), never raw data.")


def normalization_source(norm: dict | None) -> list[str]:
    """The constant and the function that standardise raw inputs as the training data were."""
    if not norm:
        return []
    fields = [f'"kind": {norm["kind"]!r}'.replace("'", '"')]
    if norm.get("scale"):
        fields.append(f'"scale": {float(norm["scale"])!r}')
    lines = ["INPUT_NORMALIZATION = {", f"    {', '.join(fields)},"]
    for key in ("mean", "std"):
        values = ", ".join(repr(float(v)) for v in norm[key])
        wrapped = textwrap.wrap(values, 88)
        lines.append(f'    "{key}": [' + ("\n" + " " * 13).join(wrapped) + "],")
    lines += ["}", "", "",
              "def standardize_input(raw: torch.Tensor) -> torch.Tensor:",
              '    """Raw inputs [batch, ...] as the training data were fed: whole numbers divided '
              'by the',
              '    scale (if any; floats are taken as already in 0-1), then standardised per '
              'channel or',
              '    feature; missing values (NaN) become 0, the mean."""',
              "    x = raw.float()",
              '    if "scale" in INPUT_NORMALIZATION and not raw.is_floating_point():',
              '        x = x / INPUT_NORMALIZATION["scale"]',
              '    mean = torch.tensor(INPUT_NORMALIZATION["mean"])',
              '    std = torch.tensor(INPUT_NORMALIZATION["std"])',
              '    if INPUT_NORMALIZATION["kind"] == "channel":  # (C,) against (B, C, ...)',
              "        shape = (-1,) + (1,) * (x.dim() - 2)",
              "        mean, std = mean.view(shape), std.view(shape)",
              "    return torch.nan_to_num((x - mean) / std, nan=0.0)"]
    return lines


def description_lines(graph: Graph, top: Level, data: str | None) -> list[str]:
    """The design's description as comment lines, or a line saying why it is left out."""
    if not graph.description:
        return []
    why = description_left_out(graph, top, data)
    if why:
        return comment_block(f"(The design's description is left out: {why}.)")
    return comment_block(graph.description)


def description_left_out(graph: Graph, top: Level, data: str | None,
                         data_words: str = "the data above") -> str | None:
    """Why the design's description is not true of the model as it is (it names image sizes
    none of which is the input's, or the dataset it was made for is not ``data``, which
    ``data_words`` names), or None: ``"it was written for text-sentiment, not the data
    above"``."""
    images = {tuple(top.nodes[i].shape[-2:]) for i in top.inputs
              if top.nodes[i].shape is not None and len(top.nodes[i].shape) == 3}
    named = {size for size in _sizes(graph.description or "") if min(size) >= SMALLEST_IMAGE}
    if named and not named & images:
        return "it was written for inputs of another size"
    made_for = graph.extra.get("dataset")  # a template names the data it was sized for
    if data and isinstance(made_for, str) and comment(data) != comment(made_for):
        return f"it was written for {comment(made_for)}, not {data_words}"
    return None


def _sizes(text: str) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in _SIZE.findall(text)}


def _tensor(shape, dtype: str | None) -> str:
    dims = ", ".join(["batch"] + [str(d) for d in (shape or ())])
    return f"{dtype or 'float32'} [{dims}]"


def _reading(shape, dtype: str | None) -> str:
    """What a sample of this shape usually is, in words; empty when there is no usual reading."""
    shape = tuple(shape or ())
    if dtype == "int64":
        return f"{shape[0]} token ids per sample" if len(shape) == 1 else "integer ids"
    if len(shape) == 3:
        kind = " (RGB)" if shape[0] == 3 else ""
        return f"{shape[0]}-channel{kind} {shape[1]}×{shape[2]} images"
    if len(shape) == 2:
        return f"sequences of {shape[1]} steps with {shape[0]} channel" + (
            "s" if shape[0] != 1 else "")
    if len(shape) == 1:
        return f"{shape[0]} feature" + ("s" if shape[0] != 1 else "") + " per sample"
    return ""
