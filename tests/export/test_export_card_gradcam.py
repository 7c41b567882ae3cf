"""The bundle's model card shows Grad-CAM pictures for image classifiers (issue 14)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from layerloom.graph import load_graph
from layerloom.runtime import RunStore, train
from layerloom.runtime.export import export_run


def chain(name, shape, layers):
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape}}]
    nodes += [{"id": i, "type": t, "params": p} for i, t, p in layers]
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": name,
                       "nodes": nodes, "edges": edges})


def test_bundle_card_carries_gradcam_pictures_for_an_image_classifier(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    cnn = chain("tiny-cnn", [1, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "padding": 1}),
                                        ("act", "ReLU", {}), ("flat", "Flatten", {}),
                                        ("fc", "Linear", {"out_features": 10})])
    run_id = train(cnn, "digits", {"epochs": 1}, store=store).run_id
    out = tmp_path / "b.zip"
    export_run(run_id, "bundle", out, db=store)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        card = z.read("README.md").decode()
        pictures = [n for n in names if n.startswith("gradcam-")]
        assert pictures == ["gradcam-1.png", "gradcam-2.png", "gradcam-3.png", "gradcam-4.png"]
        img = Image.open(io.BytesIO(z.read("gradcam-1.png")))
        assert img.mode == "RGB" and img.size[0] >= 112
    assert "## Why it decides" in card
    assert card.count("](gradcam-") == 4 and "Grad-CAM at act" in card


def test_no_pictures_for_a_table_model(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    mlp = chain("mlp", [4], [("h", "Linear", {"out_features": 8}), ("a", "ReLU", {}),
                             ("fc", "Linear", {"out_features": 3})])
    run_id = train(mlp, "iris", {"epochs": 1}, store=store).run_id
    out = tmp_path / "b.zip"
    export_run(run_id, "bundle", out, db=store)
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if n.startswith("gradcam-")]
        assert "## Why it decides" not in z.read("README.md").decode()
