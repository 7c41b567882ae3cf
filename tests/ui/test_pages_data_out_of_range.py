"""The Data page's number boxes take a value typed out of range and say it below the box, naming
the setting, its range and the value ("validation share must be between 0 and 0.9, got 0.95");
nothing is loaded from it, and the Train page does not start on the data until it is fixed.

The boxes had min_value/max_value: the browser refused such a value on its own, keeping 0.95 in
the box with "Press Enter to apply" while Enter did nothing and the split before it was used,
unseen, by the page and by Train."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 60


def app(template: str = "mlp-tabular") -> AppTest:
    """One browser session: the Data page, or the Train page where ``page`` says so."""

    def script(template_name: str = ""):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data, train
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template(template_name))
        (train if st.session_state.get("page") == "train" else data).render(
            st.session_state.app)

    return AppTest.from_function(script, kwargs={"template_name": template},
                                 default_timeout=TIMEOUT)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def to_train(at: AppTest) -> AppTest:
    at.session_state["page"] = "train"
    return at.run()


@pytest.mark.parametrize("key, value, said", [
    ("data.val", 0.95, "validation share must be between 0 and 0.9, got 0.95"),
    ("data.test", 1.5, "test share must be between 0 and 0.9, got 1.5"),
    ("data.val", -0.1, "validation share must be between 0 and 0.9, got -0.1"),
    ("data.seed", -1, "seed must be at least 0, got -1"),
])
def test_a_split_value_out_of_range_is_said_and_nothing_is_loaded(key, value, said):
    at = app().run()
    assert not at.exception and not at.error
    before = at.session_state.app.pages["runs"].data
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert texts(at.error) == [said]
    assert at.number_input(key=key).value == value  # the box shows what was typed
    assert not at.metric  # nothing loaded from it, nor the split before it shown
    assert at.session_state.app.pages["runs"].data == before  # not remembered


def test_shares_that_leave_nothing_to_train_on_are_said():
    at = app().run()
    at.number_input(key="data.val").set_value(0.5).run()
    at.number_input(key="data.test").set_value(0.5).run()
    assert texts(at.error) == ["validation share + test share must be below 1 to leave samples "
                               "to train on, got 0.5 + 0.5"]


def test_a_refused_split_turns_train_off_until_it_is_fixed():
    at = app().run()
    at.number_input(key="data.val").set_value(0.95).run()
    to_train(at)
    assert not at.exception
    start = at.button(key="train.start")
    assert start.disabled
    assert start.help == ("The Data page has a value out of range: validation share must be "
                          "between 0 and 0.9, got 0.95. Fix it there to train.")
    assert any("validation share must be between 0 and 0.9, got 0.95" in c
               for c in texts(at.caption))
    at.session_state["page"] = "data"
    at.run()
    assert texts(at.error) == ["validation share must be between 0 and 0.9, got 0.95"]
    at.number_input(key="data.val").set_value(0.25).run()
    assert not at.error and at.metric
    assert at.session_state.app.pages["runs"].data.val_fraction == 0.25
    to_train(at)
    assert not at.button(key="train.start").disabled


def test_a_builtin_option_out_of_range_is_said_below_its_box():
    at = app().run()
    at.selectbox(key="data.builtin").select("spirals").run()
    at.number_input(key="data.opt.spirals.arms").set_value(20).run()
    assert not at.exception
    assert texts(at.error) == ["arms must be between 2 and 10, got 20"]
    assert at.number_input(key="data.opt.spirals.arms").value == 20
    assert not at.metric
    to_train(at)
    assert at.button(key="train.start").disabled
    assert "arms must be between 2 and 10, got 20" in at.button(key="train.start").help


def test_an_image_size_out_of_range_is_said_below_its_box(home):
    import io
    import zipfile

    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for label in ("cat", "dog"):
            for i in range(6):
                img = io.BytesIO()
                Image.new("RGB", (8, 8), (i * 30, 0, 0)).save(img, "PNG")
                zf.writestr(f"{label}/{i}.png", img.getvalue())
    at = app("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("pets.zip", buf.getvalue(), "application/zip").run()
    assert not at.exception
    at.number_input(key="data.opt.pets.zip.image_size").set_value(5000).run()
    assert not at.exception
    assert texts(at.error) == ["image size must be between 1 and 4096, got 5000"]
    at.number_input(key="data.opt.pets.zip.image_size").set_value(0).run()
    assert texts(at.error) == ["image size must be between 1 and 4096, got 0"]
