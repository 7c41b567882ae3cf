"""The Results page's Try it for a text model says how the model reads the text typed (AppTest):
how many words, which it never saw in training (read as one unknown word), where a long text is
cut; and a text none of whose words the model learned gets no prediction but a warning. A
newcomer typing their own words ('xyzzy qwerty zork') was shown a bar chart of a confident
'negative', as if the model had read them."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.runtime import train

from results_page import results_page

TIMEOUT = 90


@pytest.fixture(scope="module")
def text_run(scratch_home):
    with scratch_home("try-text") as (home, store):
        nodes = [{"id": "x", "type": "Input", "params": {"shape": [32], "dtype": "int64"}},
                 {"id": "embed", "type": "Embedding",
                  "params": {"num_embeddings": 1000, "embedding_dim": 8}},
                 {"id": "pool", "type": "SequencePool", "params": {}},
                 {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                 {"id": "y", "type": "Output"}]
        edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
        bag = load_graph({"format": "layerloom-graph", "version": 1, "name": "bag",
                          "nodes": nodes, "edges": edges})
        yield home, train(bag, "text-sentiment", {"epochs": 1}, store=store).run_id


def page(home, monkeypatch, run_id: int) -> AppTest:
    at = results_page(home, monkeypatch, run_id, "lstm-text", TIMEOUT)
    assert not at.exception, at.exception
    return at


def probability_charts(at) -> list:
    return [c for c in at.get("plotly_chart") if c.proto.id.endswith("results.probs")
            or "results.probs" in c.proto.id]


def typed(at, words: str) -> AppTest:
    at.text_area(key="results.text").input(words).run()
    assert not at.exception, at.exception
    return at


def test_words_it_never_saw_are_named(text_run, monkeypatch):
    home, run_id = text_run
    at = typed(page(home, monkeypatch, run_id), "A great film, xyzzy!")
    said = [c.value for c in at.caption if c.value.startswith("The model reads ")]
    assert said == ["The model reads 4 words: 1 it never saw in training (xyzzy), read as one "
                    "unknown word."]
    assert probability_charts(at)


def test_a_text_of_words_it_never_learned_gets_a_warning_not_an_answer(text_run, monkeypatch):
    home, run_id = text_run
    at = typed(page(home, monkeypatch, run_id), "xyzzy qwerty zork")
    assert [w.value for w in at.warning] == [
        "The model reads 3 words: none is a word it learned in training, so its answer says "
        "nothing about this text. Use words of the training texts."]
    assert not probability_charts(at)
    at = typed(at, "!!! ???")
    assert [w.value for w in at.warning] == [
        "No words to read: the model reads letters and digits, and nothing else."]


def test_a_long_text_is_said_to_be_cut(text_run, monkeypatch):
    home, run_id = text_run
    at = typed(page(home, monkeypatch, run_id), " ".join(["great"] * 40))
    said = [c.value for c in at.caption if c.value.startswith("The model reads ")]
    assert said == ["The model reads 32 words (the first 32 of 40: it takes no more)."]
