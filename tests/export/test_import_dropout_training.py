"""``F.dropout(x, p, training=...)``: the model is traced in evaluation mode, where
``training=self.training`` and ``training=False`` both read False; what the line passes decides.
``training=False`` never drops (no block), ``training=self.training`` drops while training (a
Dropout block), anything else is refused naming the file and line."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.training import TrainsDifferently
from layerloom.graph.summary import summarize


class NeverDrops(nn.Module):
    """Dropout switched off in the code itself: the model never drops, in either mode."""

    def __init__(self):
        super().__init__()
        self.conv, self.head = nn.Conv1d(3, 8, 3, padding=1), nn.Conv1d(8, 2, 1)

    def forward(self, x):
        x = F.dropout(torch.relu(self.conv(x)), 0.5, training=False)
        return self.head(F.dropout(x, 0.3, False))


class DropsWhileTraining(NeverDrops):
    def forward(self, x):
        x = F.dropout(torch.relu(self.conv(x)), 0.5, training=self.training)
        return self.head(x)


def dropped(x, p, training):
    return F.dropout(x, p, training)


class HelperDrops(NeverDrops):
    """self.training passed through a helper of the user's own."""

    def forward(self, x):
        return self.head(dropped(torch.relu(self.conv(x)), 0.25, self.training))


class FlagDrops(NeverDrops):
    def __init__(self):
        super().__init__()
        self.mc_dropout = False

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.head(F.dropout(x, 0.5, training=self.mc_dropout))  # flag


class AlphaNever(nn.Module):
    """F.alpha_dropout's training defaults to False: it never drops as written."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(F.alpha_dropout(x, 0.2))


def test_dropout_with_training_false_imports_as_nothing(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    model = NeverDrops()
    graph, state = imported_round_trip(model, [3, 12], tmp_path, other_shape=[3, 20])
    assert [n.type for n in graph.nodes] == ["Input", "Conv1d", "ReLU", "Conv1d", "Output"]
    assert summarize(graph).trainable_params == sum(p.numel() for p in model.parameters())
    compiled = compile_graph(graph)
    compiled.load_state_dict(state, strict=True)
    model.train(), compiled.train()  # the model never drops: neither does the import
    x = torch.randn(4, 3, 20)
    torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)


def test_dropout_with_training_self_training_imports_as_a_dropout_block(imported_round_trip,
                                                                      tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(DropsWhileTraining(), [3, 12], tmp_path,
                                   other_shape=[3, 20])
    assert [n.type for n in graph.nodes] == ["Input", "Conv1d", "ReLU", "Dropout", "Conv1d",
                                             "Output"]
    assert graph.node("dropout").params == {"p": 0.5}


def test_self_training_passed_through_a_helper_is_a_dropout_block(imported_round_trip,
                                                                tmp_path):
    torch.manual_seed(0)
    with warnings.catch_warnings():  # the caller's self.training is no branch of its own
        warnings.simplefilter("error", TrainsDifferently)
        graph, _ = imported_round_trip(HelperDrops(), [3, 12], tmp_path, other_shape=[3, 20])
    assert [(n.type, n.params) for n in graph.nodes if n.type == "Dropout"] == [
        ("Dropout", {"p": 0.25})]


def test_dropout_with_another_flag_is_refused_naming_it_and_the_line(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(FlagDrops(), (3, 12))
    assert str(caught.value) == (
        f"{line_of('flag')}: cannot import torch.nn.functional.dropout in FlagDrops.forward: "
        f"training=self.mc_dropout is neither self.training nor False, so it is not known "
        f"whether the model drops while training; pass training=self.training (a Dropout "
        f"block, which drops only while the graph trains) or training=False (never drops: no "
        f"block)")


def test_alpha_dropout_left_at_its_default_imports_as_nothing():
    torch.manual_seed(0)
    model = AlphaNever().train()
    graph, weights = import_torch(model, (6,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Output"]
    compiled = compile_graph(graph).train()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, 6)
    torch.testing.assert_close(compiled(x), model(x))
