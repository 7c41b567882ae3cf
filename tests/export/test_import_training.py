"""An imported model trains as the user's model does, or the import says where it does not:
frozen parameters (``requires_grad=False``), tables kept in buffers, ``torch.no_grad()`` and
``.detach()`` become nodes marked ``"trainable": false``; what no node can say (a gradient stop
that weights also learn around, an ``if self.training:`` branch, a partly frozen layer, a
frozen batch norm's statistics) is a warning naming the file and line."""

from __future__ import annotations

import sys
import textwrap
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.cli import main
from layerloom.graph import compile_graph, load_graph
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import ImportNote, TrainsDifferently
from layerloom.graph.summary import summarize


class FrozenBackbone(nn.Module):  # r05: self.a.requires_grad_(False)
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)
        self.a.requires_grad_(False)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class NoGradBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)

    def forward(self, x):
        with torch.no_grad():
            f = torch.relu(self.a(x))  # no_grad
        return self.b(f)


class DetachBackbone(NoGradBackbone):
    def forward(self, x):
        return self.b(self.a(x).detach())  # detach


class DetachAround(nn.Module):
    """``a`` learns through ``b``; the detach only keeps ``c``'s gradient from it."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x):
        y = self.a(x)
        return self.b(y) + self.c(y.detach())  # around


class NoGradNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        with torch.no_grad():
            f = self.body(x)
        return self.head(f)


class TrainOnlyNoise(FrozenBackbone):  # r05
    def forward(self, x):
        if self.training:  # noise
            x = x + 0.1 * torch.randn_like(x)
        return self.b(torch.relu(self.a(x)))


class VAEEvalMean(nn.Module):
    """pytorch/examples' VAE, sampling only while training (mu in evaluation)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(16, 8), nn.Linear(8, 4), nn.Linear(8, 4)
        self.fc3, self.fc4 = nn.Linear(4, 8), nn.Linear(8, 16)

    def reparameterize(self, mu, logvar):
        if self.training:  # reparameterize
            std = torch.exp(0.5 * logvar)
            return mu + torch.randn_like(std) * std
        return mu

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = self.reparameterize(mu, logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


class FunctionalDropout(nn.Module):
    """self.training as dropout's training argument: the Dropout block does both modes."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)

    def forward(self, x):
        x = F.dropout(self.a(x), 0.2, training=self.training)
        return F.dropout(x, p=0.1,
                         training=self.training)


class PartlyFrozen(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.a.bias.requires_grad_(False)

    def forward(self, x):
        return self.a(x)


class BufferPE(nn.Module):  # r04: a fixed table in a buffer, added whole
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.register_buffer("pe", torch.randn(1, 12, 16))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc((self.embed(x) + self.pe).mean(1))


def imported(model, shape, dtype="float32"):
    """``(graph, weights, said)``: the import, its weights checked, and its warnings by kind."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, shape, dtype)
        check_import(model, graph, weights.apply(model.state_dict()), shape, dtype,
                     weights=weights)
    said = {"note": [str(w.message) for w in caught if w.category is ImportNote],
            "warning": [str(w.message) for w in caught if w.category is TrainsDifferently]}
    return graph, weights, said


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def one_step(model: nn.Module, x: torch.Tensor) -> None:
    """One SGD step in training mode on a loss of the (first) output."""
    model.train()
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    optimizer.zero_grad()
    out.float().pow(2).mean().backward()
    optimizer.step()


def trains_alike(model: nn.Module, graph, weights, x: torch.Tensor) -> None:
    """The compiled graph, from the model's weights, takes the same SGD step as the model."""
    compiled = compile_graph(graph)
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    one_step(model, x)
    one_step(compiled, x)
    after = weights.apply(model.state_dict())
    for key, value in compiled.state_dict().items():
        torch.testing.assert_close(value, after[key], msg=key)


def test_a_frozen_layer_imports_frozen_and_trains_as_in_the_model():
    torch.manual_seed(0)
    model = FrozenBackbone()
    graph, weights, said = imported(model, (4,))
    assert [(n.id, n.type, n.extra.get("trainable")) for n in graph.nodes] == [
        ("x", "Input", None), ("a", "Linear", False), ("relu", "ReLU", None),
        ("b", "Linear", None), ("output", "Output", None)]
    summary = summarize(graph)
    assert (summary.params, summary.trainable_params) == (58, 18) == (
        sum(p.numel() for p in model.parameters()), trainable(model))
    assert said == {"note": ["frozen as in the model (\"trainable\": false): a: the model's "
                             "parameters have requires_grad=False"], "warning": []}
    trains_alike(model, graph, weights, torch.randn(5, 4))


@pytest.mark.parametrize("cls, marker, what", [(NoGradBackbone, "no_grad", "torch.no_grad()"),
                                               (DetachBackbone, "detach", "`.detach()`")])
def test_a_backbone_behind_a_gradient_stop_imports_frozen(cls, marker, what, line_of):
    """no_grad and detach keep every gradient from ``a``: it is frozen, as a node can say."""
    torch.manual_seed(0)
    model = cls()
    graph, weights, said = imported(model, (4,))
    assert [n.type for n in graph.nodes if n.type != "ReLU"] == ["Input", "Linear", "Linear",
                                                                 "Output"]
    assert graph.node("a").extra == {"trainable": False} and graph.node("b").extra == {}
    assert summarize(graph).trainable_params == 18 and trainable(model) == 58
    assert said == {"note": [f"frozen as in the model (\"trainable\": false): a: no gradient "
                             f"reaches them in the model: every path to the outputs goes "
                             f"through {what} at {line_of(marker)}"], "warning": []}
    trains_alike(model, graph, weights, torch.randn(5, 4))


def test_a_detach_that_weights_learn_around_is_a_warning_with_its_line(line_of):
    torch.manual_seed(0)
    graph, _, said = imported(DetachAround(), (4,))
    assert all("trainable" not in n.extra for n in graph.nodes)
    assert said == {"note": [], "warning": [
        f"`.detach()` at {line_of('around')} stops the gradient, but the weights before it (a) "
        f"also learn by another path to the outputs; no block stops a gradient, so in the "
        f"imported graph they learn through it too and train otherwise than in the model"]}


def test_a_frozen_batch_norm_says_its_statistics_stay():
    graph, _, said = imported(NoGradNorm(), (3, 8, 8))
    assert [n.id for n in graph.nodes if n.extra.get("trainable") is False] == \
        ["body_0", "body_1"]
    assert [n.type for n in graph.nodes if n.id == "body_1"] == ["BatchNorm2d"]
    assert said["warning"] == [
        "body_1: a frozen node's batch norm keeps its running statistics while the graph "
        "trains; the model's batch norm updates them in training mode (frozen parameters and "
        "torch.no_grad() do not stop that) unless your training loop keeps it in eval mode"]


@pytest.mark.parametrize("cls, shape, marker, function", [
    (TrainOnlyNoise, (4,), "noise", "TrainOnlyNoise.forward"),
    (VAEEvalMean, (16,), "reparameterize", "VAEEvalMean.reparameterize")])
def test_a_branch_on_self_training_is_a_warning_with_its_line(cls, shape, marker, function,
                                                              line_of):
    """The trace is taken in evaluation mode: the VAE imports as its mean, an autoencoder."""
    graph, _, said = imported(cls(), shape)
    assert "Input" in [n.type for n in graph.nodes]
    line = line_of(marker)
    assert said["warning"] == [
        f"{line}: `if self.training:  # {marker}` in {function}: the model is traced in "
        f"evaluation mode (self.training False), so the imported graph does what the model "
        f"does in evaluation; what it does otherwise while training (decided on this line) is "
        f"not in the graph, so training the import differs from training the model (dropout "
        f"written as nn.Dropout(p) or F.dropout(x, p, self.training) imports as a Dropout "
        f"block, which drops only while training)"]


def test_self_training_as_dropouts_argument_is_kept_without_a_word():
    graph, _, said = imported(FunctionalDropout(), (4,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "Dropout", "Dropout", "Output"]
    assert said == {"note": [], "warning": []}


def test_a_partly_frozen_layer_is_a_warning():
    graph, _, said = imported(PartlyFrozen(), (4,))
    assert graph.node("a").extra == {}
    assert said["warning"] == [
        "a (Linear) is partly frozen in the model: bias not trained (the model's parameters "
        "have requires_grad=False), weight trained; a node is frozen whole or not at all, so "
        "the import trains all of it (freeze all of the layer's parameters or none, or set "
        "\"trainable\": false on the node)"]


def test_a_table_in_a_buffer_imports_as_a_fixed_table():
    """r04: 851 parameters in the model, 851 trainable in the import (the table, 192, is
    frozen), and a training step leaves the table as it was, as the model does."""
    torch.manual_seed(0)
    model = BufferPE()
    graph, weights, said = imported(model, (12,), "int64")
    assert [(n.type, n.extra.get("trainable")) for n in graph.nodes] == [
        ("Input", None), ("Embedding", None), ("PositionalEmbedding", False),
        ("SequencePool", None), ("Linear", None), ("Output", None)]
    summary = summarize(graph)
    assert (summary.params, summary.trainable_params) == (1043, 851)
    assert trainable(model) == sum(p.numel() for p in model.parameters()) == 851
    assert said == {"note": ["frozen as in the model (\"trainable\": false): pe: 'pe' is a "
                             "buffer of the model (register_buffer), not a parameter"],
                    "warning": []}
    trains_alike(model, graph, weights, torch.randint(0, 50, (5, 12)))


MODELS = textwrap.dedent("""
    import torch
    from torch import nn

    class Frozen(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)
            self.a.requires_grad_(False)

        def forward(self, x):
            if self.training:
                x = x + 0.1 * torch.randn_like(x)
            return self.b(torch.relu(self.a(x)))
""")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    name = f"frozen_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def test_the_command_prints_notes_and_warnings_and_writes_the_freeze(user_module, tmp_path,
                                                                     capsys):
    code = main(["import-torch", f"{user_module}:Frozen", "--input-shape", "4",
                 "-o", "frozen.json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "frozen.json: 3 blocks from Frozen; compiled graph matches the model" in out
    lines = err.splitlines()
    assert lines[0] == ("note: frozen as in the model (\"trainable\": false): a: the model's "
                        "parameters have requires_grad=False")
    assert lines[1].startswith(f"warning: {user_module}.py:12: `if self.training:` in "
                               f"Frozen.forward: the model is traced in evaluation mode")
    graph = load_graph(tmp_path / "frozen.json")
    assert graph.node("a").extra == {"trainable": False}
    assert summarize(graph).trainable_params == 18
