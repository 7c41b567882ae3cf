"""Token types of one type in an ONNX file, as the exporter writes Hugging Face's BERT given no
``token_type_ids``: the ids are a buffer of zeros sliced to the sequence's length and expanded
over the batch (``Shape → Gather → … → Expand``), and the table is looked up with them::

    Gather(token_type_embeddings.weight, Expand(buffered_zeros, Shape(input_ids)))

Their value follows the batch, so it is neither a constant nor computed by a block; yet every
id is one type, the same at any batch. The ids become ``torch.zeros_like(input_ids)`` (or
``full_like`` of the type), the value they were sized from, so that the torch importer's rule
for BERT's token types (:mod:`.token_types`) makes the lookup and its add one
TokenTypeEmbedding holding the whole table, as importing the PyTorch model does.
"""

from __future__ import annotations

import numpy as np


def one_type_ids(module, weights: set[str]) -> dict[str, tuple[str, int]]:
    """``{ids: (the value they are sized from, the type)}``: each value that follows the batch,
    holds one id at every probe, and is used only as the ids of ``Gather`` on a 2-D table of
    the file; sized from the value whose ``Shape`` it was computed from and whose shape it has
    (``input_ids``)."""
    found = {}
    producer = {o: i for i, n in enumerate(module.nodes) for o in n.output if o}
    for node in module.nodes:
        if node.op_type != "Gather" or len(node.input) != 2 or node.input[0] not in weights \
                or node.input[1] not in module.batchdep \
                or np.ndim(module.consts[node.input[0]]) != 2 \
                or int(next((a.i for a in node.attribute if a.name == "axis"), 0)) != 0:
            continue
        ids = node.input[1]
        values = module.batchdep[ids]
        if any(v.size == 0 or not np.issubdtype(v.dtype, np.integer) for v in values):
            continue
        first = int(values[0].reshape(-1)[0])
        if any(np.any(v != first) for v in values):
            continue
        users = [n for n in module.nodes if ids in n.input]
        if any(u.op_type != "Gather" or list(u.input[1:]) != [ids] for u in users):
            continue
        source = _sized_from(module, producer, ids)
        if source is not None:
            found[ids] = (source, first)
    return found


def _sized_from(module, producer: dict, ids: str) -> str | None:
    """The value computed at run time whose ``Shape`` ``ids`` was made from, with the shape
    ``ids`` has at every probe."""
    todo, seen = [ids], set()
    while todo:
        name = todo.pop()
        index = producer.get(name)
        if name in seen or index is None:
            continue
        seen.add(name)
        node = module.nodes[index]
        if node.op_type in ("Shape", "Size"):
            source = node.input[0]
            if module.runtime(source) and all(
                    source in p and ids in p and p[source].shape == p[ids].shape
                    for p in module.probes):
                return source
            continue
        todo.extend(n for n in node.input if n)
    return None
