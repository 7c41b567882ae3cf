"""Look inside (and ``layerloom explain``) on an uploaded .npy of an 8-bit image, for a run
trained on an .npz of uint8 ``[N, H, W]`` images: the model gets what training fed it.

Training divides such images by 255 (the npz loader records ``meta["scale"]``) and then
standardises them; a design of Input ``[1, H, W]`` gives them a channel axis. ``read_input``
only standardised the .npy (values 255 times too large) and refused ``[H, W]`` for a model of
``[1, H, W]`` as the wrong shape; it now reads a .npy as the bundle's predict.py does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

DESIGN = {"format": "layerloom-graph", "version": 1, "name": "flat", "nodes": [
    {"id": "image", "type": "Input", "params": {"shape": None}},
    {"id": "flat", "type": "Flatten"},
    {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
    {"id": "out", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in
              (("image", "flat"), ("flat", "fc"), ("fc", "out"))]}


@pytest.mark.parametrize("shape", [[8, 8], [1, 8, 8]])
def test_an_8_bit_npy_is_read_as_training_fed_its_images(tmp_path, monkeypatch, shape):
    from layerloom.graph import parse_graph
    from layerloom.runtime import RunStore, TrainConfig, train
    from layerloom.runtime.explain_run import load_run, read_input

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    x = np.random.default_rng(0).integers(0, 256, (40, 8, 8)).astype(np.uint8)
    np.savez(tmp_path / "gray.npz", x=x, y=np.arange(40) % 2)
    design = {**DESIGN, "nodes": [{**DESIGN["nodes"][0], "params": {"shape": shape}},
                                  *DESIGN["nodes"][1:]]}
    store = RunStore(tmp_path / "runs.db")
    result = train(parse_graph(design), {"source": str(tmp_path / "gray.npz")},
                   TrainConfig(epochs=1, seed=0, num_threads=2, batch_size=8), store=store)
    trained = load_run(result.run_id, store)
    ds = trained.dataset
    assert ds.meta.get("scale") == 255.0

    fed = ds.x_train[:3]  # three training images as training fed them
    images = np.rint(ds.preview(3)[0].numpy() * 255).reshape(3, 8, 8).astype(np.uint8)
    assert all(any((image == one).all() for one in x) for image in images)
    with torch.no_grad():
        want = trained.module(fed).numpy()
    for i, image in enumerate(images):  # each as the file holds it: 8-bit [8, 8]
        np.save(tmp_path / f"s{i}.npy", image)
        notes: list = []
        read = read_input(str(tmp_path / f"s{i}.npy"), ds, notes)
        assert tuple(read.shape) == tuple(shape)
        np.testing.assert_allclose(read.numpy(), fed[i].numpy(), atol=1e-5, rtol=0)
        with torch.no_grad():
            got = trained.module(read[None]).numpy()
        np.testing.assert_allclose(got[0], want[i], atol=1e-4, rtol=0)
        assert f"s{i}.npy: whole-number pixel values, divided by 255 as" in notes[0]
        if shape == [1, 8, 8]:
            assert notes[1] == (f"s{i}.npy: [8, 8] is read as one grayscale image [H, W] and "
                                f"given a channel axis: [1, 8, 8], as the model takes it")
        else:
            assert len(notes) == 1


def test_a_float_npy_of_a_rows_design_is_kept_as_it_is(tmp_path):
    """Values already in 0–1 (float) are only standardised, as before."""
    from types import SimpleNamespace

    from layerloom.runtime.explain_run import read_input

    ds = SimpleNamespace(input_shape=(2, 2), dtype="float32", normalization=None, meta={})
    np.save(tmp_path / "f.npy", np.array([[0.5, 2.0], [3.0, 4.0]], dtype=np.float32))
    notes: list = []
    read = read_input(str(tmp_path / "f.npy"), ds, notes)
    np.testing.assert_array_equal(read.numpy(), [[0.5, 2.0], [3.0, 4.0]])
    assert notes == []
