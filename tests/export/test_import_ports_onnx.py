"""An ONNX ``Split`` (what a Chunk exports to) imports back as one Chunk block whose outputs feed
the branches through ``source_port``, with the same outputs as the file."""

from __future__ import annotations

import pytest

from layerloom.graph import load_graph
from layerloom.graph.export import export_model

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "split-trip",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [6, 5, 5]}},
              {"id": "pieces", "type": "Split", "params": {"sizes": [2, 4]}},
              {"id": "conv", "type": "Conv2d", "params": {"out_channels": 3, "kernel_size": 1}},
              {"id": "cat", "type": "Concat"},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": "x", "target": "pieces"},
              {"source": "pieces", "target": "conv", "source_port": "1"},
              {"source": "pieces", "target": "cat", "source_port": 0},
              {"source": "conv", "target": "cat"}, {"source": "cat", "target": "y"}],
}


def test_onnx_split_imports_back_as_one_block_with_several_outputs(tmp_path):
    from layerloom.graph.import_torch.onnx_in import import_onnx

    export_model(load_graph(DESIGN), "onnx", tmp_path / "m.onnx")
    graph, _state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-5
    [split] = [n for n in graph.nodes if n.type in ("Chunk", "Split")]
    assert split.type == "Split" and split.params == {"sizes": [2, 4], "dim": 0}
    assert "Slice" not in {n.type for n in graph.nodes}
    ports = sorted((e.source_port, graph.node(e.target).type) for e in graph.edges
                   if e.source == split.id)
    assert ports == [(0, "Concat"), (1, "Conv2d")]
