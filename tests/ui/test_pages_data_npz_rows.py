"""Data page: an .npz of 8-bit images without a channel axis ([N, 28, 28] uint8, MNIST's
rows) is shown and checked against a design that reads the rows (an LSTM on Input [28, 28])
as training reads it for that design, [N, 28, 28]: no misfit saying to set the Input to
[1, 28, 28]."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_pages_data import load_errors, texts
from test_pages_data_npz_gray import mnist_like


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def script():
    import streamlit as st

    from layerloom.graph import load_graph
    from layerloom.ui.pages import data
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    if "app" not in st.session_state:
        design = load_graph({
            "format": "layerloom-graph", "version": 1, "name": "rows", "nodes": [
                {"id": "image", "type": "Input", "params": {"shape": [28, 28]}},
                {"id": "rows", "type": "LSTM", "params": {"hidden_size": 8}},
                {"id": "flat", "type": "Flatten"},
                {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                {"id": "out", "type": "Output"}],
            "edges": [{"source": a, "target": b} for a, b in
                      (("image", "rows"), ("rows", "flat"), ("flat", "fc"), ("fc", "out"))]})
        st.session_state.app = DesignerState.new(ProjectStore(), design)
    data.render(st.session_state.app)


def test_a_design_reading_the_rows_fits_them():
    at = AppTest.from_function(script, default_timeout=60).run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("mnist.npz", mnist_like()).run()
    assert not at.exception and not load_errors(at)
    misfits = [t for t in texts(at.error) if "[1, 28, 28]" in t or "channel_axis" in t]
    assert not misfits, misfits
    assert texts(at.metric)[1] == "[28, 28] float32"  # the page shows what training reads
