"""Data page (ui/pages/data.py) driven by Streamlit's AppTest: built-ins, uploads, previews and
the one-click fit of the design's Input (and class count) to the data."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

TIMEOUT = 60


def page(template: str):
    """The Data page on an app state holding ``template`` as its design."""

    def script(template_name: str = "seed-cnn"):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template(template_name))
        data.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"template_name": template},
                                 default_timeout=TIMEOUT)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def load_errors(at) -> list[str]:
    """The page's errors but the design's misfits with the data (each says its fix)."""
    return [t for t in texts(at.error) if "**Fix:**" not in t]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_the_template_dataset_is_chosen_previewed_and_fits():
    at = page("seed-cnn").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="data.builtin").value == "mnist-5k"
    assert texts(at.metric)[:3] == ["classification", "[1, 28, 28] float32", "10"]
    assert texts(at.metric)[3] == "3500 / 500 / 1000"
    assert at.metric[3].label == "Samples: training / validation / test"  # in words
    images = at.image
    assert len(images) == 1 and len(images[0].proto.imgs) == 16
    assert images[0].proto.imgs[0].caption in [str(d) for d in range(10)]
    charts = at.get("plotly_chart")
    assert len(charts) == 1 and '"Samples per class"' in charts[0].proto.spec
    assert texts(at.success) == [
        "The design's Input takes mnist-5k: [1, 28, 28] float32. Its output gives one value per "
        "class (10)."]


def test_a_dataset_that_does_not_fit_names_both_shapes_and_one_click_fixes_it():
    at = page("mlp-tabular").run()
    assert at.selectbox(key="data.builtin").value == "iris"
    at.selectbox(key="data.builtin").select("wine").run()
    assert texts(at.error) == [
        "**features**: the Input is \\[4\\] but wine gives \\[13\\] per sample.  \n"
        "**Fix:** set features's shape to \\[13\\] (through the variable features = 13)."]
    at.button(key="data.fit").click().run()
    app = at.session_state.app
    assert app.graph.variables["features"] == 13  # changed through the variable the Input reads
    assert len(app.undo_stack) == 1  # committed through the designer: undoable, saved
    assert app.store.load(app.project_id).graph.variables["features"] == 13
    assert texts(at.info)[0] == "The design now takes wine and is valid."
    assert texts(at.success) == [
        "The design's Input takes wine: [13] float32. Its output gives one value per class (3)."]


def test_the_fix_sets_the_class_count_and_reports_remaining_design_problems():
    at = page("mlp-tabular").run()
    at.selectbox(key="data.builtin").select("spirals").run()
    warnings = texts(at.error)
    assert "spirals gives \\[2\\] per sample" in warnings[0]
    assert warnings[1] == ("**head**: the design's output has 3 values per sample but spirals "
                           "has 2 classes.  \n**Fix:** set the variable classes to 2 (it sets "
                           "head's out_features).")
    at.button(key="data.fit").click().run()
    assert at.session_state.app.graph.variables["classes"] == 2
    assert not at.warning



def test_fitting_seed_cnn_to_digits_leaves_a_valid_design_that_trains():
    """The function the button uses: seed-cnn (28×28) fitted to the 8×8 digits validates with
    no error (pool2's window still has a map to pool) and trains a batch."""
    import torch

    from layerloom.graph import compile_graph, validate
    from layerloom.graph.templates import load_template
    from layerloom.runtime.data import load_dataset
    from layerloom.ui.datafit import fit_design

    ds = load_dataset("digits")
    graph = load_template("seed-cnn")
    fixed = fit_design(graph, ds)
    assert fixed is not None and validate(fixed).errors == []
    model = compile_graph(fixed)
    x, y = ds.split("train")
    out = model(x[:32])
    assert out.shape == (32, 10)
    loss = torch.nn.functional.cross_entropy(out, y[:32])
    loss.backward()
    assert torch.isfinite(loss)


def test_the_fit_button_on_digits_names_each_edit_and_leaves_the_design_valid():
    at = page("seed-cnn").run()
    at.selectbox(key="data.builtin").select("digits").run()
    assert "and set conv2's padding to 1 (keeps its 3×3 input's size, so that pool2's 2×2 " \
        "window fits)" in texts(at.error)[0]
    button = at.button(key="data.fit")
    assert "- set image's shape to \\[1, 8, 8\\]" in button.help
    assert "- set conv2's padding to 1" in button.help
    button.click().run()
    assert not at.exception
    app = at.session_state.app
    assert app.graph.node("image").params["shape"] == [1, 8, 8]
    assert app.graph.node("conv2").params["padding"] == 1
    assert app.report().ok
    assert texts(at.info)[0] == "The design now takes digits and is valid."
    assert texts(at.success)[0].startswith("The design's Input takes digits")


def test_no_fit_button_where_no_few_edits_make_the_design_valid():
    at = page("seed-cnn").run()
    at.selectbox(key="data.builtin").select("iris").run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "data.fit"]
    assert "then change the layers that do not work on it in the Designer" in \
        texts(at.error)[0]
    assert "or pick data of the size the design was made for" in texts(at.error)[0]


