"""The Data page takes a folder on the machine running LayerLoom (AppTest): class counts from
file names, a preview grid of a few decoded images, the design's Input size by default, and
errors in words for a path that is not a folder of class folders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

TIMEOUT = 60


def page():
    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
        data.render(st.session_state.app)

    return AppTest.from_function(script, default_timeout=TIMEOUT)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))


def test_a_server_folder_is_counted_previewed_and_sized_to_the_design(tmp_path):
    root = tmp_path / "shapes"
    for label, count in (("circle", 7), ("square", 5)):
        (root / label).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((40, 30, 3), 30 * i, np.uint8)).save(
                root / label / f"{i}.png")
    at = page().run()
    at.radio(key="data.source").set_value("Folder on this machine").run()
    assert "Type the path of a folder" in at.info[0].value
    at.text_input(key="data.folder").input(str(tmp_path / "nowhere")).run()
    assert "No folder" in at.error[0].value
    at.text_input(key="data.folder").input(str(root)).run()
    # read without a word against it; the design's 10 classes for its 2 are a fix to make
    assert not at.exception and not [e for e in at.error if "**Fix:**" not in e.value]
    assert "12 images in 2 classes: circle 7, square 5" in [c.value for c in at.caption]
    metrics = [m.value for m in at.metric]
    assert metrics[:3] == ["classification", "[1, 28, 28] float32", "2"]  # seed-cnn's Input
    assert at.image and len(at.image[0].proto.imgs) == min(16, int(metrics[3].split(" / ")[0]))
    choice = at.session_state.app.pages["runs"].data
    assert choice.source == str(root) and choice.options["image_size"] == (28, 28)

    (root / "stray.png").write_bytes(b"")
    at.text_input(key="data.folder").input(str(root) + "/").run()
    assert "is not inside a class folder" in at.error[0].value
