"""Nodes with several outputs: Chunk and Split, composites with several Output nodes, and the
edges' ``source_port`` that picks one (by index or by name), with errors naming node and edge."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from layerloom.graph import GraphError, dumps_graph, load_graph, loads_graph, summarize, validate


def _graph(nodes, edges, blocks=None, variables=None) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "ports",
            "variables": variables or {}, "blocks": blocks or {}, "nodes": nodes, "edges": edges}


def _chunk_graph(source_ports=(0, 1), chunk_params=None) -> dict:
    """x [6, 4, 4] → Chunk → two ReLUs fed from two of its outputs → Concat → Output."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [6, 4, 4]}},
             {"id": "split", "type": "Chunk", "params": chunk_params or {"chunks": 2}},
             {"id": "a", "type": "ReLU"}, {"id": "b", "type": "Conv2d",
                                           "params": {"out_channels": 5, "kernel_size": 1}},
             {"id": "cat", "type": "Concat"}, {"id": "y", "type": "Output"}]
    edges = [{"source": "x", "target": "split"},
             {"source": "split", "target": "a", "source_port": source_ports[0]},
             {"source": "split", "target": "b", "source_port": source_ports[1]},
             {"source": "a", "target": "cat"}, {"source": "b", "target": "cat"},
             {"source": "cat", "target": "y"}]
    return _graph(nodes, edges)


def test_chunk_gives_a_shape_per_port_and_edges_pick_by_index_or_name():
    for ports in ((0, 1), ("0", "1"), (0, "1")):
        report = validate(_chunk_graph(ports))
        assert report.errors == [], report.errors
        top = report.resolution.top
        split = top.nodes["split"]
        assert split.ports == ["0", "1"]
        assert split.port_shapes == [(3, 4, 4), (3, 4, 4)]
        assert top.nodes["a"].in_shapes == [(3, 4, 4)]
        assert top.nodes["b"].shape == (5, 4, 4)
        assert top.nodes["a"].input_ports == [0] and top.nodes["b"].input_ports == [1]
        assert top.nodes["cat"].shape == (8, 4, 4)


def test_chunk_mirrors_torch_chunk_with_uneven_sizes_and_warns_when_fewer():
    report = validate(_chunk_graph((0, 2), {"chunks": 4}))  # 6 channels: pieces of 2, 2, 2
    assert report.errors == []
    split = report.resolution.top.nodes["split"]
    assert split.port_shapes == [(2, 4, 4)] * 3
    assert any("Chunk gives 3 outputs, not 4" in w.message and w.node == "split"
               for w in report.warnings)
    report = validate(_chunk_graph((0, 1), {"chunks": 3, "dim": -1}))  # width 4: 2 and 2
    assert report.resolution.top.nodes["split"].port_shapes == [(6, 4, 2), (6, 4, 2)]


def test_split_by_sections_and_by_size_and_expressions_in_params():
    g = _chunk_graph((0, 1), {"sizes": [2, 4]})
    g["nodes"][1]["type"] = "Split"
    assert validate(g).resolution.top.nodes["split"].port_shapes == [(2, 4, 4), (4, 4, 4)]
    g["nodes"][1]["params"] = {"sizes": 4}  # a split size: 4 then the 2 left
    assert validate(g).resolution.top.nodes["split"].port_shapes == [(4, 4, 4), (2, 4, 4)]
    g["nodes"][1]["params"] = {"sizes": ["=in_shape[0] - k", "=k"]}
    g["variables"] = {"k": 1}
    assert validate(g).resolution.top.nodes["split"].port_shapes == [(5, 4, 4), (1, 4, 4)]
    c = _chunk_graph((0, 1), {"chunks": "=in_shape[0] // 3"})
    assert validate(c).resolution.top.nodes["split"].port_shapes == [(3, 4, 4)] * 2


def test_split_sections_that_do_not_cover_the_dimension_are_an_error():
    g = _chunk_graph((0, 1), {"sizes": [2, 2]})
    g["nodes"][1]["type"] = "Split"
    with pytest.raises(GraphError, match=r"split\.sizes: sizes \[2, 2\] add up to 4, but "
                                         r"dimension 0 of \[6, 4, 4\] has 6"):
        validate(g).raise_if_invalid()


@pytest.mark.parametrize("port,message", [
    (5, r"b: edge split:5 → b: source_port 5 is out of range: split \(Chunk\) has 2 outputs "
        r"\(0–1: 0, 1\)"),
    (-1, r"source_port -1 is out of range"),
    ("left", r"b: edge split:left → b: split \(Chunk\) has no output 'left'; its outputs are "
             r"0, 1"),
])
def test_a_bad_source_port_names_the_node_and_the_edge(port, message):
    report = validate(_chunk_graph((0, port)))
    errors = [e for e in report.errors if e.node == "b"]
    assert len(errors) == 1 and errors[0].edge == f"split:{port} → b"
    with pytest.raises(GraphError, match=message):
        report.raise_if_invalid()


def test_source_port_on_a_block_with_one_output_is_an_error():
    g = _chunk_graph()
    g["edges"][-1]["source_port"] = 0  # cat → y
    report = validate(g)
    [error] = report.errors
    assert error.node == "y" and error.edge == "cat:0 → y"
    assert "cat (Concat) has one output" in error.message and "remove its source_port" in \
        error.message


