"""group / promote / ungroup: the model stays the same model, and bad selections are named."""

from __future__ import annotations

import pytest

from layerloom.graph import GraphError, load_graph, summarize, validate
from layerloom.graph import edit


def _residual() -> dict:
    """x → a → b → add ← x (a skip connection), add → y."""
    return {
        "format": "layerloom-graph", "version": 1, "name": "res",
        "nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [8]}, "position": [0, 0]},
            {"id": "a", "type": "Linear", "params": {"out_features": 8}, "position": [200, 0]},
            {"id": "b", "type": "ReLU", "position": [400, 0]},
            {"id": "add", "type": "Add", "position": [600, 0]},
            {"id": "y", "type": "Output", "position": [800, 0]},
        ],
        "edges": [{"source": "x", "target": "a"}, {"source": "a", "target": "b"},
                  {"source": "b", "target": "add"}, {"source": "x", "target": "add"},
                  {"source": "add", "target": "y"}],
    }


def test_group_keeps_the_model_and_ungroup_restores_it(seed_cnn):
    g = load_graph(seed_cnn)
    g2, node_id = edit.group(g, ["conv1", "relu1", "pool1"], name="Stage")
    assert node_id == "stage1"
    assert [n.id for n in g2.nodes][:3] == ["image", "stage1", "conv2"]
    block = g2.blocks["Stage"]
    assert [n.type for n in block.nodes] == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Output"]
    assert {(e.source, e.target) for e in g2.edges} >= {("image", "stage1"), ("stage1", "conv2")}
    assert summarize(g2).params == 34_826
    assert [n.id for n in summarize(g2).nodes][1:4] == ["stage1/conv1", "stage1/relu1",
                                                      "stage1/pool1"]
    assert g.blocks == {}  # the argument is untouched

    g3, ids = edit.ungroup(g2, node_id)
    assert ids == ["conv1", "relu1", "pool1"]
    assert [n.id for n in g3.nodes] == [n["id"] for n in seed_cnn["nodes"]]
    assert summarize(g3).params == 34_826
    assert "Stage" in g3.blocks  # the definition stays for reuse


def test_group_with_promoted_params_and_two_inputs():
    g = load_graph(_residual())
    g2, node_id = edit.group(g, ["a", "b", "add"], name="Residual",
                             promote=[("a", "out_features")])
    block = g2.blocks["Residual"]
    assert block.params == {"out_features": 8}
    inner_a = next(n for n in block.nodes if n.id == "a")
    assert inner_a.params == {"out_features": "=out_features"}
    # one outside source (x) feeds two inner nodes: a single port
    assert block.input_ids() == ["x"]
    assert validate(g2).ok
    assert summarize(g2).params == summarize(g).params == 8 * 8 + 8


def test_group_names_its_ports_when_several_sources_feed_it():
    g = load_graph(_residual())
    g2, node_id = edit.group(g, ["b", "add"], name="Tail")
    assert g2.blocks["Tail"].input_ids() == ["x1", "x2"]
    into = [(e.source, e.port) for e in g2.edges if e.target == node_id]
    assert into == [("a", "x1"), ("x", "x2")]
    assert validate(g2).ok
    g3, _ = edit.ungroup(g2, node_id)
    assert sorted((e.source, e.target) for e in g3.edges) == sorted(
        (e["source"], e["target"]) for e in _residual()["edges"])


def test_group_refuses_two_outputs():
    data = _residual()
    data["edges"][3] = {"source": "a", "target": "add"}  # a and b both feed add
    with pytest.raises(GraphError, match="a block has one output, but a and b both feed blocks "
                                         "outside the selection"):
        edit.group(load_graph(data), ["a", "b"])


def test_group_refuses_a_cycle_through_an_outside_node():
    g = load_graph(_residual())
    with pytest.raises(GraphError, match="cycle through b: it is fed by the selection"):
        edit.group(g, ["a", "add"])


def test_group_refuses_inputs_and_outputs():
    g = load_graph(_residual())
    with pytest.raises(GraphError, match="x is an Input: a block's inputs and output come from"):
        edit.group(g, ["x", "a"])


def test_group_refuses_a_taken_or_bad_name():
    g = load_graph(_residual())
    with pytest.raises(GraphError, match="already a block named 'Linear'"):
        edit.group(g, ["a"], name="Linear")
    with pytest.raises(GraphError, match="must start with a letter"):
        edit.group(g, ["a"], name="2nd block")


def test_promote_refuses_a_list_and_in_shape():
    g = load_graph(_residual())
    g.node("a").params["out_features"] = "=in_shape[0] * 2"
    with pytest.raises(GraphError, match="uses in_shape, which a block param cannot see"):
        edit.group(g, ["a", "b"], promote=[("a", "out_features")])


def test_group_inside_a_block_passes_its_params_on():
    g = load_graph("assets/templates/resnet-mini.json")
    before = summarize(g).params
    g2, node_id = edit.group(g, ["conv1", "bn1", "relu1"], path=("BasicBlock",),
                             name="ConvBnRelu")
    inner = g2.blocks["ConvBnRelu"]
    assert inner.params == g.blocks["BasicBlock"].params  # channels, stride
    user = next(n for n in g2.blocks["BasicBlock"].nodes if n.id == node_id)
    assert user.params == {"channels": "=channels", "stride": "=stride"}
    assert summarize(g2).params == before


def test_ungroup_writes_the_params_in():
    g = load_graph("assets/templates/resnet-mini.json")
    g.blocks["BasicBlock"].nodes[1].params["out_channels"] = "=channels * 2"
    g2, ids = edit.ungroup(g, "stage2")  # channels '=round(32*width)', stride 2
    conv1 = g2.node(ids[0])
    assert ids[0] == "stage2_conv1" or ids[0] == "conv1"
    assert conv1.params["out_channels"] == "=(round(32*width)) * 2"
    assert conv1.params["stride"] == 2
    shortcut = next(n for n in g2.nodes if n.type == "Shortcut")
    assert shortcut.params == {"channels": "=round(32*width)", "stride": 2}
    assert validate(g2).ok
    assert summarize(g2).params == summarize(g).params


def test_ungroup_refuses_a_repeated_block_and_a_primitive():
    g = load_graph("assets/templates/resnet-mini.json")
    with pytest.raises(GraphError, match=r"stage1_rest.repeat: the block is repeated \(=depth - 1\)"):
        edit.ungroup(g, "stage1_rest")
    with pytest.raises(GraphError, match="stem: Conv2d is not a composite block"):
        edit.ungroup(g, "stem")
