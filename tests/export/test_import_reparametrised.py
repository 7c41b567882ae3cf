"""Layers whose weight is computed at each call in a way no block keeps (``spectral_norm`` of
other settings than torch's defaults, as a hook of ``torch.nn.utils`` or as
``torch.nn.utils.parametrizations``; ``weight_norm`` over another dim than 0, or of an LSTM's
weights): refused in words, with the file and line, the layer and the line of Python that makes
the weight a plain one; done so, the model imports with its outputs. (weight_norm over dim 0
and spectral_norm with its defaults, of a Linear or a convolution, import:
test_import_weight_norm.py, test_import_spectral_norm.py.)"""

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
        self.fc = norm(nn.Linear(6, 4), n_power_iterations=3)

    def forward(self, x):
        return self.fc(x)  # spectral


class WholeNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = parametrizations.weight_norm(nn.Conv1d(4, 8, 3, padding=1), dim=None)

    def forward(self, x):
        return self.conv(x)  # whole


class NormedGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = parametrizations.weight_norm(nn.GRU(4, 8, batch_first=True),
                                                name="weight_hh_l0")

    def forward(self, x):
        return self.rnn(x)[0]  # recurrent


def test_weight_norm_over_another_dim_is_refused_with_the_fix(line_of):
    """The blocks' weight_norm is over dim 0 (torch's default); TCNish and WN, over dim 0,
    import (tests/export/test_import_weight_norm.py)."""
    with pytest.raises(GraphError) as caught:
        import_torch(WholeNorm(), (4, 20))
    assert str(caught.value) == (
        f"{line_of('whole')}: cannot import conv (ParametrizedConv1d): its weight is "
        f"reparametrised by weight_norm over dim=None (one g for the whole weight) or -1, and "
        f"the Conv1d block's weight_norm is over dim 0 only (the default: a g per slice of the "
        f"weight's first dimension); fix: call weight_norm(layer) without dim, or import a "
        f"function that builds the model, runs torch.nn.utils.parametrize."
        f"remove_parametrizations(model.conv, 'weight') (a plain weight) and returns the model")


def test_weight_norm_of_a_block_without_it_is_refused_with_the_fix(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(NormedGRU(), (5, 4))
    assert str(caught.value) == (
        f"{line_of('recurrent')}: cannot import rnn (ParametrizedGRU): its weight_hh_l0 is "
        f"reparametrised by weight_norm (weight = g · v / ‖v‖, learned as g and v), which no "
        f"block keeps: importing the weight it gives now as a plain weight would train another "
        f"model. To import it so, write a function that builds the model, runs "
        f"torch.nn.utils.parametrize.remove_parametrizations(model.rnn, 'weight_hh_l0') and "
        f"returns the model, and import that function")


@pytest.mark.parametrize("new, fix", [
    (True, "torch.nn.utils.parametrize.remove_parametrizations(model.fc, 'weight')"),
    (False, "torch.nn.utils.remove_spectral_norm(model.fc)")])
def test_spectral_norm_of_other_settings_is_refused_with_the_fix(new, fix, line_of):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = Spectral(new)
    with pytest.raises(GraphError) as caught:
        import_torch(model, (6,))
    assert str(caught.value).startswith(
        f"{line_of('spectral')}: cannot import fc (")
    assert ("its spectral_norm has n_power_iterations=3, and the block's is torch's default "
            "(n_power_iterations=1, eps=1e-12, dim=0); fix: call spectral_norm(layer) with its "
            "defaults") in str(caught.value)
    assert f"runs {fix} (a plain weight) and returns the model" in str(caught.value)


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
