"""Two patterns users write around their layers: ``x[:, None]`` / ``w[:, :, None, None]`` (a new
dimension of size 1, as ``unsqueeze``) imports as an Unflatten; and
``with torch.set_grad_enabled(self.training):`` around a layer, which the trace (in evaluation
mode) runs without a gradient, keeps the layer trainable, as the model trains it."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.training import ImportNote, TrainsDifferently
from layerloom.graph.summary import summarize


class SqueezeExcite(nn.Module):
    """The gate of [B, C] broadcast over the map as w[:, :, None, None]."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 6, 3, padding=1), nn.Linear(6, 6)

    def forward(self, x):
        y = self.conv(x)
        w = torch.sigmoid(self.fc(y.mean((2, 3))))
        return y * w[:, :, None, None]


class FeaturesAsSignal(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.conv = nn.Linear(4, 10), nn.Conv1d(1, 2, 3)

    def forward(self, x):
        return self.conv(self.fc(x)[:, None]).flatten(1)


class BeforeTheBatch(FeaturesAsSignal):
    def forward(self, x):
        return self.fc(x)[None]  # batch


class FineTuned(nn.Module):
    """A backbone with a gradient only while training (a fine-tuning recipe), and a probe
    that never learns."""

    def __init__(self):
        super().__init__()
        self.backbone, self.head, self.probe = nn.Linear(4, 8), nn.Linear(8, 2), nn.Linear(4, 2)

    def forward(self, x):
        with torch.set_grad_enabled(self.training):
            features = torch.relu(self.backbone(x))
        with torch.no_grad():
            probe = self.probe(x)
        return self.head(features) + probe


def test_a_gate_broadcast_with_none_indices_imports_as_unflatten(imported_round_trip,
                                                                 tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(SqueezeExcite(), [3, 8, 8], tmp_path,
                                   other_shape=[3, 11, 11])
    unflatten = [n for n in graph.nodes if n.type == "Unflatten"]
    assert [n.params for n in unflatten] == [{"dim": 0, "sizes": [-1, 1, 1]}]


def test_features_given_a_channel_with_none_import_as_unflatten(imported_outputs_equal):
    torch.manual_seed(0)
    graph = imported_outputs_equal(FeaturesAsSignal(), [4])
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Unflatten", "Conv1d",
                                             "Flatten", "Output"]


def test_none_before_the_batch_is_refused_with_its_line(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(BeforeTheBatch(), (4,))
    assert str(caught.value) == (f"{line_of('batch')}: cannot import operator.getitem in "
                                 f"BeforeTheBatch.forward: indexing with x[None] adds a "
                                 f"dimension before the batch")


def test_set_grad_enabled_self_training_keeps_the_layer_trainable():
    torch.manual_seed(0)
    model = FineTuned()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (4,))
    said = [(w.category.__name__, str(w.message)) for w in caught
            if w.category in (ImportNote, TrainsDifferently)]
    assert graph.node("backbone").extra == {} and graph.node("head").extra == {}
    assert graph.node("probe").extra == {"trainable": False}  # no_grad stays a stop
    assert summarize(graph).trainable_params == 40 + 18
    assert [kind for kind, _ in said] == ["ImportNote"]  # the probe frozen; nothing else
    # one training step moves the backbone in both, as in the model
    compiled = compile_graph(graph)
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, 4)
    for net in (model, compiled):
        net.train()
        optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.5)
        optimizer.zero_grad()
        net(x).pow(2).mean().backward()
        optimizer.step()
    after = weights.apply(model.state_dict())
    for key, value in compiled.state_dict().items():
        torch.testing.assert_close(value, after[key], msg=key)
