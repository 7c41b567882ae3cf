"""A model imported from PyTorch carries no canvas positions: the canvas lays it out fitted to
its pane, as it does a hand-written design or an ONNX file. The importer placed each block in
a column 220 px from the last, rows 110 px apart: a ResNet-50 opened as one row 38,000 px wide,
every wire too short to show its shape, and the blocks of a column (a bottleneck's path and its
downsample) drawn over one another."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from layerloom.graph.import_torch import import_torch
from layerloom.graph.io import save_graph

sys.path.insert(0, str(Path(__file__).parents[1] / "ui"))
from imported_resnet import SmallResNet  # noqa: E402


def test_an_imported_model_leaves_its_blocks_for_the_canvas_to_place(tmp_path):
    graph, _ = import_torch(SmallResNet().eval(), (3, 16, 16))
    assert len(graph.nodes) > 30
    assert [n.id for n in graph.nodes if n.position is not None] == []
    path = tmp_path / "resnet.json"
    save_graph(graph, path)
    written = json.loads(path.read_text())
    assert [n["id"] for n in written["nodes"] if "position" in n] == []
