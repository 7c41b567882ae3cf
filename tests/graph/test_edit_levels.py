"""Level access and the small node edits of graph/edit.py."""

from __future__ import annotations

import pytest

from layerloom.graph import GraphError, load_graph, summarize, validate
from layerloom.graph import edit


def test_get_and_set_a_level_round_trip(seed_cnn):
    g = load_graph(seed_cnn)
    level = edit.get_level(g)
    assert [n["id"] for n in level["nodes"]] == [n["id"] for n in seed_cnn["nodes"]]
    level["nodes"].append({"id": "extra", "type": "Linear", "params": {"out_features": 3},
                           "position": [10, 20]})
    level["edges"].append({"source": "fc", "target": "extra"})
    g2 = edit.set_level(g, (), level)
    assert g2.node("extra").position == [10, 20]
    assert len(g.nodes) == 10  # unchanged
    # the new node is on no path to an Output: a warning, not an error
    assert [str(p) for p in validate(g2).warnings] == [
        "extra: not on a path from an Input to an Output (it leads to no Output); it is left "
        "out of the model: wire it in, or delete it"]


def test_set_level_inside_a_block_and_bad_paths():
    g = load_graph("assets/templates/resnet-mini.json")
    level = edit.get_level(g, ("BasicBlock", "Shortcut"))
    assert [n["id"] for n in level["nodes"]] == ["x", "conv", "bn", "out"]
    level["nodes"][1]["params"]["kernel_size"] = 3
    level["nodes"][1]["params"]["padding"] = 1
    g2 = edit.set_level(g, ("BasicBlock", "Shortcut"), level)
    assert g2.blocks["Shortcut"].nodes[1].params["kernel_size"] == 3
    assert summarize(g2).params > summarize(g).params
    with pytest.raises(GraphError, match="no block 'Nope' in this graph"):
        edit.get_level(g, ("Nope",))
    with pytest.raises(GraphError, match=r"nodes\[0\] \(a\): missing key 'type'"):
        edit.set_level(g, (), {"nodes": [{"id": "a"}], "edges": []})


def test_set_param_and_remove_it(seed_cnn):
    g = load_graph(seed_cnn)
    g2 = edit.set_param(g, (), "conv2", "kernel_size", 20)
    errors = [str(p) for p in validate(g2).errors]
    assert len(errors) == 1
    assert errors[0].startswith("conv2.kernel_size: kernel 20×20 is larger than its 13×13 input")
    g3 = edit.set_param(g2, (), "conv2", "kernel_size")
    assert "kernel_size" not in g3.node("conv2").params
    assert validate(g3).ok


def test_update_node_label_and_repeat(seed_cnn):
    g = edit.update_node(load_graph(seed_cnn), (), "relu1", label="first activation", repeat=3)
    assert g.node("relu1").label == "first activation"
    assert g.node("relu1").repeat == 3
    g = edit.update_node(g, (), "relu1", label="", repeat=1)
    assert g.node("relu1").label is None and g.node("relu1").repeat is None
    with pytest.raises(GraphError, match="nope: no node 'nope' here"):
        edit.update_node(g, (), "nope", label="x")


def test_rename_node_rewires_its_edges(seed_cnn):
    g = edit.rename_node(load_graph(seed_cnn), (), "conv1", "stem")
    assert ("image", "stem") in {(e.source, e.target) for e in g.edges}
    assert ("stem", "relu1") in {(e.source, e.target) for e in g.edges}
    assert summarize(g).params == 34_826
    # the block that has the id named, and a free one offered
    with pytest.raises(GraphError, match=r"stem: there is already a block 'relu1' \(a ReLU\): "
                       r"an id names one block; pick another, such as 'relu3'$"):
        edit.rename_node(g, (), "stem", "relu1")
    with pytest.raises(GraphError, match="id 'a b' is not allowed"):
        edit.rename_node(g, (), "stem", "a b")


