"""An Input that left out the channel axis, the commonest slip with images and signals, is
told the shape to set: 'conv1: Conv2d needs a [C, H, W] input, but image gives [28, 28]'
said what was wrong and not what to write."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, validate


def _first(block: str, shape: list[int], source: str = "Input") -> str:
    nodes = [{"id": "image", "type": "Input", "params": {"shape": shape}}]
    edges = []
    last = "image"
    if source != "Input":
        nodes.append({"id": "mid", "type": source})
        edges.append({"source": "image", "target": "mid"})
        last = "mid"
    nodes += [{"id": "conv1", "type": block, "params": {"out_channels": 4}},
              {"id": "y", "type": "Output"}]
    edges += [{"source": last, "target": "conv1"}, {"source": "conv1", "target": "y"}]
    [error] = validate(parse_graph({"format": "layerloom-graph", "version": 1, "name": "x",
                                    "nodes": nodes, "edges": edges})).errors
    assert error.node == "conv1"
    return error.message


@pytest.mark.parametrize("block,shape,fixed", [("Conv2d", [28, 28], "[1, 28, 28]"),
                                               ("Conv1d", [100], "[1, 100]")])
def test_an_input_without_its_channel_axis_is_told_the_shape_to_set(block, shape, fixed):
    message = _first(block, shape)
    assert message.endswith(f"; an Input of one channel is {fixed}: set image's shape to "
                            f"{fixed}")


def test_a_shape_two_axes_short_or_from_another_block_gets_no_guess():
    assert "set image's shape" not in _first("Conv2d", [784])
    assert "an Input of one channel" not in _first("Conv2d", [1, 28, 28], source="Flatten")


def test_an_image_input_written_channels_last_is_told_the_shape_to_set():
    """The design note's Keras CNN says input_shape=(28, 28, 1): typed as the Input's shape, a
    Conv2d read 28 channels of 28×1 images and said 'kernel 3×3 is larger than its 28×1 input
    (padding 0×0); use a smaller kernel_size, more padding, or less downsampling before it',
    pointing at the kernel."""
    message = _first("Conv2d", [28, 28, 1])
    assert message.startswith("image gives [28, 28, 1], an image channels last as Keras "
                              "writes it, but a Conv2d takes [C, H, W], channels first: set "
                              "image's shape to [1, 28, 28] (read so, kernel 3×3 is larger "
                              "than its 28×1 input")
    assert "smaller kernel_size" not in message


def test_a_channels_first_image_or_another_blocks_output_gets_no_such_guess():
    # a window too large for a channels-first image: the block's own advice stands
    message = _first("Conv2d", [1, 2, 2])
    assert "channels last" not in message and "smaller kernel_size" in message
    assert "channels last" not in _first("Conv2d", [28, 28, 1], source="Identity")
