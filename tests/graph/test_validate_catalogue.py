"""A catalogue of broken graphs, one fault each: the node named and the message matched."""

from __future__ import annotations

import pytest

from layerloom.graph import GraphError, parse_graph, summarize, validate


def _errors(graph):
    return validate(parse_graph(graph)).errors


def _one_error(graph, node, pattern, param=None):
    import re

    errors = _errors(graph)
    matching = [e for e in errors if e.node == node and re.search(pattern, e.message)]
    assert matching, f"expected {node}: /{pattern}/ in {[str(e) for e in errors]}"
    if param is not None:
        assert matching[0].param == param
    return errors


def test_valid_seed_cnn_has_no_problems(seed_cnn):
    report = validate(parse_graph(seed_cnn))
    assert report.ok and report.warnings == []
    assert summarize(report).params == 34_826


def test_shape_mismatch_names_block_and_source(seed_cnn):
    seed_cnn["edges"] = [e for e in seed_cnn["edges"] if e["target"] not in ("conv2", "fc")]
    seed_cnn["edges"] += [{"source": "flat", "target": "conv2"}, {"source": "pool2",
                                                                   "target": "fc"}]
    seed_cnn["edges"] = [e for e in seed_cnn["edges"] if e["target"] != "flat"]
    seed_cnn["edges"].append({"source": "pool1", "target": "flat"})
    errors = _errors(seed_cnn)
    assert any(str(e) == "conv2: Conv2d needs a [C, H, W] input, but flat gives [5408]"
               for e in errors), [str(e) for e in errors]


def test_spec_message_for_flat_into_conv(make_chain):
    g = make_chain(("x", "Input", {"shape": [1600]}), ("flat", "Flatten"),
                   ("conv2", "Conv2d", {"out_channels": 8}), ("y", "Output"))
    errors = _errors(g)
    assert [str(e) for e in errors] == [
        "conv2: Conv2d needs a [C, H, W] input, but flat gives [1600]"]


def test_cycle_names_the_nodes_on_the_loop(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("a", "Linear"), ("b", "ReLU"),
                   ("c", "Linear"), ("y", "Output"))
    g["edges"].append({"source": "c", "target": "a"})
    errors = _errors(g)
    cyc = [e for e in errors if "cycle" in e.message]
    assert len(cyc) == 1
    assert cyc[0].message.startswith("cycle: ")
    for name in ("a", "b", "c"):
        assert name in cyc[0].message
    assert "a → b → c → a" in cyc[0].message


def test_unconnected_required_input(make_chain):
    # a node fed by nothing that the model needs (it leads to the Output) is an error
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["edges"] = [e for e in g["edges"] if e["target"] != "fc"]
    report = validate(parse_graph(g))
    # the one output wired to nothing is named as where the wire comes from
    assert [str(e) for e in report.errors] == [
        "fc: Linear has no input: connect a block to it (x's output is wired to nothing: wire it "
        "here)"]


def test_node_with_no_edges_is_a_warning_only(make_chain):
    # the format: a node on no path from an Input to an Output is a warning, and is left out
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["nodes"].append({"id": "lonely", "type": "ReLU"})
    report = validate(parse_graph(g))
    assert report.ok and report.infos == []
    assert [str(w) for w in report.warnings] == [
        "lonely: not on a path from an Input to an Output (no Input feeds it); it is left out "
        "of the model: wire it in, or delete it"]
    assert summarize(report).params == 4 * 10 + 10


def test_too_many_inputs(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("act", "ReLU"), ("y", "Output"))
    g["nodes"].insert(1, {"id": "x2", "type": "Input", "params": {"shape": [4]}})
    g["edges"].append({"source": "x2", "target": "act"})
    _one_error(g, "act", r"ReLU takes 1 input, but 2 are connected \(from x, x2\)")


def test_missing_input_and_output():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "nodes": [{"id": "fc", "type": "Linear"}], "edges": []}
    messages = [str(e) for e in _errors(g)]
    assert any("no Input node" in m for m in messages)
    assert any("no Output node" in m for m in messages)


def test_duplicate_ids(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["nodes"].append({"id": "fc", "type": "ReLU"})
    _one_error(g, "fc", r"duplicate id 'fc'")


def test_edge_to_unknown_node(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["edges"].append({"source": "fc", "target": "ghost"})
    errors = _one_error(g, "fc", r"no node 'ghost'")
    assert any(e.edge == "fc → ghost" for e in errors)


@pytest.mark.parametrize("wrong,suggestion", [("Conv2D", "Conv2d"), ("linear", "Linear"),
                                              ("BatchNorm", "BatchNorm1d"),
                                              ("Maxpool2d", "MaxPool2d")])
def test_unknown_type_suggests_nearest(make_chain, wrong, suggestion):
    g = make_chain(("x", "Input", {"shape": [3, 8, 8]}), ("c", wrong), ("y", "Output"))
    _one_error(g, "c", rf"unknown block type '{wrong}' \(did you mean .*'{suggestion}'")


def test_param_of_wrong_type(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}),
                   ("fc", "Linear", {"out_features": "ten"}), ("y", "Output"))
    _one_error(g, "fc", r"out_features expected a whole number, got 'ten'", "out_features")


