"""Grad-CAM's default block has a feature map with more than one position: a deep network on a
small input (EfficientNet at 28×28) ends in 1×1 maps and a global pooling, whose map is flat."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import load_graph
from layerloom.graph.compile import compile_graph
from layerloom.graph.templates import load_template
from layerloom.runtime.attributions import ExplainError, explain_sample, last_feature_map


def down_to_one(size: int) -> dict:
    """Conv 3×3 (size×size), a stride-2 conv to size/2, a 2×2 conv to 1×1, its ReLU, global
    pooling, Linear."""
    chain = [
        ("image", "Input", {"shape": [1, size, size]}),
        ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        ("relu1", "ReLU", {}),
        ("conv2", "Conv2d", {"out_channels": 8, "kernel_size": 2, "stride": 2}),
        ("relu2", "ReLU", {}),
        ("conv3", "Conv2d", {"out_channels": 8, "kernel_size": size // 2}),
        ("relu3", "ReLU", {}),
        ("pool", "AdaptiveAvgPool2d", {"output_size": 1}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": 3}),
        ("out", "Output", {}),
    ]
    return {"format": "layerloom-graph", "version": 1, "name": "down",
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in chain],
            "edges": [{"source": a[0], "target": b[0]} for a, b in zip(chain, chain[1:])]}


def test_default_block_skips_1x1_maps_and_pooling():
    torch.manual_seed(0)
    model = compile_graph(load_graph(down_to_one(8))).eval()
    x = torch.rand(1, 8, 8)
    # conv3 and relu3 give [8, 1, 1], pool too: the last block with a map is conv2's ReLU
    assert last_feature_map(model, x[None]) == "relu2"
    exp = explain_sample(model, x, method="gradcam")
    assert exp.layer == "relu2" and exp.heatmap.shape == (8, 8)


def test_efficientnet_at_28_pixels_does_not_explain_at_its_pooling():
    model = compile_graph(load_template("efficientnet-b0"),
                          {"width": 0.25, "depth": 0.25, "resolution": 28, "classes": 10}).eval()
    x = torch.rand(1, 3, 28, 28)
    layer = last_feature_map(model, x)
    assert layer != "avgpool"
    caught = []
    handle = dict(model.named_modules())[layer].register_forward_hook(
        lambda _m, _i, out: caught.append(out.shape))
    with torch.no_grad():
        model(x)
    handle.remove()
    assert caught[0][-2] * caught[0][-1] > 1  # a map with more than one position


def test_a_1x1_block_is_refused_with_the_fix():
    torch.manual_seed(0)
    model = compile_graph(load_graph(down_to_one(8))).eval()
    with pytest.raises(ExplainError, match=r"pool gives a 1×1 map.*--layer.*--method ig"):
        explain_sample(model, torch.rand(1, 8, 8), method="gradcam", layer="pool")
    # every convolution ends at 1×1 (a 2×2 input): no Grad-CAM, the message says what to use
    chain = [("image", "Input", {"shape": [1, 2, 2]}),
             ("conv", "Conv2d", {"out_channels": 4, "kernel_size": 2}),
             ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 3}),
             ("out", "Output", {})]
    tiny = compile_graph(load_graph({
        "format": "layerloom-graph", "version": 1, "name": "tiny",
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in chain],
        "edges": [{"source": a[0], "target": b[0]} for a, b in zip(chain, chain[1:])]})).eval()
    with pytest.raises(ExplainError, match=r"every convolution .* 1×1 map.*--method ig"):
        explain_sample(tiny, torch.rand(1, 2, 2), method="gradcam")
