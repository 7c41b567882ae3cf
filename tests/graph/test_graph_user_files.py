"""Hand-written design files: what a user's slips get told (unknown keys, variable order and
names, unused blocks, a composite's params, files that are no JSON text)."""

import json

import pytest

from layerloom.graph import GraphError, load_graph, validate
from layerloom.graph.edit import set_variable
from layerloom.graph.io import decode_graph_bytes


def mlp(**changes) -> dict:
    graph = {
        "format": "layerloom-graph", "version": 1, "name": "tab-mlp",
        "variables": {"hidden": 32},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [8]}},
                  {"id": "h1", "type": "Linear", "params": {"out_features": "=hidden"}},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": "x", "target": "h1"}, {"source": "h1", "target": "out"}],
    }
    graph.update(changes)
    return graph


def warnings(graph: dict) -> list[str]:
    return [str(p) for p in validate(graph).warnings]


def errors(graph: dict) -> list[str]:
    return [str(p) for p in validate(graph).errors]


def test_a_misspelt_node_key_is_named_with_the_key_it_was_meant_to_be():
    graph = mlp()
    graph["nodes"][1]["param"] = graph["nodes"][1].pop("params")
    report = validate(graph)
    assert report.ok  # the default out_features is used: the warning is what tells
    assert [str(w) for w in report.warnings] == [
        "h1: unknown key 'param' (did you mean 'params'?): it is kept in the file, but nothing "
        "reads it"]


def test_unknown_keys_on_the_graph_an_edge_and_inside_a_block_are_warned_of():
    graph = mlp(variable={"hidden": 8}, author="me")
    graph["edges"][0]["sourcePort"] = 1
    graph["nodes"][1]["repeats"] = 3
    graph["blocks"] = {"B": {"nodes": [{"id": "i", "type": "Input"},
                                       {"id": "o", "type": "Output", "trainabel": False}],
                             "edges": [{"source": "i", "target": "o"}], "param": {}}}
    got = warnings(graph)
    assert "graph: unknown key 'variable' (did you mean 'variables'?): it is kept in the file, " \
           "but nothing reads it" in got
    assert any(w.startswith("graph: unknown key 'author' (a graph has: format, version") for w in got)
    assert "h1: edge x → h1: unknown key 'sourcePort' (did you mean 'source_port'?): it is " \
           "kept in the file, but nothing reads it" in got
    assert any(w.startswith("h1: unknown key 'repeats' (did you mean 'repeat'?)") for w in got)
    assert any(w.startswith("graph: block 'B', node 'o': unknown key 'trainabel' (did you mean "
                            "'trainable'?)") for w in got)
    assert any(w.startswith("graph: block 'B': unknown key 'param' (did you mean 'params'?)")
               for w in got)


def test_the_keys_layerloom_writes_itself_are_not_warned_of():
    graph = mlp(task="classification", dataset="iris", description="d")
    graph["nodes"][1]["trainable"] = False
    graph["nodes"][1]["label"] = "hidden"
    graph["nodes"][1]["position"] = [0, 0]
    assert warnings(graph) == []


def test_a_variable_that_uses_one_listed_after_it_says_so_and_how_to_fix_it():
    graph = mlp(variables={"hidden": "=base*2", "base": 16})
    assert errors(graph) == [
        "graph.hidden: variable 'hidden' = '=base*2' uses 'base', which is listed after it: a "
        "variable may use only the variables listed before it; move 'base' above 'hidden'"]
    assert validate(mlp(variables={"base": 16, "hidden": "=base*2"})).ok


def test_two_variables_that_use_each_other_are_named_as_a_loop():
    graph = mlp(variables={"hidden": 4, "a": "=b+1", "b": "=a+1"})
    assert errors(graph) == [
        "graph.a: variable 'a' = '=b+1' uses 'b', which is listed after it: a variable may use "
        "only the variables listed before it; 'b' in turn uses 'a': the two refer to each "
        "other"]
    assert errors(mlp(variables={"hidden": "=hidden+1"})) == [
        "graph.hidden: variable 'hidden' = '=hidden+1' uses itself"]


