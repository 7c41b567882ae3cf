"""Text the app shows through Streamlit's markdown (``plain``) that starts with a number keeps
no backslash: a float variable written out under its box read '\\0.000316228' in the browser.
``plain`` escaped a line's leading number as ``\\0.``, which is no markdown escape (a backslash
escapes punctuation only), so the backslash was drawn; an ordered list's marker is escaped at
its dot or parenthesis instead, and only where a list would start (a space or the end after).
"""

from __future__ import annotations

import pytest

from layerloom.ui.fields import plain


@pytest.mark.parametrize("text", ["0.000316228", "1.05", "3.5e-05", "12", "2024.5 samples",
                                  "1.5, 2.5, 3.5"])
def test_a_number_at_the_start_is_left_as_it_is(text):
    assert plain(text) == text


@pytest.mark.parametrize("text, escaped", [("1. first", "1\\. first"), ("2) then", "2\\) then"),
                                           ("10.", "10\\."), ("  3. indented", "  3\\. indented")])
def test_an_ordered_list_marker_is_escaped_at_its_punctuation(text, escaped):
    assert plain(text) == escaped


def test_other_line_starts_are_still_escaped():
    assert plain("# not a heading") == "\\# not a heading"
    assert plain("- not a list") == "\\- not a list"