def test_rename_block_renames_its_users():
    g = edit.rename_block(load_graph("assets/templates/resnet-mini.json"), "Shortcut", "Proj")
    assert "Proj" in g.blocks and "Shortcut" not in g.blocks
    assert any(n.type == "Proj" for n in g.blocks["BasicBlock"].nodes)
    assert validate(g).ok
    with pytest.raises(GraphError, match="already a block named 'BasicBlock'"):
        edit.rename_block(g, "Proj", "BasicBlock")


def test_variables(seed_cnn):
    g = edit.set_variable(load_graph(seed_cnn), "width", 0.5)
    assert summarize(g).params < 34_826
    g = edit.set_variable(g, "depth", "=width * 4")
    assert validate(g).resolution.variables["depth"] == 2.0
    with pytest.raises(GraphError, match="variable 'depth' must be a number"):
        edit.set_variable(g, "depth", "two")
    assert "depth" not in edit.set_variable(g, "depth").variables


def test_layout_puts_each_node_after_its_sources():
    g = load_graph("assets/templates/resnet-mini.json")
    block = g.blocks["BasicBlock"]
    pos = edit.layout(block.nodes, block.edges)
    for e in block.edges:
        assert pos[e.source][0] < pos[e.target][0]
    assert pos["x"] == [0, 0]
    laid = edit.auto_layout(g, ("BasicBlock",))
    assert {n.id: n.position for n in laid.blocks["BasicBlock"].nodes} == pos


def test_locate_walks_into_blocks_and_copies():
    g = load_graph("assets/templates/resnet-mini.json")
    assert edit.locate(g, "stem") == ((), "stem")
    assert edit.locate(g, "stage1_rest/0/conv1") == (("BasicBlock",), "conv1")
    assert edit.locate(g, "stage2/shortcut/conv") == (("BasicBlock", "Shortcut"), "conv")
    assert edit.locate(g, "gone") is None
    assert edit.locate(g, "") is None


def test_set_info_of_the_design_and_of_a_block(seed_cnn):
    g = edit.set_info(load_graph(seed_cnn), name=" digits ", description="")
    assert (g.name, g.description) == ("digits", None)
    with pytest.raises(GraphError, match="the design needs a name"):
        edit.set_info(g, name=" ")
    g = load_graph("assets/templates/resnet-mini.json")
    g2 = edit.set_info(g, description="two convs", block="BasicBlock")
    assert g2.blocks["BasicBlock"].description == "two convs"
    assert g2.description == g.description
    with pytest.raises(GraphError, match="no block 'Nope' in this graph"):
        edit.set_info(g, description="x", block="Nope")


def test_block_params_declared_changed_and_removed():
    g = load_graph("assets/templates/resnet-mini.json")
    g2 = edit.set_block_param(g, "BasicBlock", "channels", 8)
    assert g2.blocks["BasicBlock"].params["channels"] == 8
    assert summarize(g2).params == summarize(g).params  # every use sets its own channels
    g3 = edit.set_block_param(g2, "BasicBlock", "expand", "=width * 2")
    assert g3.blocks["BasicBlock"].params["expand"] == "=width * 2"
    assert "stride" not in edit.set_block_param(g3, "BasicBlock", "stride").blocks[
        "BasicBlock"].params
    with pytest.raises(GraphError, match="default must be a number or an \"=expression\", "
                                         "got 'wide'"):
        edit.set_block_param(g, "BasicBlock", "channels", "wide")
    with pytest.raises(GraphError, match="block param name '2x' must be a name"):
        edit.set_block_param(g, "BasicBlock", "2x", 1)


def test_node_info_at_the_top_and_inside_a_block():
    report = validate(load_graph("assets/templates/resnet-mini.json"))
    assert edit.node_info(report, (), "stem").shape == (16, 28, 28)
    inner = edit.node_info(report, ("BasicBlock",), "conv1")
    assert inner.path == "stage1/conv1" and inner.copies[0].params["in_channels"] == 16
    assert edit.node_info(report, (), "nope") is None
