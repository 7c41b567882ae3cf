"""A template scaled by its variables past what a block takes: the error names the block, the
param, the expression and the variable with its value, so the researcher knows which knob to turn
back. Before, it named the block and the param only ('out_channels must be at least 1, got 0'
after setting width = 0.01, 'repeat must be a whole number ≥ 0, got -1' after depth = 0)."""

from __future__ import annotations

import pytest

from layerloom.graph import validate
from layerloom.graph.templates import load_template

CASES = [
    ("seed-cnn", {"width": 0.01},
     "conv1.out_channels: out_channels must be at least 1, got 0 (out_channels = "
     "round(32*width), with the variable width = 0.01)"),
    # a stage's depth through the Stage block's own param 'layers'
    ("efficientnet-b0", {"depth": 0},
     "stage1/rest.repeat: repeat must be a whole number ≥ 0, got -1 (repeat = "
     "ceil(layers * depth) - 1, with the variable depth = 0 and stage1's layers = 1)"),
    ("resnet-mini", {"depth": 0},
     "stage1_rest.repeat: repeat must be a whole number ≥ 0, got -1 (repeat = depth - 1, with "
     "the variable depth = 0)"),
    # a shape rule's problem with a param given by a variable
    ("transformer-text", {"heads": 3},
     "encoder.nhead: d_model 64 is not divisible by nhead 3 (nhead = heads, with the variable "
     "heads = 3)"),
    # the variable reaches the layer through a composite block's param
    ("mlp-tabular", {"hidden": 0},
     "hidden/0/linear.out_features: out_features must be at least 1, got 0 (out_features = "
     "units, with hidden/0's units = 0, from the variable hidden = 0)"),
    # the variable sets the Input's shape, which a pooling window further on no longer fits
    ("cnn1d-sequence", {"length": 4},
     "block3/pool.kernel_size: pooling window 2 is larger than its 1 input; use a smaller "
     "kernel_size or pool earlier (signal's shape [1, 4] follows the variable length = 4)"),
    ("transformer-text", {"length": 0},
     "tokens.shape: shape sizes must be at least 1, got [0] (shape = [length], with the "
     "variable length = 0)"),
]


@pytest.mark.parametrize(("name", "variables", "message"), CASES,
                         ids=[f"{n}-{next(iter(v))}" for n, v, _ in CASES])
def test_scaled_too_far_names_block_and_variable(name, variables, message):
    report = validate(load_template(name), variables)
    assert str(report.errors[0]) == message


def test_every_error_of_one_variable_names_it():
    # width = -1: both convolutions, the second only checked without shapes, name width
    report = validate(load_template("seed-cnn"), {"width": -1})
    assert [str(p) for p in report.errors] == [
        "conv1.out_channels: out_channels must be at least 1, got -32 (out_channels = "
        "round(32*width), with the variable width = -1)",
        "conv2.out_channels: out_channels must be at least 1, got -64 (out_channels = "
        "round(64*width), with the variable width = -1)"]


def test_a_value_written_out_is_said_as_before():
    graph = load_template("seed-cnn")
    next(n for n in graph.nodes if n.id == "conv1").params["out_channels"] = 0
    assert [str(p) for p in validate(graph).errors] == [
        "conv1.out_channels: out_channels must be at least 1, got 0"]


def test_a_scaling_that_fits_has_no_problem():
    # EfficientNet-B7's compound scaling, and a narrow, shallow ResNet
    assert validate(load_template("efficientnet-b0"),
                    {"width": 2.0, "depth": 3.1, "resolution": 600}).ok
    assert validate(load_template("resnet-mini"), {"width": 0.25, "depth": 1}).ok
