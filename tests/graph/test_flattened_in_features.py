"""A Linear fed a feature map with in_features set to the map's size flattened (Keras' Dense
after Flatten, the Flatten left out) is told to add the Flatten: 'in_features is 1600, but the
input gives 5; leave in_features out (it is inferred)' sent the newcomer to leave it out, which
gives a Linear over the last axis alone ([64, 5, 10]), not the classifier meant."""

from __future__ import annotations

import pytest

from layerloom.graph import parse_graph, validate


def _errors(in_features: int, shape: list[int]):
    nodes = [{"id": "image", "type": "Input", "params": {"shape": shape}},
             {"id": "fc", "type": "Linear",
              "params": {"out_features": 10, "in_features": in_features}},
             {"id": "y", "type": "Output"}]
    edges = [{"source": "image", "target": "fc"}, {"source": "fc", "target": "y"}]
    return validate(parse_graph({"format": "layerloom-graph", "version": 1, "name": "x",
                                 "nodes": nodes, "edges": edges})).errors


@pytest.mark.parametrize("shape", [[64, 5, 5], [32, 50]])
def test_in_features_of_the_map_flattened_is_told_to_add_flatten(shape):
    size = 1
    for n in shape:
        size *= n
    [error] = _errors(size, shape)
    assert (error.node, error.param) == ("fc", "in_features")
    dims = ", ".join(map(str, shape))
    assert error.message == (
        f"in_features is {size}, but the input gives {shape[-1]}: {size} is image's [{dims}] "
        f"flattened, and a Linear acts on the last dimension only; add Flatten before fc")


def test_another_wrong_in_features_still_says_to_leave_it_out():
    [error] = _errors(800, [64, 5, 5])
    assert error.message == ("in_features is 800, but the input gives 5; leave in_features out "
                             "(it is inferred)")
