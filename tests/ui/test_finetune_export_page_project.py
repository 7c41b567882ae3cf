"""The Export page's training project of a design that carries weights starts from them."""

from __future__ import annotations

import io
import zipfile

import pytest
import torch
from safetensors.torch import save_file

from layerloom.graph import compile_graph, dumps_graph, load_graph

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "carried",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}},
              {"id": "hidden", "type": "Linear", "params": {"out_features": 8},
               "trainable": False},
              {"id": "act", "type": "ReLU"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [
        ("x", "hidden"), ("hidden", "act"), ("act", "fc"), ("fc", "y")]],
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # st.cache_resource outside a running app
def test_export_page_project_starts_from_the_design_weights(tmp_path, monkeypatch):
    from layerloom.ui.export_project import _cached
    from layerloom.ui.pages.export import Source

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    torch.manual_seed(21)
    weights = {k: v.contiguous() for k, v in compile_graph(DESIGN).state_dict().items()}
    save_file(weights, str(tmp_path / "weights.safetensors"))
    source = Source("design-carried-test", "carried",
                    graph_json=dumps_graph(load_graph(DESIGN)),
                    weights=str(tmp_path / "weights.safetensors"))
    built = _cached("carried-test-key", source, {"source": "moons"}, {})
    assert any("training starts from the weights of weights.safetensors" in n
               for n in built.notes)
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        initial = torch.load(io.BytesIO(archive.read("carried-project/weights/initial.pt")),
                             weights_only=True)
        code = archive.read("carried-project/model.py").decode()
    assert set(initial) == set(weights)
    for key, tensor in weights.items():
        assert torch.equal(initial[key], tensor), key
    assert "self.hidden.requires_grad_(False)" in code
