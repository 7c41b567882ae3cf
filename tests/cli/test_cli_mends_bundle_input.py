"""The bundle says what input its model expects (model card and ``predict.py --help``: shape,
how a file is read, range, polarity, normalisation) and ``predict.py`` warns when an input is
far from the training data, as an inverted MNIST digit is (dark on light, where the model only
ever saw light digits on a dark background)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.graph import loads_graph

pytestmark = pytest.mark.slow  # one training run and a full bundle export (~30 s)

TINY_DIGITS = {
    "format": "layerloom-graph", "version": 1, "name": "tiny-digits",
    "nodes": [{"id": "image", "type": "Input", "params": {"shape": [1, 28, 28]}},
              {"id": "flat", "type": "Flatten"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
              {"id": "out", "type": "Output"}],
    "edges": [{"source": "image", "target": "flat"}, {"source": "flat", "target": "fc"},
              {"source": "fc", "target": "out"}],
}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A one-epoch run of a linear classifier on mnist-5k, exported as a bundle (unpacked),
    and two test digits as PNG files: one as it is, one inverted."""
    from layerloom.runtime import RunStore, TrainConfig, train
    from layerloom.runtime.data import load_dataset
    from layerloom.runtime.export import export_run

    tmp = tmp_path_factory.mktemp("bundle")
    store = RunStore(tmp / "runs.db")
    ds = load_dataset("mnist-5k")
    result = train(loads_graph(json.dumps(TINY_DIGITS)), ds,
                   TrainConfig(epochs=1, seed=0, num_threads=1, batch_size=128), store=store)
    export_run(result.run_id, "bundle", tmp / "model.zip", store)
    folder = tmp / "bundle"
    with zipfile.ZipFile(tmp / "model.zip") as archive:
        archive.extractall(folder)
    norm = ds.normalization
    digit = ds.x_test[0, 0].numpy() * norm["std"][0] + norm["mean"][0]  # back to 0..1
    pixels = (digit * 255 + 0.5).clip(0, 255).astype(np.uint8)
    for name, image in (("digit.png", pixels), ("inverted.png", 255 - pixels)):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        (tmp / name).write_bytes(buffer.getvalue())
    return folder, tmp


def _predict(folder, *args):
    return subprocess.run([sys.executable, "predict.py", *args], cwd=folder,
                          capture_output=True, text=True, timeout=120)


def test_the_model_card_states_the_expected_input(bundle):
    folder, _ = bundle
    card = (folder / "README.md").read_text()
    section = card.split("## Expected input", 1)[1].split("\n## ", 1)[0]
    assert "A tensor of shape [batch, 1, 28, 28], float32." in section
    assert "read as grayscale, resized to 28×28 pixels, and its pixel values scaled to 0–1" \
        in section
    assert "Standardised per channel as (x − mean) / std with the training split's mean " \
           "[0.131" in section and "std [0.308" in section
    assert "mostly dark (average pixel 0.13 on a 0–1 scale): light strokes or objects on a " \
           "dark background. predict.py inverts a dark-on-light digit picture itself" in section
    assert "`predict.py` warns when an input is far from the training data" in section


def test_predict_help_states_the_expected_input(bundle):
    folder, _ = bundle
    done = _predict(folder, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "Expected input: A tensor of shape [batch, 1, 28, 28], float32." in text
    assert "light strokes or objects on a dark background" in text


def test_predict_warns_about_an_inverted_digit_only(bundle):
    """A digit drawn dark on light is inverted, as the training digits are light on dark, and
    predict.py says so; the digit as the data have it gets no warning."""
    folder, tmp = bundle
    plain = _predict(folder, str(tmp / "digit.png"))
    assert plain.returncode == 0, plain.stderr
    assert "warning" not in plain.stderr and "warnings" not in json.loads(plain.stdout)

    inverted = _predict(folder, str(tmp / "inverted.png"))
    assert inverted.returncode == 0, inverted.stderr
    out = json.loads(inverted.stdout)
    assert out["prediction"] == json.loads(plain.stdout)["prediction"]  # read the same way
    [warning] = out["warnings"]
    assert warning.startswith("inverted.png: dark strokes on a light background, unlike the "
                              "training digits")
    assert "it was inverted before the model read it" in warning
    assert f"warning: {warning}" in inverted.stderr


def test_a_feature_far_outside_the_training_range_is_named():
    from layerloom.graph.export.predict_script import unusual

    prep = {"kind": "tabular",
            "normalization": {"kind": "feature", "mean": [5.0, 1.0], "std": [1.0, 0.5]}}
    assert unusual(np.array([5.5, 1.2]), prep, "row.csv") == []
    [warning] = unusual(np.array([5.5, 40.0]), prep, "row.csv")
    assert warning.startswith("row.csv: far outside the training data (feature 1 = 40 "
                              "(+78.0 std)")
