"""The Results page's "Look inside" (ui/inside.py) with AppTest: Grad-CAM over a wrongly
classified sample, another class and method, a block's feature maps (the designer's selection),
the embedding of the test set, token attributions for a text model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore, train
from layerloom.ui.inside import overlay_figure, tokens_figure

from results_page import bag_of_words, tiny_cnn

TIMEOUT = 90


@pytest.fixture(scope="module")
def runs(scratch_home):
    with scratch_home("inside") as (home, store):
        ids = {"digits": train(tiny_cnn(), "digits", {"epochs": 1}, store=store).run_id}
        ids["text"] = train(bag_of_words(), "text-sentiment", {"epochs": 1},
                            store=store).run_id
        yield home, ids


def page(home, monkeypatch, run_id: int, selected=()) -> AppTest:
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))

    def script(run: int = 0, selected: tuple = ()):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import results
        from layerloom.ui.pagestate import PagesState
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
            app.pages["runs"] = PagesState(results_run=run)
            app.selected = list(selected)
            st.session_state.app = app
        results.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"run": run_id, "selected": tuple(selected)},
                                 default_timeout=TIMEOUT).run()


def spec_with(at, text):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart") if text in c.proto.spec]


def test_gradcam_over_a_most_confidently_wrong_sample(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["digits"], selected=["conv"])
    assert not at.exception and not at.error
    assert at.radio(key="inside.source").value == "Most confidently wrong"
    assert at.selectbox(key="inside.method").value == "gradcam"
    overlay = spec_with(at, "Grad-CAM for")
    assert len(overlay) == 1
    traces = overlay[0]["data"]
    assert [t["type"] for t in traces] == ["image", "heatmap"]
    assert np.asarray(traces[1]["z"]).shape == (8, 8)
    caption = [c.value for c in at.caption if "the model says" in c.value][0]
    assert "(true: " in caption and "with Grad-CAM at act" in caption
    # another class, another method
    at.radio(key="inside.which").set_value("true").run()
    at.selectbox(key="inside.method").set_value("ig").run()
    assert not at.exception and spec_with(at, "Integrated Gradients for")
    # the designer's selection is the block whose activations are shown
    assert at.selectbox(key="inside.block").value == "conv"
    maps = spec_with(at, "channel 3")
    assert maps and sum(t["type"] == "heatmap" for t in maps[0]["data"]) == 4
    # the embedding: every test sample (up to the limit), wrong ones as crosses
    emb = [s for s in spec_with(at, "scattergl") if "true class" in json.dumps(s)][0]
    n = RunStore(home / "runs.db").evaluation(ids["digits"])["n"]
    assert sum(len(t["x"]) for t in emb["data"]) == min(600, n)
    wrong = sum(sym == "x" for t in emb["data"] for sym in t["marker"]["symbol"])
    assert wrong == round(n * (1 - RunStore(home / "runs.db").evaluation(
        ids["digits"])["accuracy"]))


def test_text_model_highlights_tokens(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["text"])
    assert not at.exception and not at.error
    assert at.selectbox(key="inside.method").options == ["Integrated Gradients"]
    tokens = [s for s in spec_with(at, "texttemplate") if s["data"][0]["type"] == "heatmap"]
    assert tokens and len(tokens[0]["data"][0]["text"][0]) >= 1


def test_pure_figures():
    fig = overlay_figure(np.zeros((1, 4, 4), np.float32), np.eye(4), "t")
    assert [t.type for t in fig.data] == ["image", "heatmap"]
    tok = tokens_figure(["good", "film"], np.array([0.5, -0.1]))
    assert tok.data[0].zmin == -0.5 and tok.data[0].zmax == 0.5


def test_an_upload_that_is_no_image_is_named_as_uploaded(runs, monkeypatch):
    """The message named the copy the page reads (a temporary folder's path) and not what the
    model takes; it names the file as the user uploaded it, and the image the model takes."""
    home, ids = runs
    at = page(home, monkeypatch, ids["digits"])
    at.radio(key="inside.source").set_value("Upload").run()
    at.file_uploader(key="inside.upload").set_value(("notes.png", b"not a png",
                                                    "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "notes.png: not an image Pillow can read (cannot identify image file 'notes.png'); the "
        "model takes an image of [1, 8, 8] (a .png, .jpg… file, or a .npy array of that shape)"]


def test_an_npy_of_whole_number_pixels_without_its_channel_axis_is_read_as_trained(
        runs, monkeypatch):
    """A digit as the digits data hold it (whole numbers 0–16, [8, 8]) for the model of
    [1, 8, 8]: the uploader takes a .npy, scales and shapes it as training did, and says so;
    it was refused ('an array of [8, 8]') and scaled by nothing."""
    from layerloom.runtime.explain_run import load_run, shown_input

    home, ids = runs
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    ds = load_run(ids["digits"]).dataset
    digit = np.rint(shown_input(ds.x_test[0], ds)[0] * 16).astype(np.int64)
    assert digit.shape == (8, 8) and digit.max() > 1
    at = page(home, monkeypatch, ids["digits"])
    at.radio(key="inside.source").set_value("Upload").run()
    assert ".npy" in at.file_uploader(key="inside.upload").proto.type
    import io

    buffer = io.BytesIO()
    np.save(buffer, digit)
    at.file_uploader(key="inside.upload").upload("digit.npy", buffer.getvalue(),
                                                 "application/octet-stream").run()
    assert not at.exception and not at.error
    captions = [c.value.replace("\\", "") for c in at.caption]  # markdown's escapes
    assert "digit.npy: whole-number pixel values, divided by 16 as training divided its " \
           "images" in captions
    assert "digit.npy: [8, 8] is read as one grayscale image [H, W] and given a channel " \
           "axis: [1, 8, 8], as the model takes it" in captions
    assert any(c.startswith("digit.npy: the model says") for c in captions)
