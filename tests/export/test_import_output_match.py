"""One comparison of outputs behind every check of an import (check_import, the second-size
check, each block's value, the ONNX file against onnxruntime): the same shapes, and a largest
difference within atol of the output's scale."""

from __future__ import annotations

import math

import numpy as np
import torch

from layerloom.graph.import_torch.output_match import match_outputs


def test_outputs_within_atol_of_their_scale_agree_and_say_the_largest_difference():
    a = torch.tensor([[1000.0, -2.0]])
    match = match_outputs((a, torch.ones(3)), (a + 0.005, torch.ones(3)), 1e-5)
    assert match.agrees and match.index is None
    assert math.isclose(match.diff, 0.005, rel_tol=1e-3)  # 1e-5 of 1000 is 0.01
    off = match_outputs([torch.zeros(2), a], [torch.zeros(2), a + 0.5], 1e-5)
    assert (off.index, off.shape, off.expected_shape, off.shapes_differ) == (1, [1, 2], [1, 2],
                                                                             False)
    assert off.diff == 0.5 and not off.agrees


def test_a_shape_that_differs_is_named_with_both_shapes():
    match = match_outputs(torch.zeros(3, 10), torch.zeros(3, 12), 1e-5)
    assert (match.index, match.shape, match.expected_shape) == (0, [3, 12], [3, 10])
    assert match.shapes_differ and match.diff == float("inf")


def test_empty_outputs_of_the_same_shape_agree():
    """check_import used to call them different (a difference of inf) where the second-size
    check called them equal; nothing in them can differ."""
    match = match_outputs((torch.zeros(3, 0), torch.ones(3)), (torch.zeros(3, 0), torch.ones(3)),
                          1e-5)
    assert match.agrees and match.diff == 0.0


def test_onnxruntime_arrays_compare_with_tensors():
    match = match_outputs([np.ones((2, 3), np.float32)], torch.ones(2, 3) * 1.01, 1e-4)
    assert match.index == 0 and math.isclose(match.diff, 0.01, rel_tol=1e-3)


def test_nan_for_a_number_differs_and_nan_where_the_model_has_it_agrees():
    """(a - b).abs().max() is NaN there, and NaN > atol is False: such an import passed."""
    model = torch.tensor([1.0, 2.0, float("nan"), float("inf")])
    assert match_outputs(model, model.clone(), 1e-5).agrees
    broken = model.clone()
    broken[0] = float("nan")
    match = match_outputs(model, broken, 1e-5)
    assert match.index == 0 and math.isnan(match.diff) and not match.shapes_differ
    wrong_inf = model.clone()
    wrong_inf[3] = 5.0
    assert match_outputs(model, wrong_inf, 1e-5).diff == float("inf")


def test_an_output_one_side_lacks_differs():
    short = match_outputs((torch.ones(2), torch.ones(3)), (torch.ones(2),), 1e-5)
    assert (short.index, short.shape, short.expected_shape) == (1, None, [3])
    assert not short.agrees and short.shapes_differ
    extra = match_outputs(torch.ones(2), (torch.ones(2), torch.zeros(1)), 1e-5)
    assert (extra.index, extra.shape, extra.expected_shape) == (1, [1], None)
