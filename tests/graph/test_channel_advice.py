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
