"""A LayerLoom ONNX file whose sequence lengths are free, imported at its design's lengths.

An export keeps a text model's length free where the model takes other lengths
(``graph.export.onnx_lengths``) and writes the design's own shape of each such input into the
file's metadata (``layerloom.lengths``). The import takes that free length as the design's
variable ``length`` (``onnx_free_lengths``), set to the design's own length
(:func:`design_length`), and an image's free height and width the variables of their names,
set to the design's height and width (:func:`design_image_sizes` where they differ); where the
design imported would hold that length, the graph is built at it instead (:func:`fix_lengths`),
as a file with no free length is.
"""

from __future__ import annotations

import copy
import json

LENGTHS_KEY = "layerloom.lengths"


def _lengths(model) -> dict:
    """The metadata's ``{input: shape}``; ``{}`` where there is none or it is no such dict."""
    text = next((p.value for p in model.metadata_props if p.key == LENGTHS_KEY), None)
    try:
        lengths = json.loads(text) if text else {}
    except ValueError:
        return {}
    return lengths if isinstance(lengths, dict) else {}


def design_length(model) -> int | None:
    """The design's length at the free axes of ``model``'s inputs, as its metadata names it:
    None where it names none, several different ones, or an input with several free axes.

    >>> import onnx
    >>> x = onnx.helper.make_tensor_value_info("signal", onnx.TensorProto.FLOAT, ["b", 1, "n"])
    >>> m = onnx.helper.make_model(onnx.helper.make_graph(
    ...     [onnx.helper.make_node("Identity", ["signal"], ["y"])], "g", [x],
    ...     [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["b", 1, "n"])]))
    >>> m.metadata_props.add(key=LENGTHS_KEY, value='{"signal": [1, 128]}') and None
    >>> design_length(m)
    128
    """
    lengths = _lengths(model)
    found = set()
    for value in model.graph.input:
        shape = lengths.get(value.name)
        dims = list(value.type.tensor_type.shape.dim)
        if not (isinstance(shape, list) and len(shape) == len(dims) - 1):
            continue
        free = [size for dim, size in zip(dims[1:], shape) if not dim.HasField("dim_value")]
        if len(free) > 1 and not is_image(value):  # one variable per input, or an image's two
            return None
        found.update(free)
    if len(found) != 1:
        return None
    size = found.pop()
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 1 else None


def design_image_sizes(model) -> dict[str, dict[int, int]]:
    """The design's height and width of each image input of ``model`` whose two are free and
    differ, as its metadata names them (``{input: {axis: size}}``, the axis counted with the
    batch); ``{}`` where there is none (equal ones are :func:`design_length`'s).

    >>> import onnx
    >>> x = onnx.helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, ["b", 1, "h", "w"])
    >>> m = onnx.helper.make_model(onnx.helper.make_graph(
    ...     [onnx.helper.make_node("Identity", ["image"], ["y"])], "g", [x],
    ...     [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["b", 1, "h", "w"])]))
    >>> m.metadata_props.add(key=LENGTHS_KEY, value='{"image": [1, 32, 48]}') and None
    >>> design_image_sizes(m)
    {'image': {2: 32, 3: 48}}
    """
    lengths = _lengths(model)
    found = {}
    for value in model.graph.input:
        shape = lengths.get(value.name)
        if not is_image(value) or not (isinstance(shape, list) and len(shape) == 3):
            continue
        sizes = shape[1:]
        if all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes) \
                and sizes[0] != sizes[1]:
            found[value.name] = {2: sizes[0], 3: sizes[1]}
    return found


def is_image(value) -> bool:
    """Whether the graph input ``value`` is an image ``[batch, C, H, W]`` whose height and width
    alone are free, the two sizes an export frees together (the design's ``[C, H, W]``).

    >>> import onnx
    >>> is_image(onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["b", 3, "h", "w"]))
    True
    >>> is_image(onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["b", "c", "h", 8]))
    False
    """
    dims = list(value.type.tensor_type.shape.dim)
    return len(dims) == 4 and [d.HasField("dim_value") for d in dims[1:]] == [True, False, False]


def fix_lengths(model):
    """``model`` with each input's free sizes after the batch set to the shape its metadata
    names (a copy); ``model`` itself where it names none.

    >>> import onnx
    >>> x = onnx.helper.make_tensor_value_info("tokens", onnx.TensorProto.INT64, ["b", "n"])
    >>> y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT64, ["b", "n"])
    >>> m = onnx.helper.make_model(onnx.helper.make_graph(
    ...     [onnx.helper.make_node("Identity", ["tokens"], ["y"])], "g", [x], [y]))
    >>> m.metadata_props.add(key=LENGTHS_KEY, value='{"tokens": [32]}') and None
    >>> [d.dim_value or d.dim_param for d in fix_lengths(m).graph.input[0].type.tensor_type.shape.dim]
    ['b', 32]
    """
    lengths = _lengths(model)
    if not lengths:
        return model
    fixed = copy.deepcopy(model)
    for value in fixed.graph.input:
        shape = lengths.get(value.name)
        dims = value.type.tensor_type.shape.dim
        if not (isinstance(shape, list) and len(shape) == len(dims) - 1):
            continue
        for dim, size in zip(list(dims)[1:], shape):
            if isinstance(size, int) and size >= 1 and not dim.HasField("dim_value"):
                dim.dim_value = size
    return fixed
