"""Block names for an ONNX file of the dynamo exporter, from the modules that made its nodes.

The dynamo exporter names nodes after the aten ops (``node_linear_12``, ``node_Softmax``), which
say nothing of the model; each node's ``pkg.torch.onnx.name_scopes`` metadata does: the path of
the module whose call made it (``model.distilbert.transformer.layer.0.attention``). A block is
named by the shortest tail of that path that no other module of the file ends with, an index
kept with the container before it (``layer.0`` is one part), so names read as the model's
attributes without their common prefix:

>>> names = short_names(["model.bert.encoder.layer.0.attention",
...                      "model.bert.encoder.layer.1.attention", "model.classifier",
...                      "model.bert.pooler.dense", "model.bert.embeddings.dense"])
>>> [names[p] for p in sorted(names)]
['embeddings_dense', 'layer_0_attention', 'layer_1_attention', 'pooler_dense', 'classifier']

The file's metadata is read as data: the list is parsed as a literal, never run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

SCOPES = "pkg.torch.onnx.name_scopes"


def dynamo_scope(node) -> str | None:
    """The dotted path of the module whose call made ``node`` (``model.classifier``), from the
    dynamo exporter's metadata; ``""`` for the model itself; None where the file does not say
    (the TorchScript exporter's files, whose node names carry the path)."""
    text = next((p.value for p in node.metadata_props if p.key == SCOPES), None)
    if text is None:
        return None
    try:
        scopes = ast.literal_eval(text)  # ['', 'model', 'model.classifier', 'linear_13']
    except (ValueError, SyntaxError):
        return None
    if not isinstance(scopes, list) or not scopes or scopes[0] != "" or \
            not all(isinstance(s, str) for s in scopes):
        return None  # a hook's own scope ('_empty_nn_module_stack_from_metadata_hook'), not
        # the model's, which starts at the model itself: ''

    modules = [s for s in scopes[:-1] if s]  # the last is the op's own name
    if any(not re.fullmatch(r"[A-Za-z0-9_.]+", s) for s in modules):
        return None  # a hook's name, not a module path
    return modules[-1] if modules else ""


def _parts(path: str) -> list[str]:
    """``model.layer.0.attn`` → ``['model', 'layer.0', 'attn']``: an index stays with the
    container it indexes."""
    parts: list[str] = []
    for part in (p for p in path.split(".") if p):
        if part.isdigit() and parts:
            parts[-1] = f"{parts[-1]}.{part}"
        else:
            parts.append(part)
    return parts


def short_names(paths: Iterable[str]) -> dict[str, str]:
    """Each module path → the shortest tail of its parts that no other path ends with, its
    dots made ``_`` (a legal, readable block id); a path that is the tail of another keeps all
    its parts. The parts common to every path (a wrapper's ``model``) are left out: a path of
    those alone is ``""``, the model itself."""
    unique = sorted({p for p in paths if p})
    split = {p: _parts(p) for p in unique}
    common = 0
    if len(unique) > 1:
        for column in zip(*split.values()):
            if len(set(column)) != 1:
                break
            common += 1
    names = {}
    for path, parts in split.items():
        own = parts[common:]
        if not own:
            names[path] = ""
            continue
        tail = own
        for n in range(1, len(own) + 1):
            candidate = parts[-n:]
            if not any(other != path and split[other][-n:] == candidate for other in unique):
                tail = candidate
                break
        names[path] = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(tail))
    return names
