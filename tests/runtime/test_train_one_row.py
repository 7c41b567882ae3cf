"""A table so small that one row is left for training: a design with a batch norm is refused
with a message naming the block and the split, not PyTorch's "Expected more than 1 value per
channel"."""

from __future__ import annotations

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime.config import TrainConfig
from layerloom.runtime.data import load_dataset
from layerloom.runtime.errors import TrainError
from layerloom.runtime.model import prepare_model


def test_one_training_row_and_a_batch_norm_is_refused_in_words(tmp_path):
    path = tmp_path / "three rows.csv"
    path.write_text("alpha,beta,label\n1,2,a\n3,4,b\n5,6,a\n")
    ds = load_dataset(str(path))
    graph = load_template("mlp-tabular")
    with pytest.raises(TrainError) as err:
        prepare_model(graph, ds, TrainConfig(epochs=1), variables={"features": 2, "classes": 2})
    assert str(err.value) == (
        "three rows.csv leaves 1 training row (train / validation / test 1 / 1 / 1), and "
        "hidden/0/norm (a batch norm) needs at least 2 samples a batch while training: use "
        "more rows, or lower the validation and test shares")
    more = load_dataset(str(path), val_fraction=0.0, test_fraction=0.0)
    assert len(more.x_train) == 3
    prepare_model(graph, more, TrainConfig(epochs=1), variables={"features": 2, "classes": 2})