def test_source_port_of_the_wrong_type_is_refused_when_read():
    g = _chunk_graph()
    g["edges"][1]["source_port"] = [0]
    with pytest.raises(GraphError, match=r"edges\[1\] \(split → a\): 'source_port' must be an "
                                         r"index or an output's name, got a list"):
        loads_graph(json.dumps(g))


def test_repeat_of_a_block_with_several_outputs_is_an_error():
    g = _chunk_graph()
    g["nodes"][1]["repeat"] = 2
    with pytest.raises(GraphError, match=r"split\.repeat: repeat 2 needs a block with one "
                                         r"output; this one has 2"):
        validate(g).raise_if_invalid()


def _two_output_block() -> dict:
    return {"TwoWay": {"params": {"c": 4}, "nodes": [
        {"id": "inp", "type": "Input"},
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": "=c", "kernel_size": 1}},
        {"id": "main", "type": "Output"},
        {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"id": "flat", "type": "Flatten"},
        {"id": "side", "type": "Output"}],
        "edges": [{"source": "inp", "target": "conv"}, {"source": "conv", "target": "main"},
                  {"source": "inp", "target": "pool"}, {"source": "pool", "target": "flat"},
                  {"source": "flat", "target": "side"}]}}


def test_a_composite_with_several_outputs_has_ports_named_by_its_output_nodes():
    for side in ("side", 1):
        g = _graph([{"id": "x", "type": "Input", "params": {"shape": [3, 8, 8]}},
                    {"id": "two", "type": "TwoWay", "params": {"c": 6}},
                    {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                    {"id": "y1", "type": "Output"}, {"id": "y2", "type": "Output"}],
                   [{"source": "x", "target": "two"},
                    {"source": "two", "target": "fc", "source_port": side},
                    {"source": "two", "target": "y1", "source_port": "main"},
                    {"source": "fc", "target": "y2"}], _two_output_block())
        report = validate(g)
        assert report.errors == [], report.errors
        two = report.resolution.top.nodes["two"]
        assert two.ports == ["main", "side"]
        assert two.port_shapes == [(6, 8, 8), (3,)]
        summary = summarize(g)
        assert summary.outputs == [[6, 8, 8], [2]]
        assert summary.params == 3 * 6 + 6 + 3 * 2 + 2


def test_a_composite_port_name_that_is_not_an_output_is_an_error():
    g = _graph([{"id": "x", "type": "Input", "params": {"shape": [3, 8, 8]}},
                {"id": "two", "type": "TwoWay"}, {"id": "y", "type": "Output"}],
               [{"source": "x", "target": "two"},
                {"source": "two", "target": "y", "source_port": "sid"}], _two_output_block())
    with pytest.raises(GraphError, match=r"y: edge two:sid → y: two \(TwoWay\) has no output "
                                         r"'sid' \(did you mean 'side'\?\); its outputs are "
                                         r"main, side"):
        validate(g).raise_if_invalid()


def test_a_composite_with_one_output_works_as_before_and_one_with_none_is_refused():
    blocks = _two_output_block()
    blocks["TwoWay"]["nodes"] = [n for n in blocks["TwoWay"]["nodes"] if n["id"] != "side"]
    blocks["TwoWay"]["edges"] = [e for e in blocks["TwoWay"]["edges"] if e["target"] != "side"]
    g = _graph([{"id": "x", "type": "Input", "params": {"shape": [3, 8, 8]}},
                {"id": "two", "type": "TwoWay"}, {"id": "y", "type": "Output"}],
               [{"source": "x", "target": "two"}, {"source": "two", "target": "y"}], blocks)
    report = validate(g)
    assert report.errors == [] and report.resolution.top.nodes["two"].ports is None
    assert report.resolution.top.nodes["two"].shape == (4, 8, 8)
    g["edges"][1]["source_port"] = "main"
    with pytest.raises(GraphError, match="two \\(TwoWay\\) has one output"):
        validate(g).raise_if_invalid()
    blocks["TwoWay"]["nodes"] = [n for n in blocks["TwoWay"]["nodes"] if n["type"] != "Output"]
    with pytest.raises(GraphError, match="block 'TwoWay' needs at least one Output node"):
        validate(g).raise_if_invalid()


def test_source_port_is_written_back_and_files_without_it_are_byte_identical(tmp_path):
    g = loads_graph(json.dumps(_chunk_graph((0, "1"))))
    text = dumps_graph(g)
    assert '"source_port": "1"' in text and '"source_port": 0' in text
    assert dumps_graph(loads_graph(text)) == text
    assert [e.source_port for e in g.edges][:3] == [None, 0, "1"]
    folder = Path(str(resources.files("layerloom.assets") / "templates"))
    paths = sorted(folder.glob("*.json"))
    assert paths
    for path in paths:
        original = path.read_text(encoding="utf-8")
        written = dumps_graph(load_graph(path))
        assert "source_port" not in written
        assert json.loads(written) == json.loads(original)
        assert dumps_graph(loads_graph(written)) == written  # load/save: same bytes
