"""Every template compiles to a PyTorch model that runs: output shape and parameter count as the
summary says, gradients reaching every weight, and names taken from the node ids."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import summarize
from layerloom.graph.templates import load_template, template_names

try:
    from layerloom.graph import compile_graph
except ImportError as exc:  # written in parallel (issue 3); the templates do not depend on it
    compile_graph = None
    WHY = f"compile_graph is not available yet: {exc}"
else:
    WHY = ""

pytestmark = pytest.mark.skipif(compile_graph is None, reason=WHY)

# The two ImageNet-sized templates run at a lower resolution where the graph allows it:
# the same weights, a quicker test.
SMALLER = {"efficientnet-b0": {"resolution": 64}}


def batch(summary, graph) -> list[torch.Tensor]:
    torch.manual_seed(0)
    inputs = [n for n in graph.nodes if n.type == "Input"]
    out = []
    for node, shape in zip(inputs, summary.inputs):
        if node.params.get("dtype") == "int64":
            vocab = graph.variables.get("vocab", 10)
            out.append(torch.randint(0, vocab, (2, *shape)))
        else:
            out.append(torch.randn(2, *shape))
    return out


@pytest.mark.parametrize("name", template_names())
def test_template_compiles_and_runs_a_batch_of_two(name):
    graph = load_template(name)
    variables = SMALLER.get(name)
    summary = summarize(graph, variables)
    model = compile_graph(graph, variables).eval()
    assert sum(p.numel() for p in model.parameters()) == summary.params
    with torch.no_grad():
        out = model(*batch(summary, graph))
    assert list(out.shape) == [2, *summary.outputs[0]]
    assert torch.isfinite(out).all()
    if graph.extra["task"] == "reconstruction":
        # a linear last layer: standardised pixels run below 0, which a Sigmoid could not reach
        assert graph.nodes[-2].type != "Sigmoid"


@pytest.mark.parametrize("name", [n for n in template_names()
                                  if n not in ("resnet18", "efficientnet-b0")])
def test_template_trains_every_weight(name):
    """One backward pass reaches every parameter: no branch is left dangling."""
    graph = load_template(name)
    summary = summarize(graph)
    model = compile_graph(graph).train()
    out = model(*batch(summary, graph))
    out.float().pow(2).mean().backward()
    missing = [k for k, p in model.named_parameters() if p.grad is None]
    assert missing == []


def test_efficientnet_compiles_at_b1_with_torchvision_count():
    model = compile_graph(load_template("efficientnet-b0"),
                          {"depth": 1.1, "resolution": 32})
    assert sum(p.numel() for p in model.parameters()) == 7_794_184


def test_resnet18_state_dict_reads_like_its_graph():
    model = compile_graph(load_template("resnet18"))
    keys = list(model.state_dict())
    assert len(keys) == 122  # as torchvision's resnet18, num_batches_tracked included
    assert keys[:2] == ["conv1.weight", "bn1.weight"]
    assert "layer2_0.shortcut.conv.weight" in keys
    assert not any(k.startswith("layer1_0.shortcut") for k in keys)  # repeat 0: no weights
    assert keys[-2:] == ["fc.weight", "fc.bias"]
