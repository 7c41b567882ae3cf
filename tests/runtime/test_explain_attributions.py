"""Explanations point where the evidence is: a class decided by where a bright patch is, a label
decided by one token, a table decided by one feature."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layerloom.graph import load_graph
from layerloom.graph.compile import compile_graph
from layerloom.runtime import train
from layerloom.runtime.attributions import (ExplainError, activations, embedding_2d,
                                            explain_sample, feature_importance, overlay,
                                            penultimate)
from layerloom.runtime.data import Dataset

SIZE, PATCH = 24, 6
QUADRANTS = ((0, 0), (0, 1), (1, 0), (1, 1))


def patch_images(n: int, seed: int):
    """Dark noisy images with one bright PATCH×PATCH square; the class is its quadrant."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.05, (n, 1, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, 4, n)
    boxes = []
    half = SIZE // 2
    for i, label in enumerate(y):
        qr, qc = QUADRANTS[label]
        r = qr * half + rng.integers(0, half - PATCH + 1)
        c = qc * half + rng.integers(0, half - PATCH + 1)
        x[i, 0, r:r + PATCH, c:c + PATCH] += 1.0
        boxes.append((r, c))
    return x, y.astype(np.int64), boxes


def as_dataset(name, parts, classes, input_shape, dtype="float32", vocab=None):
    (xtr, ytr), (xva, yva), (xte, yte) = parts
    t = torch.from_numpy
    return Dataset(name, "classification", input_shape, dtype, classes, None,
                   t(xtr), t(ytr), t(xva), t(yva), t(xte), t(yte), vocab=vocab)


CNN = {  # seed-cnn's shape: two conv-ReLU-pool stages, Flatten, Linear
    "format": "layerloom-graph", "version": 1, "name": "patch-cnn",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, SIZE, SIZE]}},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3,
                                                     "padding": 1}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3,
                                                     "padding": 1}},
        {"id": "relu2", "type": "ReLU"},
        {"id": "pool2", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 4}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [
        ("image", "conv1"), ("conv1", "relu1"), ("relu1", "pool1"), ("pool1", "conv2"),
        ("conv2", "relu2"), ("relu2", "pool2"), ("pool2", "flat"), ("flat", "fc"),
        ("fc", "out")]],
}


def as_drawn(graph, result):
    """The trained model as the graph draws it (training may reorder a ReLU and a pool)."""
    model = compile_graph(load_graph(graph))
    model.load_state_dict(result.model.state_dict())
    return model.eval()


@pytest.fixture(scope="module")
def patch_model():
    xtr, ytr, _ = patch_images(800, 0)
    xva, yva, _ = patch_images(100, 1)
    xte, yte, boxes = patch_images(60, 2)
    ds = as_dataset("patches", [(xtr, ytr), (xva, yva), (xte, yte)], ["tl", "tr", "bl", "br"],
                    (1, SIZE, SIZE))
    result = train(CNN, ds, epochs=6, batch_size=32, lr=0.01, optimizer="adam", seed=0)
    assert result.metrics["test_accuracy"] >= 0.95
    return as_drawn(CNN, result), ds, boxes


def inside(peak, box):
    r, c = peak
    return box[0] <= r < box[0] + PATCH and box[1] <= c < box[1] + PATCH


def test_gradcam_peak_falls_inside_the_patch(patch_model):
    model, ds, boxes = patch_model
    hits = 0
    for i, box in enumerate(boxes):
        exp = explain_sample(model, ds.x_test[i], method="gradcam", classes=ds.classes)
        assert exp.heatmap.shape == (SIZE, SIZE)
        assert exp.layer == "relu2"  # the last convolutional block (conv2, its ReLU) by default
        assert exp.heatmap.min() >= 0  # ReLU'd, as in the paper
        hits += inside(exp.peak, box)
    assert hits / len(boxes) >= 0.9


def test_integrated_gradients_mass_lies_in_the_patch(patch_model):
    model, ds, boxes = patch_model
    hits = 0
    for i, box in enumerate(boxes):
        exp = explain_sample(model, ds.x_test[i], method="ig", target=int(ds.y_test[i]))
        mass = np.abs(exp.heatmap)
        r, c = box
        share = mass[r:r + PATCH, c:c + PATCH].sum() / mass.sum()
        hits += share > 0.5  # the patch is 6 % of the pixels
    assert hits / len(boxes) >= 0.9


def test_explanation_names_class_probability_and_peak(patch_model):
    model, ds, _ = patch_model
    exp = explain_sample(model, ds.x_test[0], target=2, classes=ds.classes)
    d = exp.to_dict()
    assert d["class"] == 2 and d["label"] == "bl" and d["method"] == "gradcam"
    with torch.no_grad():
        probs = model(ds.x_test[:1]).softmax(-1)[0]
    assert d["probability"] == pytest.approx(float(probs[2]), abs=1e-6)
    assert d["predicted"] == int(probs.argmax())
    assert d["peak"] == list(exp.peak) and d["shape"] == [SIZE, SIZE]


def test_smoothgrad_is_seeded_and_shaped(patch_model):
    model, ds, _ = patch_model
    a = explain_sample(model, ds.x_test[1], method="smoothgrad", seed=3).heatmap
    b = explain_sample(model, ds.x_test[1], method="smoothgrad", seed=3).heatmap
    assert a.shape == (SIZE, SIZE) and np.array_equal(a, b)