def test_builtin_options_are_drawn_from_their_declaration():
    at = page("mlp-tabular").run()
    at.selectbox(key="data.builtin").select("spirals").run()
    at.number_input(key="data.opt.spirals.arms").set_value(3).run()
    assert not at.exception
    assert at.session_state.app.pages["runs"].data.options == {"arms": 3}
    assert texts(at.metric)[2] == "3"


def test_a_csv_upload_offers_its_columns_and_previews_the_table(home):
    rows = "\n".join(f"{i},{i * 2.5},{'yes' if i % 2 else 'no'}" for i in range(40))
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    assert "Upload a CSV" in texts(at.info)[0]
    at.file_uploader(key="data.file").upload("people.csv", b"age,height,smoker\n" + rows.encode(),
                                             "text/csv").run()
    assert not at.exception and not load_errors(at)
    target = at.selectbox(key="data.opt.people.csv.target")
    assert target.options == ["(default)", "age", "height", "smoker"]
    table = at.dataframe[0].value
    assert list(table.columns) == ["age", "height", "class"]
    assert set(table["class"]) <= {"no", "yes"}
    assert [p.name for p in (home / "uploads").glob("*/*")] == ["people.csv"]
    target.select("age").run()  # 40 distinct numbers: regression
    assert texts(at.metric)[0] == "regression"


