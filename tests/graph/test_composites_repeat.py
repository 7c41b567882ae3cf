"""Composite blocks, repeat (including 0) and the ids summaries give to what they expand to."""

from __future__ import annotations

from layerloom.graph import parse_graph, summarize, validate

from ..conftest import residual  # noqa: TID252

RESIDUAL = residual(channels=8, size=6)

PER_BLOCK = 8 * 8 * 9 + 2 * 8  # conv without bias + BN


def test_repeat_copies_each_with_own_params():
    s = summarize(parse_graph(RESIDUAL))
    assert s.params == 2 * PER_BLOCK
    assert s.outputs == [[8, 6, 6]]
    ids = [n.id for n in s.nodes]
    assert ids == ["img", "stage/0/c1", "stage/0/bn", "stage/0/act", "stage/0/add",
                   "stage/1/c1", "stage/1/bn", "stage/1/act", "stage/1/add", "y"]


def test_repeat_zero_skips_node_and_variable_scales_depth():
    s = summarize(parse_graph(RESIDUAL), variables={"depth": 3, "skip": 0})
    assert s.params == 3 * PER_BLOCK
    assert "head" not in [n.id for n in s.nodes]
    assert not any(n.id.endswith("/add") for n in s.nodes)
    assert summarize(parse_graph(RESIDUAL), variables={"depth": 0}).params == 0


def test_single_copy_composite_ids_use_slash():
    g = parse_graph({**RESIDUAL, "variables": {"depth": 1, "skip": 1}})
    s = summarize(g)
    assert [n.id for n in s.nodes][1:4] == ["stage/c1", "stage/bn", "stage/act"]
    assert s.macs == 6 * 6 * 8 * 8 * 9


def test_composite_port_by_name_and_shape_inferred_where_used():
    g = {"format": "layerloom-graph", "version": 1, "name": "gate",
         "blocks": {"Gate": {"params": {}, "nodes": [
             {"id": "feat", "type": "Input"}, {"id": "mask", "type": "Input"},
             {"id": "mul", "type": "Multiply"}, {"id": "o", "type": "Output"}],
             "edges": [{"source": "feat", "target": "mul"}, {"source": "mask", "target": "mul"},
                       {"source": "mul", "target": "o"}]}},
         "nodes": [{"id": "a", "type": "Input", "params": {"shape": [4, 5, 5]}},
                   {"id": "b", "type": "Input", "params": {"shape": [4, 1, 1]}},
                   {"id": "g", "type": "Gate"}, {"id": "y", "type": "Output"}],
         "edges": [{"source": "b", "target": "g", "port": "mask"},
                   {"source": "a", "target": "g", "port": "feat"},
                   {"source": "g", "target": "y"}]}
    report = validate(parse_graph(g))
    assert report.ok, report.errors
    assert report.resolution.top.nodes["g"].shape == (4, 5, 5)
    assert report.resolution.top.nodes["g"].inputs == ["a", "b"]


def test_nested_composites_and_block_param_defaults_from_variables():
    g = {"format": "layerloom-graph", "version": 1, "name": "nest",
         "variables": {"w": 3},
         "blocks": {
             "Inner": {"params": {"n": "=w * 2"}, "nodes": [
                 {"id": "i", "type": "Input"},
                 {"id": "fc", "type": "Linear", "params": {"out_features": "=n"}},
                 {"id": "o", "type": "Output"}],
                 "edges": [{"source": "i", "target": "fc"}, {"source": "fc", "target": "o"}]},
             "Outer": {"params": {"m": 5}, "nodes": [
                 {"id": "i", "type": "Input"},
                 {"id": "a", "type": "Inner"},
                 {"id": "b", "type": "Inner", "params": {"n": "=m"}},
                 {"id": "o", "type": "Output"}],
                 "edges": [{"source": "i", "target": "a"}, {"source": "a", "target": "b"},
                           {"source": "b", "target": "o"}]}},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}},
                   {"id": "blk", "type": "Outer"}, {"id": "y", "type": "Output"}],
         "edges": [{"source": "x", "target": "blk"}, {"source": "blk", "target": "y"}]}
    s = summarize(parse_graph(g))
    assert [n.id for n in s.nodes] == ["x", "blk/a/fc", "blk/b/fc", "y"]
    assert [n.output_shape for n in s.nodes] == [[2], [6], [5], [5]]
    assert s.params == (2 * 6 + 6) + (6 * 5 + 5)


def test_in_shape_expression_makes_depthwise_conv():
    g = {"format": "layerloom-graph", "version": 1, "name": "dw", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [12, 9, 9]}},
        {"id": "dw", "type": "Conv2d", "params": {"out_channels": "=in_shape[0]",
                                                  "groups": "=in_shape[0]", "kernel_size": 3}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "dw"}, {"source": "dw", "target": "y"}]}
    s = summarize(parse_graph(g))
    assert s.params == 12 * 9 + 12
    assert s.macs == 7 * 7 * 12 * 9
