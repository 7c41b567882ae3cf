"""The model graph view: colours as on the canvas, and its nodes and edges."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layerloom.graph import all_blocks
from layerloom.ui import model_view

FORMAT_JS = Path(model_view.__file__).resolve().parent / "canvas" / "frontend" / "src" / "format.js"


def _js_colors() -> tuple[dict, list]:
    source = FORMAT_JS.read_text(encoding="utf-8")
    table = source[source.index("CATEGORY_COLORS = {"):]
    table = table[:table.index("};")]
    pairs = re.findall(r'(?:"([^"]+)"|([A-Za-z]+))\s*:\s*"(#[0-9a-fA-F]{6})"', table)
    colors = {quoted or bare: color for quoted, bare, color in pairs}
    fallback = re.findall(r'"(#[0-9a-fA-F]{6})"', source[source.index("FALLBACK = ["):].split("]")[0])
    return colors, fallback


@pytest.mark.skipif(not FORMAT_JS.exists(), reason="the canvas sources are not here")
def test_colours_match_the_canvas():
    colors, fallback = _js_colors()
    assert model_view.CATEGORY_COLORS == colors
    assert list(model_view.FALLBACK) == fallback


def test_every_category_has_a_colour():
    for spec in all_blocks():
        assert re.fullmatch(r"#[0-9a-f]{6}", model_view.category_color(spec.category))
    assert model_view.category_color("Something new") in model_view.FALLBACK
