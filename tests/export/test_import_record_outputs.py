"""A model that returns a namedtuple (``Output(logits, features)``), a dataclass, or a Hugging
Face-style ``ModelOutput`` (a dataclass that is also an ordered dict of its fields that are not
None) imports as one that returns a dict does: one Output per field, named after it, in the
fields' order, a field left None (the loss where no labels are given) left out; a note names the
class. The values are the model's, and the design exports to code, TorchScript and ONNX. Before,
the import stopped at the class ("cannot import Output in Model.forward: no LayerLoom block does
this", "it gives a Output, not a tensor")."""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, fields

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import ImportNote

Pair = namedtuple("Pair", "logits features")


@dataclass
class Result:
    logits: torch.Tensor
    features: torch.Tensor
    loss: torch.Tensor | None = None


@dataclass
class ClassifierOutput(OrderedDict):
    """transformers' ``ModelOutput`` as it behaves: a dataclass whose fields that are not None
    are also its dict's items."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    features: torch.Tensor | None = None

    def __post_init__(self):
        for field in fields(self):
            if getattr(self, field.name) is not None:
                self[field.name] = getattr(self, field.name)


class Classifier(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x, labels=None):
        f = self.body(x)
        logits = self.head(f)
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        if self.kind == "namedtuple":
            return Pair(logits, f)
        if self.kind == "dataclass":
            return Result(logits=logits, features=f, loss=loss)
        return ClassifierOutput(loss=loss, logits=logits, features=f)


@pytest.mark.parametrize(("kind", "said"), [
    ("namedtuple", "returns Pair (a namedtuple): the design returns its values as a tuple, in "
                   "the fields' order, each from an Output named after its field: 'logits' "
                   "(logits), 'features' (features)"),
    ("dataclass", "returns Result (a dataclass): the design returns its values as a tuple, in "
                  "the fields' order, each from an Output named after its field: 'logits' "
                  "(logits), 'features' (features)"),
    ("model_output", "returns a dict: the design returns its values as a tuple, in the dict's "
                     "order, each from an Output named after its key: 'logits' (logits), "
                     "'features' (features)"),
])
def test_a_record_imports_as_one_output_per_field(kind, said, tmp_path):
    torch.manual_seed(0)
    model = Classifier(kind).eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, [[6]])
    assert [n.id for n in graph.nodes if n.type == "Output"] == ["logits", "features"]
    assert any(w.category is ImportNote and said in str(w.message) for w in caught)
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [[6]]) < 1e-6
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(5, 6)
    with torch.no_grad():
        logits, features = compiled(x)
        torch.testing.assert_close(logits, model(x).logits)
        torch.testing.assert_close(features, model(x).features)
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(graph), "generated.py", "exec"), namespace)  # our own code
    written = namespace["Classifier"]().eval()
    written.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(written(x)[0], model(x).logits)
    for fmt in ("onnx", "torchscript"):
        assert export_model(graph, fmt, tmp_path / f"m.{fmt}", state).max_abs_diff < 1e-5
