"""Layers with ``spectral_norm`` (``torch.nn.utils.parametrizations.spectral_norm``, or the older
``torch.nn.utils.spectral_norm`` hook), as GAN discriminators write them (SNGAN's and
BigGAN's convolutions and Linear head), import as their block with ``spectral_norm: true``: the
weight, u and v the block's own. Outputs and the parameter count are the model's; in training
mode each call's power iteration updates u and v and gives the model's outputs, call after call
(the parametrisation), and a training step changes both alike; the design exports as code,
TorchScript and ONNX that match. The hook imports with a warning that its power iteration takes
its steps in the other order. Before, each stopped at "its weight is reparametrised by
spectral_norm ..., which no block keeps"."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

from layerloom.graph import GraphError, compile_graph, summarize, validate
from layerloom.graph.codegen import generate_code
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.training import import_warnings
from layerloom.graph.io import load_graph

SN = parametrizations.spectral_norm


def hooked(module: nn.Module, **kwargs) -> nn.Module:
    with warnings.catch_warnings():  # deprecated in favour of parametrizations.spectral_norm
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.spectral_norm(module, **kwargs)


class Discriminator(nn.Module):
    """SNGAN's CIFAR discriminator, in small: every convolution and the head spectral-normed."""

    def __init__(self, ch=8):
        super().__init__()
        self.main = nn.Sequential(
            SN(nn.Conv2d(3, ch, 3, 1, 1)), nn.LeakyReLU(0.1),
            SN(nn.Conv2d(ch, ch, 4, 2, 1)), nn.LeakyReLU(0.1),
            SN(nn.Conv2d(ch, 2 * ch, 3, 1, 1)), nn.LeakyReLU(0.1))
        self.linear = SN(nn.Linear(2 * ch * 4 * 4, 1))

    def forward(self, x):
        return self.linear(torch.flatten(self.main(x), start_dim=1))


class Generator1d(nn.Module):
    """A spectral-normed transposed convolution (its dim is 1) and a Conv1d."""

    def __init__(self):
        super().__init__()
        self.up = SN(nn.ConvTranspose1d(4, 6, 4, stride=2, padding=1))
        self.out = SN(nn.Conv1d(6, 2, 3, padding=1))

    def forward(self, x):
        return self.out(torch.relu(self.up(x)))


@pytest.mark.parametrize("cls, shape, normed", [(Discriminator, (3, 8, 8), 4),
                                                (Generator1d, (4, 7), 2)],
                         ids=["sngan", "transposed"])
def test_spectral_normed_layers_import_and_train_as_the_model(cls, shape, normed, tmp_path):
    torch.manual_seed(0)
    model = cls().eval()
    graph, weights = import_torch(model, shape)
    assert sum(bool(n.params.get("spectral_norm")) for n in graph.nodes) == normed
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.abs().max() > 1e-2 and (got - want).abs().max() < 1e-5

    # training mode: each call runs one step of power iteration on u and v; three calls, then
    # an SGD step, give the model's outputs each time
    model.train()
    compiled.train()
    optimizers = [torch.optim.SGD(net.parameters(), lr=0.5) for net in (model, compiled)]
    for _ in range(3):
        want, got = model(x), compiled(x)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    for net, optimizer in zip((model, compiled), optimizers):
        net(x).square().mean().backward()
        optimizer.step()
    model.eval()
    compiled.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-4, rtol=1e-4)
    after = {k: v for k, v in compiled.state_dict().items() if k.endswith("._u")}
    assert after and any(not torch.equal(v, state[k]) for k, v in after.items())

    assert "SpectralNorm(nn." in generate_code(graph)
    state = {k: v.clone() for k, v in compiled.state_dict().items()}
    for fmt, name in (("python", "m.py"), ("torchscript", "m.pt"), ("onnx", "m.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


class HookedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = hooked(nn.Linear(6, 16))
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_the_hook_imports_with_its_weight_u_and_v_and_says_how_training_differs():
    torch.manual_seed(0)
    model = HookedHead().eval()
    with import_warnings() as said:
        graph, weights = import_torch(model, (6,))
    assert graph.nodes[1].params.get("spectral_norm") is True
    assert any(line.startswith("warning: fc1: the torch.nn.utils.spectral_norm hook imports")
               and "updates v before u" in line for line in said)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    x = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-6, rtol=1e-5)


class TwoIterations(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = SN(nn.Linear(6, 3), n_power_iterations=2)

    def forward(self, x):
        return self.fc(x)


def test_other_power_iterations_are_refused_naming_them():
    with pytest.raises(GraphError, match=r"its spectral_norm has n_power_iterations=2, and the "
                                         r"block's is torch's default"):
        import_torch(TwoIterations().eval(), (6,))


def test_weight_norm_and_spectral_norm_together_are_a_validation_error():
    graph = load_graph({"format": "layerloom-graph", "version": 1, "name": "both", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2, "weight_norm": True,
                                                  "spectral_norm": True}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]})
    report = validate(graph)
    assert not report.ok
    assert any("weight_norm and spectral_norm both reparametrise the weight" in str(p)
               and "fc" in str(p) for p in report.errors)
