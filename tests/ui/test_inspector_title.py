"""The inspector's title wraps a long block type between its words, never mid-word."""

from __future__ import annotations

from layerloom.ui.inspector import breakable


def test_a_long_type_breaks_only_between_its_words():
    shown = breakable("ScaledDotProductAttention")
    assert shown.replace("\u200b", "") == "ScaledDotProductAttention"
    assert shown.split("\u200b") == ["Scaled", "Dot", "Product", "Attention"]


def test_acronyms_and_digits_stay_whole():
    assert breakable("GELU") == "GELU"
    assert breakable("BatchNorm2d").split("\u200b") == ["Batch", "Norm2d"]
    assert breakable("Conv2d") == "Conv2d"