def test_an_image_zip_upload_shows_a_grid_and_takes_size_and_colour(home):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label in ("cat", "dog"):
            for i in range(6):
                pixels = np.full((10, 12, 3), 40 * i, dtype=np.uint8)
                png = io.BytesIO()
                Image.fromarray(pixels).save(png, format="PNG")
                archive.writestr(f"{label}/{i}.png", png.getvalue())
    at = page("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("pets.zip", buffer.getvalue()).run()
    assert not at.exception and not load_errors(at)
    at.number_input(key="data.opt.pets.zip.image_size").set_value(16).run()
    at.selectbox(key="data.opt.pets.zip.color").select("grayscale").run()
    assert texts(at.metric)[1] == "[1, 16, 16] float32"
    captions = {img.caption for img in at.image[0].proto.imgs}
    assert captions <= {"cat", "dog"}
    assert "**Fix:** set image's shape to \\[1, 16, 16\\]." in texts(at.error)[0]


def test_an_unreadable_upload_is_an_error_in_words():
    at = page("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("broken.npz", b"not an npz file").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Could not read broken.npz: ")


def test_a_ragged_csv_is_said_below_the_file_box_and_logged_in_one_line(caplog):
    """An ordinary input error: said as "Could not read …" where the file was chosen (before
    the CSV's options, which push anything below them off a 720 px screen), no "failed", and
    the log gets one line, not a traceback."""
    at = page("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    caplog.set_level("INFO", logger="layerloom.ui")
    at.file_uploader(key="data.file").upload(
        "ragged.csv", b"a,b,label\n1,2,x\n3,4,y\n5,6,7,z\n").run()
    assert not at.exception
    [error] = texts(at.error)
    assert error == ("Could not read ragged.csv: line 4: 4 values, but the header has 3 "
                     "columns")
    # drawn right under the file box: before the CSV options (kind, target, task…)
    kinds = [type(e).__name__ for e in at.main]
    assert "Error" in kinds and kinds.index("Error") < kinds.index("Selectbox"), kinds
    records = [r for r in caplog.records if "ragged.csv" in r.getMessage()]
    assert records and all(r.exc_info is None and r.levelname == "WARNING" for r in records)
    assert "failed" not in records[0].getMessage()


@pytest.mark.parametrize("content", [b"", b"\n\n\n"], ids=["empty", "blank-lines"])
def test_an_empty_csv_is_said_in_words_and_the_page_stays(content):
    """A file with no header at all: the column drop-downs find none, and the loader says
    what is wrong (Python's csv sniffer raised "Could not determine delimiter" before)."""
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("empty.csv", content, "text/csv").run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("Could not read empty.csv: ") and "empty" in error[26:], error
    assert "delimiter" not in error and "failed" not in error
    assert at.selectbox  # the CSV's options are still drawn below


def test_the_file_is_named_once_in_an_error_that_starts_with_its_name():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("tiny.csv", b"a;b;c\n1;2;x\n3;4;y\n",
                                             "text/csv").run()
    assert not at.exception
    [error] = texts(at.error)
    assert error.startswith("Could not read tiny.csv: 2 samples are too few"), error


def test_a_csv_with_blanks_says_beside_its_preview_how_they_were_filled():
    bad = (b"age,city,income,bought\n34,Paris,52000,yes\n28,Lyon,,no\n45,Paris,61000,yes\n"
           b"23,Nice,31000,no\n51,Lyon,72000,yes\n")
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("bad.csv", bad, "text/csv").run()
    assert not at.exception and not load_errors(at)
    [note] = [i.value for i in at.info if "How the values were read" in i.value]
    assert note == (
        "**How the values were read:**\n\n"
        "- city: 1 value seen only outside training ('Nice'; line 5) encoded as none of the "
        "known categories\n"
        "- 1 missing value in income (line 3) filled with the training mean (62000)")
    # a clean file: no such note
    at.file_uploader(key="data.file").upload(
        "clean.csv", b"a,b,label\n" + b"\n".join(f"{i},{i % 3},{'xy'[i % 2]}".encode()
                                               for i in range(30)), "text/csv").run()
    assert not at.exception and not load_errors(at)
    assert not [i for i in at.info if "How the values were read" in i.value]


def test_the_split_boxes_are_drawn_with_the_values_they_show(home):
    """After a file that cannot be read, the page around the split's boxes changes and the
    browser may draw them anew from their declared value: that value is what they show (the
    user's 0.25), never their minimum (a 0 / 0 split, which left later files without
    validation and test rows). The source radio likewise."""
    rows = "\n".join(f"{i},{i * 2.5},{'yes' if i % 2 else 'no'}" for i in range(40))
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("empty.csv", b"", "text/csv").run()
    assert at.error and "empty.csv" in at.error[0].value
    at.file_uploader(key="data.file").upload("people.csv", b"a,b,c\n" + rows.encode(),
                                             "text/csv").run()
    assert not load_errors(at)
    at.number_input(key="data.val").set_value(0.25).run()
    for key, value in (("data.seed", 0), ("data.val", 0.25), ("data.test", 0.2)):
        box = at.number_input(key=key)
        assert box.value == value
        assert box.proto.default == value, key  # what a box drawn anew starts from
    assert at.radio(key="data.source").proto.default == 1  # "Upload a file"
    assert texts(at.metric)[3] == "22 / 10 / 8"  # train / val / test of 40 rows


def test_an_uploaded_file_keeps_the_users_name_in_what_is_said(home):
    """``fötos mixed.csv`` is quoted as the user named it (not ``f_tos_mixed.csv``); only a
    path, control characters and a leading dot are taken out."""
    from layerloom.ui.uploads import display_name, save_upload

    assert display_name(save_upload("fötos mixed (2).csv", b"a")) == "fötos mixed (2).csv"
    assert display_name(save_upload("C:\\Users\\me\\dätä.csv", b"b")) == "dätä.csv"
    for hostile in ("../../etc/passwd", "..", ".hidden", "a/b\x00c.csv"):
        path = save_upload(hostile, b"c" + hostile.encode())
        assert path.parent.parent == home / "uploads" and "\x00" not in path.name
        assert not path.name.startswith(".")
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("dätä leer.csv", b"", "text/csv").run()
    assert at.error[0].value.startswith("Could not read dätä leer.csv:")


def test_where_a_fix_needs_a_block_the_button_does_not_promise_a_design_that_fits():
    """An iris MLP (Input [4] → Linear → ReLU → Linear) with mnist-5k chosen: the Input's shape
    can be set in one click, but its Linear then needs a Flatten (a block to add). The button says it makes the one fix, and the
    Flatten is named as the user's to add; pressed, it sets the shape and leaves the Flatten
    fix standing."""
    import json

    from layerloom.graph import loads_graph

    at = page("seed-cnn").run()
    mlp = {"format": "layerloom-graph", "version": 1, "name": "iris-mlp", "nodes": [
        {"id": "input1", "type": "Input", "params": {"shape": [4]}},
        {"id": "linear1", "type": "Linear", "params": {"out_features": 32}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "linear2", "type": "Linear", "params": {"out_features": 3}},
        {"id": "output1", "type": "Output"}], "edges": [
        {"source": a, "target": b} for a, b in [("input1", "linear1"), ("linear1", "relu1"),
                                                ("relu1", "linear2"), ("linear2", "output1")]]}
    at.session_state.app.commit(loads_graph(json.dumps(mlp)))
    at.selectbox(key="data.builtin").select("mnist-5k").run()
    problems = texts(at.error)
    assert any("add Flatten (or global pooling) before" in w for w in problems)
    button = at.button(key="data.fit")
    assert button.label == "Make the 1 fix that needs no new block"
    assert any("add Flatten (or global pooling) before" in c and "yours to make in the "
               "Designer" in c for c in texts(at.caption))
    button.click().run()
    app = at.session_state.app
    assert app.graph.node("input1").params["shape"] == [1, 28, 28]
    assert texts(at.info)[0] == ("The Input now takes mnist-5k; what is left needs a change in "
                                 "the Designer.")
    assert any("add Flatten (or global pooling) before" in w for w in texts(at.error))
