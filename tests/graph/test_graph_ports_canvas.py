"""What the canvas is told about blocks with several outputs: the catalog marks them (a
composite's output names included), annotations give each output's name and shape, and an edge
with ``source_port`` carries that output's shape under its own key."""

from __future__ import annotations

from layerloom.graph import edit, load_graph, validate


def _graph():
    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "ports",
        "blocks": {"TwoWay": {"params": {}, "nodes": [
            {"id": "inp", "type": "Input"}, {"id": "main", "type": "Output"},
            {"id": "flat", "type": "Flatten"}, {"id": "side", "type": "Output"}],
            "edges": [{"source": "inp", "target": "main"}, {"source": "inp", "target": "flat"},
                      {"source": "flat", "target": "side"}]}},
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [6, 2, 2]}},
                  {"id": "split", "type": "Split", "params": {"sizes": [2, 4]}},
                  {"id": "add", "type": "Add"},
                  {"id": "two", "type": "TwoWay"},
                  {"id": "y", "type": "Output"}, {"id": "z", "type": "Output"}],
        "edges": [{"source": "x", "target": "split"},
                  {"source": "split", "target": "add", "source_port": 0},
                  {"source": "split", "target": "add", "source_port": "0"},
                  {"source": "split", "target": "two", "source_port": 1},
                  {"source": "two", "target": "y", "source_port": "side"},
                  {"source": "two", "target": "z"}]})


def test_catalog_marks_blocks_with_several_outputs():
    entries = {e["type"]: e for e in edit.catalog(_graph())}
    assert entries["Chunk"]["outputs"] == "several" and entries["Split"]["outputs"] == "several"
    assert entries["Conv2d"]["outputs"] == "one"
    assert entries["TwoWay"]["outputs"] == "several"
    assert entries["TwoWay"]["output_names"] == ["main", "side"]


def test_annotations_give_each_output_and_each_wire_its_shape():
    graph = _graph()
    report = validate(graph)
    assert report.errors == []
    ann = edit.annotations(report)
    assert ann["nodes"]["split"]["ports"] == ["0", "1"]
    assert ann["nodes"]["split"]["output_shapes"] == [[2, 2, 2], [4, 2, 2]]
    assert ann["nodes"]["two"]["output_shapes"] == [[4, 2, 2], [16]]
    assert "ports" not in ann["nodes"]["add"]
    assert ann["edges"]["split:1->two"] == {"shape": [4, 2, 2]}
    assert ann["edges"]["split:0->add"] == {"shape": [2, 2, 2]}
    assert ann["edges"]["two:side->y"] == {"shape": [16]}
    assert ann["edges"]["two->z"] == {"shape": [4, 2, 2]}  # no source_port: the first
    assert ann["edges"]["x->split"] == {"shape": [6, 2, 2]}
