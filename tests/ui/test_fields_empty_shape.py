"""An Input of shape ``[]`` (one class id per sample, as a conditional GAN's label imports) is
shown in the inspector's text box as ``[]`` and read back as ``[]``. Before, the box showed
nothing, and an empty box reads as the param's default (``[1, 28, 28]``), so the shape could be
neither seen nor kept by editing the box."""

from __future__ import annotations

from layerloom.graph.registry import find_block
from layerloom.ui.fields import DEFAULT, parse_value, show_value


def test_an_empty_shape_is_shown_as_brackets_and_read_back():
    assert show_value([]) == "[]"
    assert parse_value(show_value([]), "shape") == []
    assert find_block("Input").param("shape").coerce(parse_value("[]", "shape")) == ()


def test_an_empty_box_is_still_the_default_and_other_lists_read_as_before():
    assert parse_value("", "shape") is DEFAULT
    assert show_value([1, 28, 28]) == "1, 28, 28"
    assert parse_value("1, 28, 28", "shape") == [1, 28, 28]
