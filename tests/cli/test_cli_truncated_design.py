"""A design file cut short (saved or copied in part) says that it ends there: it said only
"line 11, column 46: invalid JSON: Expecting ':' delimiter", which reads as a typo at that
place. The place is the end of its last line (not the empty line after a final newline)."""

from __future__ import annotations

import pytest

from layerloom.cli import main

ADVICE = "it seems cut short (saved or copied only in part?): open a complete copy, or finish it"


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "design.json"
    assert main(["new", "seed-cnn", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize("cut, after, expecting", [
    ('"kernel_size"', "", "Expecting ':' delimiter"),
    ('"kernel_size":', "\n", "Expecting value"),
    ('"kernel_size": 3', "\n\n", "Expecting ',' delimiter"),
])
def test_a_design_cut_short_says_it_ends_there(design, capsys, cut, after, expecting):
    text = design.read_text(encoding="utf-8")
    end = text.index(cut) + len(cut)
    design.write_text(text[:end] + after, encoding="utf-8")
    line = text.count("\n", 0, end) + 1
    column = end - text.rfind("\n", 0, end)
    assert main(["validate", str(design)]) == 2
    assert capsys.readouterr().err == (
        f"error: {design}: line {line}, column {column}: invalid JSON: the file ends here, "
        f"before its JSON is complete ({expecting}); {ADVICE}\n")


def test_a_design_cut_inside_a_name_says_it_ends_in_that_text(design, capsys):
    text = design.read_text(encoding="utf-8")
    start = text.index('"kernel_size"')
    design.write_text(text[:start + 5], encoding="utf-8")
    line = text.count("\n", 0, start) + 1
    column = start - text.rfind("\n", 0, start)
    assert main(["validate", str(design)]) == 2
    assert capsys.readouterr().err == (
        f"error: {design}: line {line}, column {column}: invalid JSON: the file ends inside "
        f"the text in quotes that starts here; {ADVICE}\n")


def test_a_mistake_before_the_end_is_still_said_as_it_is(design, capsys):
    design.write_text('{"format": "layerloom-graph",\n "name": "x" "version": 1}\n')
    assert main(["validate", str(design)]) == 2
    assert capsys.readouterr().err == (
        f"error: {design}: line 2, column 14: invalid JSON: a comma is missing here, between "
        f"the item before and the next one\n")
