"""check_input: a design's Input against a dataset, with both shapes and the fix in the error."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime.data import DataError, check_input, load_dataset


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris")


@pytest.fixture(scope="module")
def text():
    return load_dataset("text-sentiment", n_samples=100, length=16)


def test_a_matching_input_passes(iris, text):
    assert check_input(iris, [4], "float32") is None
    assert check_input(iris, (4,), torch.float32) is None
    assert check_input(text, [16], "int64") is None
    assert check_input(text, [None], torch.long) is None  # a length that may vary


def test_a_wrong_shape_gives_both_shapes_and_the_fix():
    ds = load_dataset("digits")
    with pytest.raises(DataError) as caught:
        check_input(ds, [3, 32, 32], "float32")
    assert str(caught.value) == (
        "The design's Input is [3, 32, 32] float32 but digits gives [1, 8, 8] float32: set the "
        "Input's shape to [1, 8, 8] (or pick a dataset of that shape).")


def test_a_float_input_given_token_ids_suggests_an_embedding(text):
    with pytest.raises(DataError, match=r"The design's Input is \[16\] float32 but "
                                        r"text-sentiment gives \[16\] int64 token ids: set the "
                                        r"Input's dtype to int64, and feed it to an Embedding"):
        check_input(text, [16], "float32")


def test_a_token_input_given_floats_says_so(iris):
    with pytest.raises(DataError, match=r"The design's Input is \[8\] int64 token ids but iris "
                                        r"gives \[4\] float32: set the Input's shape to \[4\] "
                                        r"and dtype to float32 \(token ids are for text"):
        check_input(iris, [8], "int64")


def test_a_wrong_rank_is_a_wrong_shape(iris):
    with pytest.raises(DataError, match=r"Input is \[1, 4\] float32 but iris gives \[4\]"):
        check_input(iris, [1, 4], "float32")


def test_an_unknown_dtype_is_refused(iris):
    with pytest.raises(DataError, match="must be float32 or int64 .*got 'complex64'"):
        check_input(iris, [4], torch.complex64)
