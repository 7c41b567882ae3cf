"""Layers whose weight is computed at each call (``weight_norm``, ``spectral_norm``, as hooks of
``torch.nn.utils`` or as ``torch.nn.utils.parametrizations``; locuslab's TCN puts weight_norm on
every convolution): refused in words, with the file and line, the layer and the line of Python
that makes the weight a plain one; done so, the model imports with its outputs."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch


def old_weight_norm(module: nn.Module) -> nn.Module:
    with warnings.catch_warnings():  # deprecated in favour of parametrizations.weight_norm
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.weight_norm(module)


class WN(nn.Module):  # r08: the parametrizations API
    def __init__(self):
        super().__init__()
        self.conv = parametrizations.weight_norm(nn.Conv1d(4, 8, 3, padding=1))
        self.head = nn.Conv1d(8, 3, 1)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)))  # parametrized


class TCNish(nn.Module):
    """locuslab/TCN's TemporalBlock convolutions: the torch.nn.utils hook, in a Sequential."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(old_weight_norm(nn.Conv1d(4, 8, 2)), nn.ReLU(),
                                 old_weight_norm(nn.Conv1d(8, 8, 2)), nn.ReLU())
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.net(x)[:, :, -1:].flatten(1))  # hooked


class Spectral(nn.Module):
    def __init__(self, new: bool):
        super().__init__()
        norm = parametrizations.spectral_norm if new else torch.nn.utils.spectral_norm
        self.fc = norm(nn.Linear(6, 4))

    def forward(self, x):
        return self.fc(x)  # spectral


def test_parametrized_weight_norm_is_refused_with_the_fix(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(WN(), (4, 20))
    assert str(caught.value) == (
        f"{line_of('parametrized')}: cannot import conv (ParametrizedConv1d): its weight is "
        f"reparametrised by weight_norm (weight = g · v / ‖v‖, learned as g and v), which no "
        f"block keeps: importing the weight it gives now as a plain weight would train another "
        f"model. To import it so, write a function that builds the model, runs "
        f"torch.nn.utils.parametrize.remove_parametrizations(model.conv, 'weight') and returns "
        f"the model, and import that function")


def test_hooked_weight_norm_names_the_layer_and_the_others(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(TCNish(), (4, 20))
    assert str(caught.value) == (
        f"{line_of('hooked')}: cannot import net.0 (Conv1d): its weight is reparametrised by "
        f"weight_norm (weight = g · v / ‖v‖, learned as g and v), which no block keeps: "
        f"importing the weight it gives now as a plain weight would train another model. To "
        f"import it so, write a function that builds the model, runs "
        f"torch.nn.utils.remove_weight_norm(model.get_submodule('net.0')) and returns the "
        f"model, and import that function; so is 1 more layer of the model, to do the same "
        f"for: net.2")


@pytest.mark.parametrize("new, fix", [
    (True, "torch.nn.utils.parametrize.remove_parametrizations(model.fc, 'weight')"),
    (False, "torch.nn.utils.remove_spectral_norm(model.fc)")])
def test_spectral_norm_is_refused_with_the_fix(new, fix, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Spectral(new), (6,))
    assert str(caught.value).startswith(
        f"{line_of('spectral')}: cannot import fc (")
    assert ("its weight is reparametrised by spectral_norm (the weight divided by its largest "
            "singular value, kept at most 1), which no block keeps") in str(caught.value)
    assert f"runs {fix} and returns the model" in str(caught.value)


def without_weight_norm() -> nn.Module:
    """What the message asks for: the model built, its reparametrisations removed."""
    model = TCNish()
    for layer in (model.net[0], model.net[2]):
        torch.nn.utils.remove_weight_norm(layer)
    return model


def test_done_as_the_message_says_the_model_imports_with_its_outputs():
    torch.manual_seed(0)
    original = WN().eval()
    model = WN()
    model.load_state_dict(original.state_dict())
    parametrize.remove_parametrizations(model.conv, "weight")
    graph, weights = import_torch(model, (4, 20))
    assert [n.type for n in graph.nodes] == ["Input", "Conv1d", "ReLU", "Conv1d", "Output"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (4, 20),
                        weights=weights) < 1e-5
    x = torch.randn(2, 4, 20)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), original(x))

    tcn = without_weight_norm()
    graph, weights = import_torch(tcn, (4, 20))
    assert [n.type for n in graph.nodes if n.type == "Conv1d"] == ["Conv1d", "Conv1d"]
    assert check_import(tcn, graph, weights.apply(tcn.state_dict()), (4, 20),
                        weights=weights) < 1e-5
