"""Export page: each file's row says which input sizes the file takes, found by running it, and
warns where the file takes fewer lengths than the model (an ONNX file fixed to the design's 32
tokens): a user learnt it when onnxruntime refused a longer review in their program."""

from __future__ import annotations

import json

import layerloom.graph.export.onnx as onnx_format
from layerloom.graph import dumps_graph
from layerloom.graph.templates import load_template

from .test_pages_export import home, page  # noqa: F401 - the fixture and the page


def _lstm(vocab: int) -> dict:
    graph = load_template("lstm-text")
    graph.variables.update(vocab=vocab, embed_dim=8, hidden=8)  # a design of its own: not cached
    return json.loads(dumps_graph(graph))


def test_each_row_says_what_sizes_its_file_takes(home):  # noqa: F811
    at = page(_lstm(61))
    for fmt in ("torchscript", "onnx"):
        at.button(key=f"export.build.{fmt}").click().run()
    assert not at.exception and not at.error and not at.warning
    takes = [c.value for c in at.caption if c.value.startswith("Takes ")]
    assert takes == ["Takes any batch size, and tokens of any length (checked at 32, 16, "
                     "64)."] * 2


def test_a_file_fixed_to_one_length_is_a_warning_on_its_row(home, monkeypatch):  # noqa: F811
    monkeypatch.setattr(onnx_format, "free_lengths", lambda *args: None)
    at = page(_lstm(67))
    at.button(key="export.build.onnx").click().run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [
        "This file takes any batch size, but only tokens of exactly 32: pad or cut them to 32 "
        "(the model itself takes other lengths: 16 and 64 were checked; this file refuses "
        "them or gives other outputs)."]
    assert not [c.value for c in at.caption if c.value.startswith("Takes ")]
