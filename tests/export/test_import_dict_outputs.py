"""A model that returns a dict (``return {"logits": x, "features": f}``, as detection and
Hugging Face-style models do) imports as a graph with one Output per key, named after it, in the
dict's order; the design returns the values as a tuple, and a note says which Output holds which
key. The parameter count and every value are the model's, and the design exports to code,
TorchScript and ONNX. Before, the import stopped at "returns a dict (keys 'logits', 'features';
return its values as a tuple)". A dict whose value is not one tensor is refused naming its key."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import ImportNote


class FeatureClassifier(nn.Module):
    """A backbone whose pooled features are returned beside the class scores."""

    def __init__(self, classes=5):
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8),
                                      nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(8, classes)

    def forward(self, x):
        f = self.features(x)
        return {"logits": self.classifier(f), "features": f}


class Named(nn.Module):
    """A key that is also a layer's name: the Output cannot take it."""

    def __init__(self):
        super().__init__()
        self.logits = nn.Linear(6, 3)

    def forward(self, x):
        return {"logits": self.logits(x), "pred_boxes": torch.sigmoid(x[:, :4])}


def test_a_dict_imports_as_one_output_per_key(tmp_path):
    model = FeatureClassifier().eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (3, 8, 8))
    outputs = [n.id for n in graph.nodes if n.type == "Output"]
    assert outputs == ["logits", "features"]
    notes = [str(w.message) for w in caught if w.category is ImportNote]
    assert notes == ["FeatureClassifier.forward returns a dict: the design returns its values "
                     "as a tuple, in the dict's order, each from an Output named after its "
                     "key: 'logits' (logits), 'features' (features)"]
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 285
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 8, 8), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert isinstance(got, tuple) and len(got) == 2
    for key, value in zip(want, got):
        assert want[key].abs().max() > 0.1
        torch.testing.assert_close(value, want[key], atol=1e-5, rtol=0)
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(graph), "generated.py", "exec"), namespace)  # our own code
    written = [v for v in namespace.values() if isinstance(v, type)
               and issubclass(v, nn.Module) and v.__module__ == "generated"][-1]().eval()
    written.load_state_dict(state, strict=True)
    with torch.no_grad():
        for key, value in zip(want, written(x)):
            torch.testing.assert_close(value, want[key], atol=1e-5, rtol=0)
    for fmt, name in (("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


def test_a_key_that_a_block_has_names_its_output_apart():
    model = Named().eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (6,))
    assert [n.id for n in graph.nodes if n.type == "Output"] == ["output_logits", "pred_boxes"]
    assert any("'logits' (output_logits), 'pred_boxes' (pred_boxes)" in str(w.message)
               for w in caught)
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (6,), weights=weights) < 1e-5


def test_a_value_other_than_a_tensor_is_refused_naming_its_key():
    class Levels(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            return {"logits": y, "levels": (y, x)}

    with pytest.raises(GraphError, match=r"Levels.forward returns a tuple under the key "
                                         r"'levels'; an imported model returns one tensor per "
                                         r"key \(return each of its tensors under a key of its "
                                         r"own\)"):
        import_torch(Levels().eval(), (4,))


def test_a_loss_of_none_in_the_dict_is_left_out_naming_its_key():
    class WithLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x, labels=None):
            logits = self.fc(x)
            loss = None if labels is None else (logits - labels).pow(2).mean()
            return {"loss": loss, "logits": logits}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(WithLoss().eval(), (4,))
    assert [n.id for n in graph.nodes if n.type == "Output"] == ["logits"]
    assert any("returns None as output 'loss'" in str(w.message) for w in caught)
