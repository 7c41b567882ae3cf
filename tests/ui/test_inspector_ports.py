"""The inspector's facts line shows every output of a node with several (a Chunk, a Split, a
composite with several Output nodes), each named with its shape; a node with one output keeps
``Output <shape>``. AppTest with the fake canvas."""

from __future__ import annotations


from layerloom.graph import load_graph
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test, shown

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "ports-inspected",
    "blocks": {"TwoWay": {"params": {}, "nodes": [
        {"id": "inp", "type": "Input"},
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 3, "kernel_size": 1}},
        {"id": "main", "type": "Output"},
        {"id": "flat", "type": "Flatten"},
        {"id": "side_out", "type": "Output"}],
        "edges": [{"source": "inp", "target": "conv"}, {"source": "conv", "target": "main"},
                  {"source": "inp", "target": "flat"},
                  {"source": "flat", "target": "side_out"}]}},
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [7, 4, 4]}},
              {"id": "halves", "type": "Chunk", "params": {"chunks": 3}},
              {"id": "pieces", "type": "Split", "params": {"sizes": [1, 2]}},
              {"id": "two", "type": "TwoWay"},
              {"id": "cat", "type": "Concat"},
              {"id": "y", "type": "Output"}, {"id": "z", "type": "Output"}],
    "edges": [{"source": "x", "target": "halves"},
              {"source": "halves", "target": "pieces", "source_port": 1},
              {"source": "halves", "target": "two", "source_port": 0},
              {"source": "pieces", "target": "cat", "source_port": 1},
              {"source": "two", "target": "cat", "source_port": "main"},
              {"source": "cat", "target": "y"},
              {"source": "two", "target": "z", "source_port": "side_out"}]}


def facts_line(at) -> str:
    lines = [shown(m.value) for m in at.markdown if "params ·" in shown(m.value)]
    assert len(lines) == 1, lines
    return lines[0]


def select(at, canvas, node_id: str) -> str:
    canvas.send("select", selected=[node_id])
    at.run()
    assert not at.exception, at.exception
    return facts_line(at)


def test_every_output_is_shown_with_its_shape(home, canvas):
    pid = ProjectStore().create(load_graph(DESIGN))
    at = app_test()
    at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception

    # torch.chunk of 7 channels into 3: 3, 3 and 1
    assert select(at, canvas, "halves").startswith(
        "3 outputs 0 **3×4×4**, 1 **3×4×4**, 2 **1×4×4** · **0** params · **0** MACs")
    assert select(at, canvas, "pieces").startswith("2 outputs 0 **1×4×4**, 1 **2×4×4** · ")
    # a composite with two Output nodes: each named by its id
    line = select(at, canvas, "two")
    assert line.startswith("2 outputs main **3×4×4**, side_out **48** · **12** params")
    # a node with one output keeps the one shape
    assert select(at, canvas, "x").startswith("Output **7×4×4** · **0** params")
