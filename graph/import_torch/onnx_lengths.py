"""A LayerLoom ONNX file whose sequence lengths are free, imported at its design's lengths.

An export keeps a text model's length free where the model takes other lengths
(``graph.export.onnx_lengths``) and writes the design's own shape of each such input into the
file's metadata (``layerloom.lengths``). A graph's Input has one shape, so the import builds it
at that shape; any other free size after the batch is refused, as before, by ``onnx_inputs``.
"""

from __future__ import annotations

import copy
import json

LENGTHS_KEY = "layerloom.lengths"


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
    text = next((p.value for p in model.metadata_props if p.key == LENGTHS_KEY), None)
    try:
        lengths = json.loads(text) if text else {}
    except ValueError:
        return model
    if not isinstance(lengths, dict):
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
