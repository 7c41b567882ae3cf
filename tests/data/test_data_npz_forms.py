"""Common NPZ forms read as what they are: channels-last images transposed to [N, C, H, W]
(standardised per real channel), one-hot y taken as classes, and [N, H, W] floats fed to a
design whose Input is [1, H, W] told to gain a channel axis (not to break the design)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layerloom.graph.templates import load_template
from layerloom.runtime.data import DataError, check_input, load_dataset
from layerloom.runtime.data.fit import check_fit


def images_nhwc(n=60, size=8):
    """uint8 [N, H, W, 3]: channel c of every image holds 40 * c + its row index."""
    rows = np.arange(size, dtype=np.uint8)[None, :, None, None]
    channels = np.array([0, 40, 80], np.uint8)[None, None, None, :]
    x = np.broadcast_to(rows + channels, (n, size, size, 3)).copy()
    return x, np.arange(n) % 2


def test_channels_last_images_are_transposed_and_standardised_per_channel(tmp_path):
    x, y = images_nhwc()
    path = tmp_path / "nhwc.npz"
    np.savez(path, x=x, y=y)
    ds = load_dataset(path, seed=0)
    assert ds.input_shape == (3, 8, 8)
    norm = ds.normalization
    assert norm["kind"] == "channel" and len(norm["mean"]) == 3  # 3 channels, not 8 rows
    np.testing.assert_allclose(norm["mean"], np.array([3.5, 43.5, 83.5]) / 255, rtol=1e-5)
    shown, _ = ds.preview(1)  # 8-bit pixels in [0, 1], as image files and "Try it" give them
    expected = torch.from_numpy(x[0].transpose(2, 0, 1).astype(np.float32) / 255)
    assert ds.y_train[0] in (0, 1)
    torch.testing.assert_close(shown[0], expected, atol=1e-6, rtol=0)
    assert ds.meta["notes"] == ["x [60, 8, 8, 3] is read as channels-last images [N, H, W, C] "
                                "and transposed to [N, C, H, W] [60, 3, 8, 8]",
                                "x holds 8-bit images: scaled to [0, 1] (x / 255) as image "
                                "files are"]
    assert ds.describe()["notes"] == ds.meta["notes"]


@pytest.mark.parametrize(("shape", "kept"), [
    ((10, 3, 8, 8), (3, 8, 8)),  # channels-first already
    ((10, 1, 28, 28), (1, 28, 28)),
    ((10, 4, 8, 3), (4, 8, 3)),  # the second axis could be channels too: left as it is
    ((10, 8, 8, 5), (8, 8, 5)),  # 5 is no channel count
])
def test_arrays_that_are_not_channels_last_keep_their_shape(tmp_path, shape, kept):
    path = tmp_path / "x.npz"
    np.savez(path, x=np.random.default_rng(0).random(shape), y=np.arange(10) % 2)
    ds = load_dataset(path)
    assert ds.input_shape == kept and "notes" not in ds.meta


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
def test_a_one_hot_y_is_k_classes(tmp_path, dtype):
    labels = np.array([0, 1, 2, 1, 2] * 12)
    path = tmp_path / "onehot.npz"
    np.savez(path, x=np.random.default_rng(0).random((60, 4)),
             y=np.eye(4, dtype=dtype)[labels])  # class 3 is never hot: still a class
    ds = load_dataset(path, seed=0)
    assert ds.task == "classification" and ds.classes == ["0", "1", "2", "3"]
    assert ds.target_dim is None
    whole = torch.cat([ds.y_train, ds.y_val, ds.y_test])
    assert sorted(whole.tolist()) == sorted(labels.tolist())
    assert ds.meta["notes"] == ["y [60, 4] is one-hot: its classes are y.argmax(1)"]


def test_a_one_hot_y_takes_the_names_of_a_classes_array(tmp_path):
    labels = np.arange(30) % 3
    path = tmp_path / "named.npz"
    np.savez(path, x=np.random.default_rng(0).random((30, 2)), y=np.eye(3)[labels],
             classes=np.array(["cat", "dog", "eel"]))
    ds = load_dataset(path, seed=0)
    assert ds.classes == ["cat", "dog", "eel"]
    assert torch.bincount(torch.cat([ds.y_train, ds.y_val, ds.y_test])).tolist() == [10] * 3


def test_a_one_hot_y_stays_targets_when_regression_is_asked_and_multi_hot_is_not_one_hot(
        tmp_path):
    path = tmp_path / "targets.npz"
    np.savez(path, x=np.zeros((30, 2)), y=np.eye(3)[np.arange(30) % 3])
    assert load_dataset(path, task="regression").target_dim == 3
    np.savez(path, x=np.zeros((30, 2)), y=np.ones((30, 3)))
    ds = load_dataset(path)
    assert ds.task == "regression" and ds.target_dim == 3


@pytest.fixture
def gray_npz(tmp_path):
    path = tmp_path / "xy_float.npz"
    np.savez(path, x=np.zeros((40, 28, 28), np.float32), y=np.arange(40) % 10)
    return path


def test_float_images_without_a_channel_axis_are_told_to_gain_one_not_to_break_the_conv(
        gray_npz):
    """Floats [N, H, W] may be sequences [N, L, D]: kept, with the option that adds the axis
    named (8-bit images gain it by themselves: test_data_npz_channel_axis.py)."""
    ds = load_dataset(gray_npz)
    assert ds.input_shape == (28, 28)
    fit = check_fit(load_template("seed-cnn"), ds)  # Input [1, 28, 28], Conv2d after it
    [problem] = fit.problems
    assert problem.kind == "channels" and not problem.fixable
    assert str(problem) == (
        "image: the Input is [1, 28, 28] but xy_float.npz gives [28, 28] per sample. Fix: give "
        "the images a channel axis, so that each sample is [1, 28, 28]: load xy_float.npz with "
        "the option channel_axis=add (CLI: --data-option channel_axis=add; Data page: the "
        "file's options).")
    with pytest.raises(DataError, match=r"gives \[28, 28\] float32: give the images a channel "
                                        r"axis, so that each sample is \[1, 28, 28\]"):
        check_input(ds, [1, 28, 28])


def test_the_rest_of_the_design_is_still_checked_beside_the_channel_axis(gray_npz):
    path = gray_npz.with_name("five.npz")
    np.savez(path, x=np.zeros((40, 28, 28)), y=np.arange(40) % 5)
    fit = check_fit(load_template("seed-cnn"), load_dataset(path))
    assert [p.kind for p in fit.problems] == ["channels", "width"]


def test_8_bit_images_are_in_the_units_a_picture_is_given_to_the_model(tmp_path):
    """The app's "Try it" and the bundle's predict.py hand a picture over in [0, 1] and
    normalise it with the dataset's statistics: an 8-bit NPZ must be in those units too, or
    every prediction is made on inputs hundreds of standard deviations off."""
    from layerloom.runtime.data import normalize

    x, y = images_nhwc()
    path = tmp_path / "nhwc.npz"
    np.savez(path, x=x, y=y)
    ds = load_dataset(path, seed=0, val_fraction=0, test_fraction=0)
    picture = x[:1].transpose(0, 3, 1, 2).astype(np.float32) / 255  # as predict gives it
    normalised = normalize.apply(picture, ds.normalization)
    trained = ds.x_train.numpy()
    assert np.abs(normalised[0] - trained).reshape(len(trained), -1).max(axis=1).min() < 1e-5
    float_x = tmp_path / "floats.npz"  # float images are taken in the units they are given
    np.savez(float_x, x=x.astype(np.float32), y=y)
    assert "notes" not in load_dataset(float_x, seed=0).meta or not any(
        "8-bit" in n for n in load_dataset(float_x, seed=0).meta["notes"])
