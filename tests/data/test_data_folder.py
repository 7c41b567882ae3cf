"""Image folders read from disk: listing without decoding, a split stable by file path and
recorded, normalisation fitted on a sample of train, lazy splits, and training streamed through
DataLoader workers that ends with the very weights the in-memory path gives."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from layerloom.runtime import train
from layerloom.runtime.data import DataError, Dataset, load_dataset
from layerloom.runtime.data.folder import ImageFiles, class_counts, split_by_path
from layerloom.runtime.data.split import SplitSpec

COLOURS = {"cat": 40, "dog": 128, "eel": 210}


def make_folder(root, n=30, size=(20, 24), rgb=True):
    rng = np.random.default_rng(0)
    for name, base in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            shape = (*size, 3) if rgb else size
            pixels = np.clip(base + rng.normal(0, 30, shape), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.png")
    return root


def cnn(size=16, channels=3, classes=3):
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [channels, size, size]}},
             {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
             {"id": "bn", "type": "BatchNorm2d"},
             {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
             {"id": "flat", "type": "Flatten"},
             {"id": "fc", "type": "Linear", "params": {"out_features": classes}},
             {"id": "y", "type": "Output"}]
    return {"format": "layerloom-graph", "version": 1, "name": "cnn", "variables": {},
            "nodes": nodes, "edges": [{"source": a["id"], "target": b["id"]}
                                      for a, b in zip(nodes, nodes[1:])]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("pics") / "pets")


def test_folder_lists_splits_and_records_without_decoding_all(folder):
    ds = load_dataset(folder, seed=3, val_fraction=0.1, test_fraction=0.2)
    assert ds.classes == ["cat", "dog", "eel"] and ds.task == "classification"
    assert ds.input_shape == (3, 20, 24)  # the images' own size, rgb
    assert isinstance(ds.x_train, ImageFiles) and ds.x_train.streaming
    sizes = [len(ds.x_train), len(ds.x_val), len(ds.x_test)]
    assert sum(sizes) == 90 and all(s > 0 for s in sizes)
    counts = ds.class_counts()
    assert sum(sum(c.values()) for c in counts.values()) == 90
    assert class_counts(folder) == {"cat": 30, "dog": 30, "eel": 30}
    split = ds.meta["split"]
    assert split["train"]["size"] == sizes[0] and len(split["test"]["digest"]) == 16
    assert ds.meta["options"]["image_size"] == [20, 24]
    norm = ds.normalization
    assert norm["kind"] == "channel" and norm["sample"] == sizes[0] and norm["scale"] == 255.0
    x = ds.x_train[:5]
    assert x.shape == (5, 3, 20, 24) and x.dtype == torch.float32
    assert ds.x_train[torch.tensor([4, 0])].shape == (2, 3, 20, 24)
    torch.testing.assert_close(ds.x_train[torch.tensor([4, 0])][1], x[0])
    assert ds.describe()["splits"]["train"]["x_shape"] == [sizes[0], 3, 20, 24]
    shown, labels = ds.preview(4)
    assert shown.min() >= -1e-5 and shown.max() <= 1 + 1e-5 and labels.shape == (4,)
    # the same seed splits the same way; another seed another way
    again = load_dataset(folder, seed=3, val_fraction=0.1, test_fraction=0.2)
    assert again.x_test.files == ds.x_test.files
    assert load_dataset(folder, seed=4).meta["split"]["test"]["digest"] != split["test"]["digest"]


def test_split_by_path_is_stable_when_files_are_added_or_reordered():
    spec = SplitSpec(seed=1, val_fraction=0.1, test_fraction=0.2)
    names = [f"c{i % 3}/{i}.png" for i in range(200)]
    parts = split_by_path(names, spec)
    where = {names[i]: k for k, part in enumerate(parts) for i in part}
    more = names[::-1] + [f"c0/new{i}.png" for i in range(50)]
    parts2 = split_by_path(more, spec)
    where2 = {more[i]: k for k, part in enumerate(parts2) for i in part}
    assert all(where2[n] == where[n] for n in names)
    assert 20 <= len(parts[2]) <= 60  # about a fifth for test


def test_design_size_and_colour_resize_and_crop(folder):
    ds = load_dataset(folder, image_size=(16, 16), color="grayscale")
    assert ds.input_shape == (1, 16, 16) and ds.x_val[0].shape == (1, 16, 16)
    stretched = load_dataset(folder, image_size=16, resize="stretch")
    assert stretched.x_test[:2].shape == (2, 3, 16, 16)


def test_folder_errors_name_the_folder_and_file(tmp_path):
    one = tmp_path / "one"
    make_folder(one, n=2)
    for name in ("dog", "eel"):
        for f in (one / name).iterdir():
            f.unlink()
        (one / name).rmdir()
    with pytest.raises(DataError, match="at least 2 class folders, found only 'cat'"):
        load_dataset(one)
    loose = make_folder(tmp_path / "loose", n=2)
    Image.new("RGB", (4, 4)).save(loose / "stray.png")
    with pytest.raises(DataError, match="'stray.png' is not inside a class folder"):
        load_dataset(loose)
    empty = make_folder(tmp_path / "empty", n=2)
    (empty / "fox").mkdir()
    with pytest.raises(DataError, match="class folder 'fox' holds no PNG, JPEG, WebP, BMP, "
                                        "GIF or TIFF images; add its images, or remove the "
                                        "folder"):
        load_dataset(empty)
    with pytest.raises(DataError, match="image_size"):
        load_dataset(make_folder(tmp_path / "opt", n=2), image_size=0)


def test_a_damaged_image_fails_training_with_its_name(tmp_path):
    root = make_folder(tmp_path / "bad", n=12)
    ds = load_dataset(root, image_size=(16, 16), stats_sample=2)
    victim = root / ds.x_train.files[-1]
    victim.write_bytes(b"not a png at all")
    named = f"bad, entry '{ds.x_train.files[-1]}': cannot be read as an image"  # class/file
    with pytest.raises(DataError, match=named):
        train(cnn(), ds, {"epochs": 1, "batch_size": 8, "num_threads": 1, "data_workers": 1})


def _in_memory(ds) -> Dataset:
    """The same dataset decoded whole into tensors: the in-memory path."""
    fields = {f"x_{s}": getattr(ds, f"x_{s}")[:] for s in ("train", "val", "test")}
    return Dataset(ds.name, ds.task, ds.input_shape, ds.dtype, ds.classes, None,
                   y_train=ds.y_train, y_val=ds.y_val, y_test=ds.y_test,
                   normalization=ds.normalization, **fields)


@pytest.mark.parametrize("workers", [0, 2])
def test_streamed_training_matches_in_memory(folder, workers):
    ds = load_dataset(folder, image_size=(16, 16))
    config = {"epochs": 2, "batch_size": 16, "lr": 0.05, "num_threads": 1, "hflip": True,
              "crop_padding": 2, "data_workers": workers, "log_every": 2}
    streamed = train(cnn(), ds, config)
    memory = train(cnn(), _in_memory(ds), config)
    for key, value in memory.model.state_dict().items():
        torch.testing.assert_close(streamed.model.state_dict()[key], value, msg=key)
    assert streamed.history[-1]["train_loss"] == pytest.approx(memory.history[-1]["train_loss"])
    assert streamed.metrics["test_accuracy"] == memory.metrics["test_accuracy"]


def test_cli_trains_a_folder_at_the_designs_input_and_resumes(folder, tmp_path):
    graph = tmp_path / "g.json"
    graph.write_text(json.dumps(cnn(size=12, channels=1)))
    home = tmp_path / "home"
    base = [sys.executable, "-m", "layerloom"]
    done = subprocess.run(base + ["train", str(graph), "--dataset", str(folder), "--epochs",
                                  "1", "--batch-size", "16", "--cfg", "num_threads=1",
                                  "--cfg", "data_workers=1", "--json", "--home", str(home)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    from layerloom.runtime import RunStore

    run = RunStore(home / "runs.db").get(out["run_id"])
    assert run.dataset["source"] == str(folder)
    assert run.dataset["options"]["image_size"] == [12, 12]  # taken from the design's Input
    assert run.dataset["options"]["color"] == "grayscale"
    assert "saved" not in run.dataset  # reloaded from the folder, never copied
    more = subprocess.run(base + ["resume", str(out["run_id"]), "--epochs", "2", "--json",
                                  "--home", str(home)],
                          capture_output=True, text=True, timeout=180)
    assert more.returncode == 0, more.stderr
    assert len(json.loads(more.stdout)["history"]) == 2


def test_a_recorded_run_keeps_the_folder_spec_not_a_copy(folder, tmp_path):
    from layerloom.runtime import RunStore
    from layerloom.runtime.runner import load_from_spec

    ds = load_dataset(folder, seed=2, image_size=(16, 16))
    store = RunStore(tmp_path / "runs.db")
    result = train(cnn(), ds, {"epochs": 1, "batch_size": 16, "num_threads": 1,
                               "data_workers": 0}, store=store)
    spec = store.get(result.run_id).dataset
    assert "saved" not in spec and spec["source"] == str(folder) and spec["seed"] == 2
    again = load_from_spec(spec)  # what a resume or a run's own process loads
    assert again.x_train.files == ds.x_train.files and again.input_shape == (3, 16, 16)
    assert again.normalization == ds.normalization


def test_a_project_export_of_a_folder_is_refused_in_words(folder, tmp_path):
    from layerloom.runtime.export_project import ProjectError, export_project

    ds = load_dataset(folder, image_size=(16, 16))
    with pytest.raises(ProjectError, match="pets is an image folder read from disk.*zip the "
                                           "folder"):
        export_project(cnn(), ds, tmp_path / "project")
    assert not (tmp_path / "project").exists()
