"""Every block of the library, alone in a graph, compiles; its forward pass gives the shape
validation inferred; the generated code computes the same; both script where torch allows."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, validate

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")]


def _unscriptable(spec, params) -> str | None:
    # torch's own nn.MultiheadAttention without biases does not script (its forward tests
    # ``self.in_proj_bias.dtype`` on an attribute TorchScript types as None)
    if spec.type == "MultiheadAttention" and params.get("bias") is False:
        return "torch's MultiheadAttention(bias=False) does not script"
    # torch's parametrizations script, then raise at each call (the TorchScript export
    # traces a model with them: tests/export/test_import_weight_norm.py)
    if params.get("weight_norm") or params.get("spectral_norm"):
        return "torch's weight_norm and spectral_norm parametrizations do not script"
    return None


def test_every_block_compiles_to_its_inferred_shape(block_example, helpers):
    spec, params, shapes = block_example
    graph = helpers.one_block_graph(spec, params, shapes)
    inferred = validate(graph).resolution.top.nodes["block"].shape
    model = compile_graph(graph).eval()
    xs = helpers.sample_inputs(graph)
    with torch.no_grad():
        y = model(*xs)
    assert tuple(y.shape) == (2, *inferred)
    assert sum(p.numel() for p in model.parameters()) == model.layerloom_summary.params
    assert isinstance(model, torch.fx.GraphModule)


def test_every_block_generated_code_matches(block_example, helpers, tmp_path):
    spec, params, shapes = block_example
    graph = helpers.one_block_graph(spec, params, shapes)
    model = compile_graph(graph).eval()
    module = helpers.load_source(generate_code(graph), tmp_path)
    generated = helpers.model_class(module)().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    xs = helpers.sample_inputs(graph, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(generated(*xs), model(*xs))


def test_every_block_scripts(block_example, helpers):
    spec, params, shapes = block_example
    reason = _unscriptable(spec, params)
    if reason:
        pytest.skip(reason)
    graph = helpers.one_block_graph(spec, params, shapes)
    model = compile_graph(graph).eval()
    scripted = torch.jit.script(model)
    xs = helpers.sample_inputs(graph, seed=2)
    with torch.no_grad():
        torch.testing.assert_close(scripted(*xs), model(*xs))
