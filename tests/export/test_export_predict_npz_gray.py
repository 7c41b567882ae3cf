"""The bundle's predict.py on a .npy of 8-bit [N, H, W] images, for a run trained on an .npz of
such images: it feeds the model what training fed it.

Training scales 8-bit images to [0, 1] and standardises them (runtime/data/npz.py); a design of
Input [H, W] keeps them [N, H, W], one of Input [1, H, W] gains the channel axis. predict.py
printed the outputs of raw 0–255 values for the first (255 times too large, silently wrong) and
refused several samples [N, H, W] for the second ("the model takes … [N, 1, 8, 8]")."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch


from .conftest import run_without_layerloom

PREDICT = """
    import runpy, sys
    sys.argv = ["predict.py", *sys.argv[1:]]
    runpy.run_path("predict.py", run_name="__main__")
"""


def flat_design(shape: list) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "flat", "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": shape}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("image", "flat"), ("flat", "fc"), ("fc", "out"))]}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    return tmp_path


def predicted_and_trained(tmp_path, shape: list):
    """Train a Linear on 40 random 8-bit images [40, 8, 8] (an .npz) read for a design of
    Input ``shape``, export its bundle, and run its predict.py on five training images as the
    file holds them (8-bit [5, 8, 8]): predict.py's raw outputs, the model's outputs on the same
    images as training fed them, and predict.py's stderr."""
    from layerloom.graph import parse_graph
    from layerloom.runtime import RunStore, TrainConfig, train
    from layerloom.runtime.export import export_run
    from layerloom.runtime.runner import load_from_spec

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 8, 8)).astype(np.uint8)
    np.savez(tmp_path / "gray.npz", x=x, y=np.arange(40) % 2)
    graph = parse_graph(flat_design(shape))
    spec = {"source": str(tmp_path / "gray.npz")}
    store = RunStore(tmp_path / "runs.db")
    result = train(graph, spec, TrainConfig(epochs=1, seed=0, num_threads=2, batch_size=8),
                   store=store)
    export_run(result.run_id, "bundle", tmp_path / "model.zip", store)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(tmp_path / "model.zip") as archive:
        archive.extractall(folder)

    ds = load_from_spec(spec, graph)  # the images as training fed them
    assert ds.input_shape == tuple(shape)
    fed = ds.x_train[:5]
    # the same five training images as the file holds them: 8-bit [5, 8, 8]
    samples = np.rint(ds.preview(5)[0].numpy() * 255).reshape(5, 8, 8).astype(np.uint8)
    assert all(any((sample == image).all() for image in x) for sample in samples)
    np.save(tmp_path / "five.npy", samples)
    done = run_without_layerloom(PREDICT, folder, str(tmp_path / "five.npy"),
                                 "--save", str(tmp_path / "out.npy"))
    assert done.returncode == 0, done.stderr
    model = torch.jit.load(str(folder / "model.torchscript.pt")).eval()
    with torch.no_grad():
        want = model(fed).numpy()
    return np.load(tmp_path / "out.npy"), want, done.stderr


def test_rows_design_gets_the_images_scaled_and_normalised_as_in_training(home, tmp_path):
    got, want, _ = predicted_and_trained(tmp_path, [8, 8])
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@pytest.mark.parametrize("shape", [[8, 8], [1, 8, 8]])
def test_the_model_card_says_the_8_bit_images_were_divided_by_255(home, tmp_path, shape):
    predicted_and_trained(tmp_path, shape)
    card = (tmp_path / "bundle" / "README.md").read_text(encoding="utf-8")
    assert ("- Inputs standardised per channel with the training split's mean and std after "
            "dividing by 255\n") in card, card


def test_one_channel_design_takes_several_images_without_their_channel_axis(home, tmp_path):
    got, want, stderr = predicted_and_trained(tmp_path, [1, 8, 8])
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert ("five.npy: [5, 8, 8] is read as 5 grayscale images [N, H, W] and given a channel "
            "axis: [5, 1, 8, 8], as the model takes them") in stderr, stderr
