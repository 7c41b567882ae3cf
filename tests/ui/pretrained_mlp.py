"""A small design that carries weights, as an imported model does, for the tests of "Replace the
head": Input [2] → Linear 16 → BatchNorm1d → ReLU → Linear 7 (the head) → Output, and its
weights (seeded; the norm's running mean set, as a fresh model's is not)."""

from __future__ import annotations

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "pretrained-mlp",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}},
              {"id": "hidden", "type": "Linear", "params": {"out_features": 16}},
              {"id": "bn", "type": "BatchNorm1d"},
              {"id": "act", "type": "ReLU"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 7}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [
        ("x", "hidden"), ("hidden", "bn"), ("bn", "act"), ("act", "fc"), ("fc", "y")]],
}


def weights() -> dict:
    """DESIGN's weights by name, as its compiled model's state_dict holds them."""
    import torch

    from layerloom.graph import compile_graph

    torch.manual_seed(11)
    model = compile_graph(DESIGN)
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)  # statistics a fresh model would not have
    return {k: v.contiguous() for k, v in model.state_dict().items()}