@pytest.mark.parametrize("name, says", [
    ("class", "variable name 'class' is a Python keyword"),
    ("my var", "variable name 'my var' cannot be used in an expression"),
    ("round", "variable name 'round' is taken: in an expression it means a function"),
    ("in_shape", "variable name 'in_shape' is taken"),
])
def test_a_variable_name_no_expression_could_use_is_an_error_at_the_variable(name, says):
    problems = validate(mlp(variables={"hidden": 8, name: 32})).errors
    assert [(p.node, p.param) for p in problems] == [(None, name)]
    assert problems[0].message.startswith(says)
    with pytest.raises(GraphError, match=says):
        set_variable(load_graph(mlp()), name, 3)


def test_an_unused_block_with_an_unknown_type_is_warned_of_before_anyone_uses_it():
    graph = mlp(blocks={"Unused": {"nodes": [{"id": "i", "type": "Input"},
                                             {"id": "l", "type": "Dense"},
                                             {"id": "o", "type": "Output"}],
                                   "edges": [{"source": "i", "target": "l"},
                                             {"source": "l", "target": "o"}]}})
    report = validate(graph)
    assert report.ok
    assert [str(w) for w in report.warnings] == [
        "graph: block 'Unused' (not used yet), node 'l': unknown block type 'Dense' (did you "
        "mean 'Linear'?)"]


def test_a_composite_param_of_the_wrong_kind_is_blamed_on_the_node_that_sets_it():
    graph = mlp(blocks={"A": {"params": {"h": 8},
                              "nodes": [{"id": "i", "type": "Input"},
                                        {"id": "l", "type": "Linear",
                                         "params": {"out_features": "=h"}},
                                        {"id": "o", "type": "Output"}],
                              "edges": [{"source": "i", "target": "l"},
                                        {"source": "l", "target": "o"}]}})
    graph["nodes"][1] = {"id": "h1", "type": "A", "params": {"h": "8"}}
    problems = validate(graph).errors
    assert [(p.node, p.param) for p in problems] == [("h1", "h")]
    assert problems[0].message == "block 'A' param 'h' must be a number or an \"=expression\", " \
                                  "got '8' (text, in quotes): write 8 without quotes"
    graph["nodes"][1]["params"]["h"] = "=hidden // 2"
    assert validate(graph).ok


@pytest.mark.parametrize("data, says", [
    (b"\x08\x08\x12\x07pytorch\x1a\x062.13.0:\xbd\xa6\x14\n6\n\x0eonnx::Conv",
     "this is an ONNX model, not a graph file (JSON text): use `layerloom import-onnx`"),
    ("{}".encode("utf-16"), "this is UTF-16 text, not a graph file (JSON text): save the file "
                            "as UTF-8"),
    (b"\x89HDF\r\n\x1a\n", "this is an HDF5 file (a Keras .h5 model?)"),
    (b"PK\x03\x04\x14\x00", "this is a zip archive (a PyTorch .pt/.pth checkpoint"),
    (b"\x80\x04\x95\x10\x00", "this is a Python pickle (a PyTorch checkpoint?), which is never "
                              "unpickled"),
    (len(b'{"w":{}}').to_bytes(8, "little") + b'{"w":{}}' + b"\x00" * 4,
     "this is a safetensors weights file, not a graph file (JSON text)"),
    ('{\n  "name": "caf\u00e9"\n}'.encode("latin-1"),
     "line 2, column 15: not UTF-8 text (invalid continuation byte); save the file as UTF-8"),
])
def test_a_file_that_is_no_utf8_json_says_what_it_is(tmp_path, data, says):
    with pytest.raises(GraphError) as err:
        decode_graph_bytes(data, "net.json")
    assert says in str(err.value) and err.value.unreadable
    path = tmp_path / "net.json"
    path.write_bytes(data)
    with pytest.raises(GraphError, match="net.json: "):
        load_graph(path)


def test_utf8_json_still_reads():
    text = json.dumps(mlp(description="café"))
    assert decode_graph_bytes(text.encode("utf-8")) == text