def test_param_out_of_range(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("d", "Dropout", {"p": 1.5}), ("y", "Output"))
    _one_error(g, "d", r"p must be at most 1, got 1.5", "p")


def test_float_for_integer_param_rejected(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 2.5}),
                   ("y", "Output"))
    _one_error(g, "fc", r"expected a whole number, got 2.5", "out_features")


def test_unknown_param_suggests(make_chain):
    g = make_chain(("x", "Input", {"shape": [1, 8, 8]}),
                   ("c", "Conv2d", {"kernel": 3}), ("y", "Output"))
    _one_error(g, "c", r"Conv2d has no param 'kernel' \(did you mean 'kernel_size'\?\)", "kernel")


def test_inferred_param_must_agree(make_chain):
    g = make_chain(("x", "Input", {"shape": [3, 8, 8]}),
                   ("c", "Conv2d", {"in_channels": 1, "out_channels": 4}), ("y", "Output"))
    _one_error(g, "c", r"in_channels is 1, but the input gives 3", "in_channels")
    g["nodes"][1]["params"]["in_channels"] = 3
    assert _errors(g) == []


def test_expression_error_names_node_and_param(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}),
                   ("fc", "Linear", {"out_features": "=round(32*widht)"}), ("y", "Output"),
                   variables={"width": 1})
    _one_error(g, "fc", r"unknown name 'widht'", "out_features")


def test_kernel_larger_than_input(make_chain):
    g = make_chain(("x", "Input", {"shape": [1, 3, 3]}),
                   ("c", "Conv2d", {"out_channels": 4, "kernel_size": 5}), ("y", "Output"))
    _one_error(g, "c", r"kernel 5×5 is larger than its 3×3 input", "kernel_size")


def test_a_dilation_too_large_for_the_input_is_blamed_on_the_dilation(make_chain):
    g = make_chain(("x", "Input", {"shape": [1, 28, 28]}),
                   ("c", "Conv2d", {"out_channels": 4, "kernel_size": 3, "dilation": 20}),
                   ("y", "Output"))
    _one_error(g, "c", r"^kernel 3×3 at dilation 20×20 spans 41×41, which is larger than its "
                       r"28×28 input \(padding 0×0\); use a smaller dilation or kernel_size",
               "dilation")


def test_add_of_mismatched_shapes():
    g = {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [3, 8, 8]}},
        {"id": "a", "type": "Conv2d", "params": {"out_channels": 64, "padding": 1}},
        {"id": "b", "type": "Conv2d", "params": {"out_channels": 32, "padding": 1}},
        {"id": "add", "type": "Add"}, {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "a"}, {"source": "x", "target": "b"},
                  {"source": "a", "target": "add"}, {"source": "b", "target": "add"},
                  {"source": "add", "target": "y"}]}
    _one_error(g, "add", r"Add of \[64, 8, 8\] and \[32, 8, 8\]")


def test_composite_that_uses_itself():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "blocks": {"Loop": {"params": {}, "nodes": [
             {"id": "i", "type": "Input"}, {"id": "inner", "type": "Other"},
             {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "inner"}, {"source": "inner", "target": "o"}]},
             "Other": {"params": {}, "nodes": [
                 {"id": "i", "type": "Input"}, {"id": "l", "type": "Loop"},
                 {"id": "o", "type": "Output"}],
                 "edges": [{"source": "i", "target": "l"}, {"source": "l", "target": "o"}]}},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                   {"id": "b", "type": "Loop"}, {"id": "y", "type": "Output"}],
         "edges": [{"source": "x", "target": "b"}, {"source": "b", "target": "y"}]}
    errors = _errors(g)
    assert any("block 'Loop' uses itself (Loop → Other → Loop)" in e.message for e in errors)
    assert any(e.node == "b" and "cannot be used" in e.message for e in errors)


def test_composite_param_not_declared():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "blocks": {"Blk": {"params": {"width": 8}, "nodes": [
             {"id": "i", "type": "Input"},
             {"id": "fc", "type": "Linear", "params": {"out_features": "=width"}},
             {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "fc"}, {"source": "fc", "target": "o"}]}},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                   {"id": "b", "type": "Blk", "params": {"widht": 3}},
                   {"id": "y", "type": "Output"}],
         "edges": [{"source": "x", "target": "b"}, {"source": "b", "target": "y"}]}
    _one_error(g, "b", r"block 'Blk' has no param 'widht'", "widht")