def test_bad_requests_are_named(patch_model):
    model, ds, _ = patch_model
    with pytest.raises(ExplainError, match="class 9 does not exist: the model has 4 classes"):
        explain_sample(model, ds.x_test[0], target=9)
    with pytest.raises(ExplainError, match=r"no block 'conv9'.*conv1, conv2"):
        explain_sample(model, ds.x_test[0], method="gradcam", layer="conv9")
    with pytest.raises(ExplainError, match="unknown method 'lime'"):
        explain_sample(model, ds.x_test[0], method="lime")


def test_activations_and_embedding(patch_model):
    model, ds, _ = patch_model
    maps = activations(model, ds.x_test[:2], "conv1")
    assert maps.shape == (2, 8, SIZE, SIZE)
    with pytest.raises(ExplainError, match="no block 'nope'"):
        activations(model, ds.x_test[:2], "nope")
    feats = penultimate(model, ds.x_test)
    assert feats.shape == (len(ds.x_test), 16 * 6 * 6)  # what fc reads: pool2, flattened
    points = embedding_2d(feats, "pca")
    assert points.shape == (len(ds.x_test), 2)
    # the classes separate in the embedding: each point's nearest other point shares its class
    d = ((points[:, None] - points[None]) ** 2).sum(-1) + np.eye(len(points)) * 1e9
    agree = (ds.y_test.numpy()[d.argmin(1)] == ds.y_test.numpy()).mean()
    assert agree >= 0.9


def test_overlay_colours_the_peak_red():
    image = np.zeros((1, 4, 4), np.float32)
    heat = np.zeros((4, 4), np.float32)
    heat[1, 2] = 1.0
    rgb = overlay(image, heat, alpha=1.0)
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[1, 2]) == (255, 0, 0)
    assert tuple(rgb[0, 0]) == (0, 0, 0)  # no weight where the map is lowest


# -- text: the label is decided by one token --------------------------------------------------

VOCAB = ["<pad>", "<unk>", "good", "bad"] + [f"w{i}" for i in range(20)]
LENGTH = 12


def token_texts(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(4, len(VOCAB), (n, LENGTH))
    y = rng.integers(0, 2, n)
    where = rng.integers(0, LENGTH, n)
    x[np.arange(n), where] = np.where(y == 1, 2, 3)  # "good" for class 1, "bad" for class 0
    return x.astype(np.int64), y.astype(np.int64), where


TEXT = {
    "format": "layerloom-graph", "version": 1, "name": "token-model",
    "nodes": [
        {"id": "tokens", "type": "Input", "params": {"shape": [LENGTH], "dtype": "int64"}},
        {"id": "embed", "type": "Embedding", "params": {"num_embeddings": len(VOCAB),
                                                        "embedding_dim": 16}},
        {"id": "pool", "type": "SequencePool", "params": {"mode": "mean"}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [
        ("tokens", "embed"), ("embed", "pool"), ("pool", "fc"), ("fc", "out")]],
}


def test_text_attribution_is_highest_on_the_deciding_token():
    xtr, ytr, _ = token_texts(600, 0)
    xva, yva, _ = token_texts(60, 1)
    xte, yte, where = token_texts(40, 2)
    ds = as_dataset("tokens", [(xtr, ytr), (xva, yva), (xte, yte)], ["neg", "pos"], (LENGTH,),
                    dtype="int64", vocab=VOCAB)
    result = train(TEXT, ds, epochs=8, batch_size=32, lr=0.02, optimizer="adam", seed=0)
    assert result.metrics["test_accuracy"] >= 0.95
    hits = 0
    for i in range(len(xte)):
        exp = explain_sample(result.model, ds.x_test[i], vocab=VOCAB)
        assert exp.kind == "text" and exp.method == "ig" and exp.heatmap.shape == (LENGTH,)
        hits += exp.peak == (int(where[i]),)
        assert exp.tokens[int(where[i])] in ("good", "bad")
    assert hits / len(xte) >= 0.9


# -- tables: one feature decides ---------------------------------------------------------------

MLP = {
    "format": "layerloom-graph", "version": 1, "name": "table-mlp",
    "nodes": [
        {"id": "row", "type": "Input", "params": {"shape": [5]}},
        {"id": "h", "type": "Linear", "params": {"out_features": 16}},
        {"id": "act", "type": "ReLU"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"},
    ],
    "edges": [{"source": a, "target": b} for a, b in [
        ("row", "h"), ("h", "act"), ("act", "fc"), ("fc", "out")]],
}


def test_table_feature_importance_ranks_the_deciding_feature_first():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(700, 5)).astype(np.float32)
    y = (x[:, 3] > 0).astype(np.int64)
    parts = [(x[:500], y[:500]), (x[500:600], y[500:600]), (x[600:], y[600:])]
    ds = as_dataset("table", parts, ["no", "yes"], (5,))
    result = train(MLP, ds, epochs=10, batch_size=32, lr=0.01, optimizer="adam", seed=0)
    importance = feature_importance(result.model, ds.x_test)
    assert importance.shape == (5,) and int(importance.argmax()) == 3
    exp = explain_sample(result.model, ds.x_test[0])
    assert exp.kind == "tabular" and exp.heatmap.shape == (5,)
    assert int(np.abs(exp.heatmap).argmax()) == 3
