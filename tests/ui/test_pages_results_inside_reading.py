"""Look inside's attribution figures say how to read them (AppTest of the Results page). A
Grad-CAM overlay, a word's colour and a feature's bar were drawn with no scale, axis title or
words: nothing said that red meant "toward the class" and blue "away from it"; a signed map
(Integrated Gradients) was coloured by Jet over its range, so its 0 fell on whatever colour
the middle of that range had; and the test set's importance chart drew every bar red, the
colour the chart above it uses for "toward the class"."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.runtime import train

from results_page import bag_of_words, chain, results_page, tiny_cnn

TIMEOUT = 90


@pytest.fixture(scope="module")
def runs(scratch_home):
    with scratch_home("inside-reading") as (home, store):
        ids = {"digits": train(tiny_cnn(), "digits", {"epochs": 1}, store=store).run_id}
        ids["text"] = train(bag_of_words(), "text-sentiment", {"epochs": 1},
                            store=store).run_id
        mlp = chain("mlp", [4], [("fc", "Linear", {"out_features": 3})])
        ids["iris"] = train(mlp, "iris", {"epochs": 2}, store=store).run_id
        yield home, ids


def page(home, monkeypatch, run_id: int) -> AppTest:
    at = results_page(home, monkeypatch, run_id, timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def figure(at, key: str) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)
               or key in c.proto.id]
    return json.loads(chart.proto.spec)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_an_images_maps_have_a_scale_and_words(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["digits"])
    target = at.radio(key="inside.which")  # the predicted class, named in the caption
    assert target.value == "predicted"
    heat = figure(at, "inside.overlay")["data"][1]
    assert heat["showscale"] is True
    assert heat["colorbar"]["ticktext"] == ["not used", "counted most"]
    assert heat["zmin"] == 0
    assert any(c.startswith("Where the model looked to decide ") for c in captions(at))
    # a signed map: red for, blue against, around a white 0
    at.selectbox(key="inside.method").set_value("ig").run()
    assert not at.exception
    heat = figure(at, "inside.overlay")["data"][1]
    assert heat["colorbar"]["ticktext"] == ["against", "0", "for"]
    assert heat["zmin"] == -heat["zmax"] and heat["colorscale"]
    assert any(c.startswith("Each pixel's push: red toward ") for c in captions(at))


def test_a_texts_words_say_which_colour_is_which(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["text"])
    said = [c for c in captions(at) if c.startswith("Red words pushed the model toward ")]
    assert said and said[0].endswith(", blue ones away from it; the deeper the colour, the "
                                     "stronger the push.")


def test_a_tables_bars_say_which_way_is_which(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["iris"])
    bars = figure(at, "inside.features")
    title = bars["layout"]["xaxis"]["title"]["text"]
    assert title.startswith("← away from ") and " · toward " in title
    assert any(c.startswith("Each feature's push for this sample: red bars toward ")
               for c in captions(at))
    importance = figure(at, "inside.importance")
    assert importance["data"][0]["marker"]["color"] == "#7f7f7f"  # sizes, not "for the class"
    assert importance["layout"]["xaxis"]["title"]["text"] == \
        "how much it moves the output, either way"


def test_a_long_texts_words_are_laid_out_in_rows_each_whole():
    """32 tokens in one row gave each cell 30 px at 1024 px: words were cut and ran over their
    neighbours. They come in rows of 12, in reading order, each cell wide enough for a word."""
    import numpy as np

    from layerloom.ui.inside import tokens_figure

    words = [f"word{i}" for i in range(32)]
    heat = tokens_figure(words, np.linspace(-1, 1, 32)).data[0]
    rows = [list(r) for r in heat.text]
    assert len(rows) == 3 and all(len(r) == 12 for r in rows)
    assert [w for r in rows for w in r if w] == words  # every word, in reading order
    assert heat.z[0][0] == -1 and heat.z[2][7] == 1 and heat.z[2][8] is None  # 32 = 12+12+8
