"""Sizes typed as a product ('3x3', '1x28x28'), the commonest typo of a newcomer: the error
names the block and the param and says how to write them, not only that a whole number was
expected."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, validate


def _errors(graph):
    return [e for e in validate(parse_graph(graph)).errors]


@pytest.mark.parametrize("typed,written", [("3x3", "3, 3"), ("3×3", "3, 3"), ("5 * 5", "5, 5"),
                                           ("3X3", "3, 3")])
def test_a_kernel_typed_as_a_product_is_told_how_to_write_it(make_chain, typed, written):
    g = make_chain(("x", "Input", {"shape": [1, 28, 28]}),
                   ("conv1", "Conv2d", {"out_channels": 8, "kernel_size": typed}),
                   ("y", "Output"))
    errors = [e for e in _errors(g) if e.node == "conv1"]
    assert len(errors) == 1 and errors[0].param == "kernel_size"
    assert errors[0].message == (f"kernel_size expected a whole number or 2 of them separated "
                                 f"by commas, got {typed!r}: write {written}")


def test_an_input_shape_typed_as_a_product_is_told_how_to_write_it(make_chain):
    # the inspector's box gives ['1x28x28'] for the text 1x28x28
    g = make_chain(("x", "Input", {"shape": ["1x28x28"]}), ("f", "Flatten"), ("y", "Output"))
    errors = [e for e in _errors(g) if e.node == "x"]
    assert len(errors) == 1 and errors[0].param == "shape"
    assert errors[0].message.endswith("got '1x28x28': write 1, 28, 28")


def test_padding_typed_as_a_product_and_other_words_keep_their_messages(make_chain):
    g = make_chain(("x", "Input", {"shape": [1, 28, 28]}),
                   ("conv1", "Conv2d", {"out_channels": 8, "padding": "1x1"}),
                   ("conv2", "Conv2d", {"out_channels": 8, "padding": "full"}),
                   ("conv3", "Conv2d", {"out_channels": 8, "kernel_size": "three"}),
                   ("y", "Output"))
    by_node = {e.node: e.message for e in _errors(g)}
    assert by_node["conv1"].endswith("got '1x1': write 1, 1")
    assert "'same' or 'valid', got 'full'" in by_node["conv2"]
    assert by_node["conv3"] == "kernel_size expected a whole number, got 'three'"


def test_an_input_shape_of_minus_one_is_told_what_to_give(make_chain):
    """-1 is PyTorch's 'the size left over' in a reshape; an Input's shape needs each length."""
    g = make_chain(("x", "Input", {"shape": [-1]}), ("f", "Flatten"), ("y", "Output"))
    [error] = [e for e in _errors(g) if e.node == "x"]
    assert error.param == "shape"
    assert error.message == (
        "shape sizes must be at least 1, got [-1]: -1 (the size left over) works in a "
        "Reshape, not here: give each axis its length, e.g. [4] for 4 features or "
        "[1, 28, 28] for a 28×28 image")