def test_error_inside_composite_names_path():
    g = {"format": "layerloom-graph", "version": 1, "name": "t",
         "blocks": {"Blk": {"params": {}, "nodes": [
             {"id": "i", "type": "Input"},
             {"id": "c", "type": "Conv2d", "params": {"out_channels": 4}},
             {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "c"}, {"source": "c", "target": "o"}]}},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [16]}},
                   {"id": "b", "type": "Blk"}, {"id": "y", "type": "Output"}],
         "edges": [{"source": "x", "target": "b"}, {"source": "b", "target": "y"}]}
    _one_error(g, "b/c", r"Conv2d needs a \[C, H, W\] input, but i gives \[16\]")


def test_input_with_incoming_edge(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["nodes"].append({"id": "x2", "type": "Input", "params": {"shape": [4]}})
    g["edges"].append({"source": "fc", "target": "x2"})
    _one_error(g, "x2", r"an Input cannot have incoming edges \(from fc\)")


def test_token_ids_into_linear_and_floats_into_embedding(make_chain):
    g = make_chain(("tok", "Input", {"shape": [12], "dtype": "int64"}), ("fc", "Linear"),
                   ("y", "Output"))
    _one_error(g, "fc", r"Linear needs float values, but tok gives int64 token ids")
    g = make_chain(("x", "Input", {"shape": [12]}), ("emb", "Embedding"), ("y", "Output"))
    _one_error(g, "emb", r"Embedding needs int64 token ids, but x gives float32")


def test_port_by_unknown_name():
    g = {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
        {"id": "q", "type": "Input", "params": {"shape": [5, 8]}},
        {"id": "att", "type": "MultiheadAttention", "params": {"num_heads": 2}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "q", "target": "att", "port": "quey"},
                  {"source": "att", "target": "y"}]}
    _one_error(g, "att", r"no input port 'quey' \(ports: query, key, value, key_padding_mask\)")


def test_mixed_named_and_unnamed_ports():
    g = {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
        {"id": "q", "type": "Input", "params": {"shape": [5, 8]}},
        {"id": "att", "type": "MultiheadAttention", "params": {"num_heads": 2}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "q", "target": "att", "port": "query"},
                  {"source": "q", "target": "att"}, {"source": "att", "target": "y"}]}
    _one_error(g, "att", r"either all name their port or none")


def test_repeat_of_multi_input_block_rejected():
    g = {"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "add", "type": "Add", "repeat": 2}, {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "add"}, {"source": "x", "target": "add"},
                  {"source": "add", "target": "y"}]}
    _one_error(g, "add", r"repeat 2 needs a block with one input", "repeat")


def test_all_problems_reported_at_once(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 0}),
                   ("d", "Dropout", {"p": 2}), ("y", "Output"))
    g["nodes"].append({"id": "c", "type": "Conv2D"})
    errors = _errors(g)
    assert {e.node for e in errors} >= {"fc", "c"}


def test_softmax_before_output_is_a_warning(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("sm", "Softmax"),
                   ("y", "Output"))
    report = validate(parse_graph(g))
    assert report.ok
    assert [w.node for w in report.warnings] == ["sm"]
    assert "cross-entropy applies it already" in report.warnings[0].message


def test_dangling_node_is_a_warning_and_left_out(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("fc", "Linear"), ("y", "Output"))
    g["nodes"].append({"id": "extra", "type": "Linear", "params": {"out_features": 100}})
    g["edges"].append({"source": "fc", "target": "extra"})
    report = validate(parse_graph(g))
    assert report.ok
    assert [w.node for w in report.warnings] == ["extra"]
    assert "left out of the model" in report.warnings[0].message
    assert summarize(report).params == 4 * 10 + 10


def test_huge_tensor_warning(make_chain):
    g = make_chain(("x", "Input", {"shape": [32, 64, 64]}),
                   ("up", "Upsample", {"scale_factor": 64}), ("y", "Output"))
    report = validate(parse_graph(g))
    assert any(w.node == "up" and "GiB per sample" in w.message for w in report.warnings)


def test_summary_of_invalid_graph_raises_with_node(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("c", "Conv2d"), ("y", "Output"))
    with pytest.raises(GraphError, match=r"c: Conv2d needs a \[C, H, W\] input") as info:
        summarize(parse_graph(g))
    assert info.value.node == "c"


def test_bad_id_characters(make_chain):
    g = make_chain(("x", "Input", {"shape": [4]}), ("my layer!", "ReLU"), ("y", "Output"))
    _one_error(g, "my layer!", r"is not allowed: use 1–64 letters, digits")
