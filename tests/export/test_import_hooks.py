"""Hooks registered on the model or its layers are not part of its traced forward: each is a
warning naming the hook and its file and line, and where a forward hook left out changes the
outputs the failed check says it is the likely cause."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import TrainsDifferently
from layerloom.graph.summary import summarize

FEATURES: dict[str, torch.Tensor] = {}


def save_features(module, inputs, output):  # save
    FEATURES["conv"] = output.detach()


def halve_gradient(module, grad_input, grad_output):  # backward
    return tuple(g * 0.5 if g is not None else None for g in grad_input)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(8, 4))

    def forward(self, x):
        return self.head(self.conv(x))


class SavesFeatures(Net):  # Grad-CAM and feature extraction tutorials
    def __init__(self):
        super().__init__()
        self.conv.register_forward_hook(save_features)


class ScalesOutput(Net):
    def __init__(self):
        super().__init__()
        self.conv.register_forward_hook(lambda m, i, o: o * 2)  # scales


class HalvesGradient(Net):
    def __init__(self):
        super().__init__()
        self.head.register_full_backward_hook(halve_gradient)


def imported(model, shape):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, shape)
    # torch's own note that a backward hook cannot wrap a traced value is not shown
    assert [str(w.message) for w in caught if w.category is not TrainsDifferently] == []
    return graph, weights, [str(w.message) for w in caught if w.category is TrainsDifferently]


def test_a_forward_hook_that_saves_features_imports_with_a_warning(imported_round_trip,
                                                                  tmp_path, line_of):
    torch.manual_seed(0)
    model = SavesFeatures()
    graph, _ = imported_round_trip(model, [3, 8, 8], tmp_path, other_shape=[3, 12, 12])
    assert [n.type for n in graph.nodes] == ["Input", "Conv2d", "ReLU", "AdaptiveAvgPool2d",
                                             "Flatten", "Linear", "Output"]
    _, _, said = imported(model, (3, 8, 8))
    assert said == [f"the forward hook save_features ({line_of('save')}) on conv (Conv2d) is "
                    f"not part of the imported graph (the import traces forward, not the hooks "
                    f"a call runs): what it does (changing the outputs, saving or printing "
                    f"them) is left out; write it into forward to import it"]


def test_a_forward_hook_that_changes_outputs_fails_the_check_naming_it(line_of):
    torch.manual_seed(0)
    model = ScalesOutput().eval()
    graph, weights, said = imported(model, (3, 8, 8))
    assert len(said) == 1 and said[0].startswith(
        f"the forward hook (a lambda, {line_of('scales')}) on conv (Conv2d) is not part")
    with pytest.raises(GraphError) as caught:
        check_import(model, graph, weights.apply(model.state_dict()), [(3, 8, 8)])
    assert str(caught.value).endswith(
        f"; the likely cause: forward hooks not part of the imported graph (the forward hook "
        f"(a lambda, {line_of('scales')}) on conv (Conv2d)) change what the model computes "
        f"when called (write what they do into forward)")


def test_a_backward_hook_imports_with_a_warning_that_it_trains_otherwise(line_of):
    torch.manual_seed(0)
    model = HalvesGradient()
    graph, weights, said = imported(model, (3, 8, 8))
    assert check_import(model, graph, weights.apply(model.state_dict()), [(3, 8, 8)]) < 1e-5
    assert summarize(graph).trainable_params == sum(p.numel() for p in model.parameters())
    assert said == [f"the backward hook halve_gradient ({line_of('backward')}) on head "
                    f"(Sequential) changes or reads its gradients while the model trains; the "
                    f"imported graph has no hooks, so it trains without it"]


def test_a_forward_hook_on_a_module_traced_through_is_in_the_graph(imported_round_trip,
                                                                  tmp_path, line_of):
    """The user's own module is called through its hooks while traced: the hook's arithmetic
    is imported as blocks, and the warning says only its side effects are not."""
    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x):
            return self.conv(x)

    class Outer(Net):
        def __init__(self):
            super().__init__()
            self.conv = Inner()
            self.conv.register_forward_hook(lambda m, i, o: o * 2)  # traced

    torch.manual_seed(0)
    graph, _ = imported_round_trip(Outer(), [3, 8, 8], tmp_path, other_shape=[3, 12, 12])
    assert "Rescaling" in [n.type for n in graph.nodes]
    _, _, said = imported(Outer(), (3, 8, 8))
    assert said == [f"the forward hook (a lambda, {line_of('traced')}) on conv (Inner) ran "
                    f"while the model was traced: what it computes from the tensors is in the "
                    f"imported graph, but anything else it does (saving activations, printing) "
                    f"is not"]


def test_a_global_forward_hook_is_named(line_of):
    handle = nn.modules.module.register_module_forward_hook(save_features)
    try:
        _, _, said = imported(Net(), (3, 8, 8))
    finally:
        handle.remove()
    assert said == [f"the global forward hook save_features ({line_of('save')}) runs on every "
                    f"module's call; the imported graph has no hooks, so what it does "
                    f"(changing inputs, outputs or gradients, saving or printing them) is left "
                    f"out"]
