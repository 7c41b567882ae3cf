"""An Input without a shape names what the shape is for each kind of data, texts included: a
newcomer building a Transformer was told '[1, 28, 28] for images or [16] for features' and had
to guess that a text's token ids are [length] with dtype int64."""

from __future__ import annotations

from layerloom.graph import validate


def test_an_input_without_a_shape_says_how_a_text_input_is_written():
    report = validate({"format": "layerloom-graph", "version": 1, "name": "t",
                       "nodes": [{"id": "tokens", "type": "Input"},
                                 {"id": "y", "type": "Output"}],
                       "edges": [{"source": "tokens", "target": "y"}]})
    assert [str(p) for p in report.errors] == [
        "tokens.shape: Input needs a shape, e.g. [1, 28, 28] for images, [16] for features, or "
        "[64] with dtype int64 for texts (64 token ids each, into an Embedding)"]
