"""Text templates with attention or a recurrent layer give a text the same answer however much
padding follows it: a PaddingMask of the token ids tells the attention which steps are padding,
and what is pooled reads no padded step; it tells an LSTM where each text ends, so its final
state is the last word's, read both ways. Without the mask, transformer-text attended to its
padding and lstm-text read through it (its backward direction started at the padding), so the
same review padded to 32 tokens and to 12 got different logits."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph
from layerloom.graph.templates import load_template, template_names

ATTENTION = {"MultiheadAttention", "ScaledDotProductAttention", "TransformerEncoderLayer"}
RECURRENT = {"LSTM", "GRU", "RNN"}


def _text_read_in_order(name: str) -> bool:
    graph = load_template(name)
    takes_ids = any(n.type == "Input" and n.params.get("dtype") == "int64" for n in graph.nodes)
    return takes_ids and any(n.type in ATTENTION | RECURRENT for n in graph.nodes)


TEXT = [name for name in template_names() if _text_read_in_order(name)]
SENTENCES = [[5, 17, 42, 9, 300, 7], [12, 4, 88], [2, 3, 4, 5, 6, 7, 8, 9, 10]]


def _padded(length: int) -> torch.Tensor:
    ids = torch.zeros(len(SENTENCES), length, dtype=torch.long)  # <pad> is id 0
    for row, words in enumerate(SENTENCES):
        ids[row, :len(words)] = torch.tensor(words)
    return ids


def test_both_text_templates_are_among_those_checked():
    assert {"transformer-text", "lstm-text"} <= set(TEXT)


@pytest.mark.parametrize("name", TEXT)
def test_a_text_gets_the_same_logits_however_far_it_is_padded(name):
    graph = load_template(name)
    length = graph.variables["length"]
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    with torch.no_grad():
        full = model(_padded(length))  # as the dataset pads it: to the template's length
        short = model(_padded(12))  # the same texts with less padding
        alone = [model(torch.tensor([words])) for words in SENTENCES]  # no padding at all
    assert full.shape == (len(SENTENCES), graph.variables["classes"])
    torch.testing.assert_close(short, full, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat(alone), full, atol=1e-5, rtol=0)


def test_transformer_text_feeds_its_encoder_a_padding_mask_of_the_ids():
    graph = load_template("transformer-text")
    feeds = {(e.source, e.target, e.port) for e in graph.edges}
    mask = next(n for n in graph.nodes if n.type == "PaddingMask")
    assert mask.params["pad_value"] == 0  # the text datasets' <pad> id
    assert ("tokens", mask.id, None) in feeds
    assert (mask.id, "encoder", "src_key_padding_mask") in feeds


def test_lstm_text_feeds_its_lstm_a_padding_mask_of_the_ids():
    graph = load_template("lstm-text")
    feeds = {(e.source, e.target, e.port) for e in graph.edges}
    mask = next(n for n in graph.nodes if n.type == "PaddingMask")
    assert mask.params["pad_value"] == 0
    assert ("tokens", mask.id, None) in feeds
    assert (mask.id, "lstm", "padding_mask") in feeds
