"""Reading and writing the format: round trips, unknown keys, malformed files."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError, dumps_graph, load_graph, loads_graph, save_graph


def test_round_trip_is_identity(tmp_path, seed_cnn):
    seed_cnn["nodes"][1]["label"] = "First conv"
    seed_cnn["nodes"][1]["position"] = [220, 15.5]
    seed_cnn["nodes"][2]["repeat"] = "=1"
    seed_cnn["edges"][0]["port"] = 0
    path = tmp_path / "g.json"
    path.write_text(json.dumps(seed_cnn))
    g1 = load_graph(path)
    save_graph(g1, tmp_path / "g2.json")
    g2 = load_graph(tmp_path / "g2.json")
    assert g1 == g2
    assert g2.to_dict() == seed_cnn  # nothing dropped, nothing added


def test_unknown_keys_are_kept(seed_cnn):
    seed_cnn["dataset"] = "mnist-5k"
    seed_cnn["nodes"][0]["color"] = "#ff0000"
    seed_cnn["edges"][0]["note"] = "main path"
    out = json.loads(dumps_graph(loads_graph(json.dumps(seed_cnn))))
    assert out["dataset"] == "mnist-5k"
    assert out["nodes"][0]["color"] == "#ff0000"
    assert out["edges"][0]["note"] == "main path"


def test_composite_blocks_round_trip():
    text = json.dumps({
        "format": "layerloom-graph", "version": 1, "name": "c",
        "blocks": {"Blk": {"description": "d", "params": {"w": 4}, "nodes": [
            {"id": "i", "type": "Input"}, {"id": "o", "type": "Output"}],
            "edges": [{"source": "i", "target": "o"}], "custom": 1}},
        "nodes": [], "edges": []})
    g = loads_graph(text)
    assert g.blocks["Blk"].params == {"w": 4}
    assert json.loads(dumps_graph(g))["blocks"] == json.loads(text)["blocks"]


def test_json_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "layerloom-graph",\n  "version": 1\n  "name": "x"\n}')
    with pytest.raises(GraphError, match=r"bad\.json: line 4, column 3: invalid JSON"):
        load_graph(path)


def test_wrong_format_and_version():
    with pytest.raises(GraphError, match=r"not a LayerLoom graph \(format 'keras'"):
        loads_graph('{"format": "keras", "version": 1}')
    with pytest.raises(GraphError, match=r"format version 3, written by a newer LayerLoom"):
        loads_graph('{"format": "layerloom-graph", "version": 3, "name": "x", "nodes": [], '
                    '"edges": []}')
    with pytest.raises(GraphError, match=r"format version 0 is not supported"):
        loads_graph('{"format": "layerloom-graph", "version": 0, "name": "x", "nodes": [], '
                    '"edges": []}')


def test_missing_keys_and_wrong_types_name_where():
    with pytest.raises(GraphError) as info:
        loads_graph(json.dumps({"format": "layerloom-graph", "version": 1, "name": "x",
                                "nodes": [{"id": "a", "type": "Linear", "params": [1]},
                                          {"type": "ReLU"}, {"id": "c", "type": 5}],
                                "edges": [{"source": "a"}]}))
    text = str(info.value)
    assert "nodes[0] (a): 'params' must be an object, got a list" in text
    assert "nodes[1]: missing key 'id'" in text
    assert "nodes[2] (c): 'type' must be text, got the number 5" in text
    assert "edges[0]: missing key 'target'" in text
    with pytest.raises(GraphError, match="missing key 'edges'"):
        loads_graph('{"format": "layerloom-graph", "version": 1, "name": "x", "nodes": []}')


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(GraphError, match=r"nope\.json: no such file"):
        load_graph(tmp_path / "nope.json")
    bad = tmp_path / "latin.json"
    bad.write_bytes(b'{"name": "\xe9"}')
    with pytest.raises(GraphError, match="not UTF-8"):
        load_graph(bad)


def test_position_and_repeat_types_checked():
    with pytest.raises(GraphError, match=r"'position' must be \[x, y\]"):
        loads_graph(json.dumps({"format": "layerloom-graph", "version": 1, "name": "x",
                                "nodes": [{"id": "a", "type": "ReLU", "position": [1]}],
                                "edges": []}))
    with pytest.raises(GraphError, match=r"'repeat' must be a whole number"):
        loads_graph(json.dumps({"format": "layerloom-graph", "version": 1, "name": "x",
                                "nodes": [{"id": "a", "type": "ReLU", "repeat": 1.5}],
                                "edges": []}))
