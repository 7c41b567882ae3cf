"""A design file whose edges pick outputs with ``source_port`` (by index and by name) validates
from disk and trains with LayerLoom's own trainer: an epoch on the digits learns well beyond
chance."""

from __future__ import annotations

import json

import torch

from layerloom.graph import load_graph, validate

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "digits-chunk",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
              {"id": "stem", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3,
                                                          "padding": 1}},
              {"id": "split", "type": "Chunk", "params": {"chunks": "=2"}},
              {"id": "branch", "type": "Conv2d", "params": {"out_channels": 4,
                                                            "kernel_size": 3, "padding": 1}},
              {"id": "relu", "type": "ReLU"},
              {"id": "cat", "type": "Concat"},
              {"id": "flat", "type": "Flatten"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": "x", "target": "stem"}, {"source": "stem", "target": "split"},
              {"source": "split", "target": "cat", "source_port": 0},
              {"source": "split", "target": "branch", "source_port": "1"},
              {"source": "branch", "target": "relu"}, {"source": "relu", "target": "cat"},
              {"source": "cat", "target": "flat"}, {"source": "flat", "target": "fc"},
              {"source": "fc", "target": "y"}],
}


def test_a_design_file_with_source_ports_validates_and_trains(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    from layerloom.runtime.runner import train

    path = tmp_path / "design.json"
    path.write_text(json.dumps(DESIGN), encoding="utf-8")
    report = validate(load_graph(path))
    assert report.ok and report.errors == []
    assert report.resolution.top.nodes["branch"].in_shapes == [(4, 8, 8)]
    torch.manual_seed(0)
    result = train(path, "digits", {"epochs": 1, "batch_size": 64, "seed": 0})
    assert result.status == "completed"
    assert result.history and result.history[0]["train_loss"] > 0
    assert result.metrics["test_accuracy"] > 0.3  # one epoch learns well beyond chance (0.1)
    assert result.model.branch.weight.shape == (4, 4, 3, 3)  # fed by the second half
