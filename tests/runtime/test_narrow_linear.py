"""A Linear with fewer than 16 outputs computes in float32 under CPU bf16 autocast
(runtime/narrow_linear.py): the classifier head, where bfloat16 saves nothing."""

from __future__ import annotations

import copy
from importlib import resources

import torch
from torch import fx, nn

from layerloom.graph import load_graph
from layerloom.runtime import TrainConfig, prepare_model
from layerloom.runtime.narrow_linear import narrow_linear
from layerloom.runtime.rewrite import rewrite_for_speed, routed_calls
from layerloom.runtime.runner import inference_model

from .conftest import noise_images


def head(outputs=10):
    torch.manual_seed(0)
    return fx.symbolic_trace(nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, outputs)))


def routed(model) -> list[str]:
    return [n.args[1].target for n in model.graph.nodes if n.target is narrow_linear]


def test_only_narrow_linears_are_routed_and_only_for_mixed_precision():
    model = head()
    assert rewrite_for_speed(model, "fp32") == 0 and routed(model) == []
    assert rewrite_for_speed(model, "bf16-mixed") == 1 and routed(model) == ["2"]
    assert list(model.state_dict()) == list(head().state_dict())  # the modules stay
    wide = head(outputs=16)
    assert rewrite_for_speed(wide, "bf16-mixed") == 0


def test_in_float32_under_bf16_autocast_and_unchanged_outside_it():
    plain = head()
    model = copy.deepcopy(plain)
    rewrite_for_speed(model, "bf16-mixed")
    x = torch.randn(8, 64)
    assert torch.equal(model(x), plain(x))  # no autocast: the module as it is
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got, theirs = model(x), plain(x)
        hidden = plain.get_submodule("1")(plain.get_submodule("0")(x))  # bfloat16, as autocast
    out = plain.get_submodule("2")
    assert got.dtype == torch.float32 and theirs.dtype == torch.bfloat16
    assert torch.equal(got, nn.functional.linear(hidden.float(), out.weight, out.bias))
    assert (got - theirs.float()).abs().max() < 0.05 * theirs.float().abs().max()
    params = list(model.parameters())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        grads = torch.autograd.grad(model(x).square().sum(), params)
    assert all(g.dtype == torch.float32 and torch.isfinite(g).all() for g in grads)


def test_a_large_input_keeps_bfloat16():
    """Past MAX_CAST values the input's cast costs more than bfloat16's set-up saves."""
    from layerloom.runtime.narrow_linear import MAX_CAST

    model = head()
    rewrite_for_speed(model, "bf16-mixed")
    rows = MAX_CAST // 48  # the head reads 48 features
    small, large = torch.randn(rows, 64), torch.randn(rows + 1, 64)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(small).dtype == torch.float32
        assert model(large).dtype == torch.bfloat16


def test_a_watched_head_runs_as_its_module():
    model = head()
    rewrite_for_speed(model, "bf16-mixed")
    seen = []
    model.get_submodule("2").register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(4, 64))
    assert seen == [torch.bfloat16] and out.dtype == torch.bfloat16


def test_seed_cnn_under_bf16_mixed_routes_its_head_and_hands_on_a_scriptable_model():
    graph = load_graph(str(resources.files("layerloom.assets") / "templates" / "seed-cnn.json"))
    prepared = prepare_model(graph, noise_images(16), TrainConfig(precision="bf16-mixed"))
    assert routed(prepared.module) == ["fc"]
    assert routed_calls(prepared.module) >= 1
    model = inference_model(graph, prepared, None)
    assert routed_calls(model) == 0
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(torch.jit.script(model)(x), prepared.module.eval()(x), atol=1e-5)
    fp32 = prepare_model(graph, noise_images(16), TrainConfig()).module
    assert routed(fp32) == []
