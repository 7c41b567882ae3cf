"""Every registered block: inferred shape and params equal a real forward pass's."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import all_blocks, get_block
from layerloom.graph.resolve import resolve
from layerloom.graph.io import parse_graph

CASES = [
    pytest.param(spec, params, shapes, id=f"{spec.type}-{i}")
    for spec in all_blocks() if spec.type != "Input"
    for i, (params, shapes) in enumerate(spec.examples)
]


def test_every_block_has_examples_and_help():
    missing = [s.type for s in all_blocks() if s.type != "Input" and not s.examples]
    assert missing == []
    assert all(s.help and s.category for s in all_blocks())


def _one_block_graph(type_name, params, shapes):
    dtype = "int64" if get_block(type_name).input_dtype == "int" else "float32"
    nodes = [{"id": f"x{i}", "type": "Input", "params": {"shape": list(s), "dtype": dtype}}
             for i, s in enumerate(shapes)]
    nodes += [{"id": "block", "type": type_name, "params": params}, {"id": "out", "type": "Output"}]
    edges = [{"source": f"x{i}", "target": "block"} for i in range(len(shapes))]
    edges.append({"source": "block", "target": "out"})
    return parse_graph({"format": "layerloom-graph", "version": 1, "name": "one",
                        "nodes": nodes, "edges": edges})


def _sample(shape, type_name):
    if get_block(type_name).input_dtype == "int":
        return torch.randint(0, 5, (2, *shape))
    return torch.randn(2, *shape)


@pytest.mark.parametrize("spec,params,shapes", CASES)
def test_inferred_shape_and_params_match_forward_pass(spec, params, shapes):
    res = resolve(_one_block_graph(spec.type, params, shapes))
    assert res.errors == [], res.errors
    info = res.top.nodes["block"]
    layer = info.copies[0]
    module = spec.build(layer.params, layer.in_shapes)
    module.eval()
    xs = [_sample(s, spec.type) for s in shapes]
    with torch.no_grad():
        if spec.type in ("Add", "Multiply", "Concat"):
            y = module(xs)
        else:
            y = module(*xs)
    if info.ports is not None:  # several outputs (Chunk, Split): a tensor per port
        assert [tuple(t.shape[1:]) for t in y] == info.port_shapes
        y = y[0]
    assert tuple(y.shape[1:]) == info.shape
    assert layer.n_params == sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("size", [7, 8, 13, 28])
def test_conv_pool_shapes_for_odd_sizes(size):
    """Odd and even sizes, strides and paddings, compared with a real forward pass."""
    from layerloom.graph import get_block

    for type_name, params in [("Conv2d", {"out_channels": 3, "kernel_size": 3, "stride": 2}),
                              ("Conv2d", {"out_channels": 3, "kernel_size": 4, "padding": 1}),
                              ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
                              ("AvgPool2d", {"kernel_size": 2, "padding": 1}),
                              ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 3,
                                                   "stride": 2, "padding": 1})]:
        spec = get_block(type_name)
        res = resolve(_one_block_graph(type_name, params, [(2, size, size)]))
        assert res.errors == []
        layer = res.top.nodes["block"].copies[0]
        with torch.no_grad():
            y = spec.build(layer.params, layer.in_shapes)(torch.randn(1, 2, size, size))
        assert tuple(y.shape[1:]) == layer.shape, (type_name, size)


def test_macs_of_linear_and_conv():
    res = resolve(_one_block_graph("Conv2d", {"out_channels": 8, "kernel_size": 3}, [(4, 10, 10)]))
    layer = res.top.nodes["block"].copies[0]
    assert layer.shape == (8, 8, 8)
    assert layer.macs == 8 * 8 * 8 * 4 * 3 * 3
    res = resolve(_one_block_graph("Linear", {"out_features": 5}, [(7,)]))
    assert res.top.nodes["block"].copies[0].macs == 35
