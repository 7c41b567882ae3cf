"""Export page: "Build and check the files" says, once done, how many files were built and
checked and which failed, and each Download button names the file it gives. The build (a minute
on a laptop) showed one spinner and then six rows of identical "Download" buttons, the python
row's zip of code and weights told from the others by its row alone."""

from __future__ import annotations

import os

from layerloom.graph.export import FORMAT_NAMES
from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train

from .test_pages_export import home, page  # noqa: F401 - the fixture and the page


def test_building_every_file_says_all_were_checked_and_each_download_names_its_file(home):  # noqa: F811
    at = page()
    at.button(key="export.all").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "All 6 files are built and checked: each one's Download is on its row below."]
    labels = {b.key.removeprefix("export.dl."): b.proto.label
              for b in at.get("download_button")}
    assert labels == {"json": "Download seed-cnn.json", "python": "Download seed-cnn-python.zip",
                      "torchscript": "Download seed-cnn.pt", "onnx": "Download seed-cnn.onnx",
                      "safetensors": "Download seed-cnn.safetensors",
                      "bundle": "Download seed-cnn.zip"}
    assert list(labels) == list(FORMAT_NAMES)


def test_a_build_that_fails_says_how_many_were_built_and_which_failed(home):  # noqa: F811
    store = RunStore(home / "runs.db")
    run = train(load_template("mlp-tabular"), "iris", {"epochs": 1}, store=store)
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    os.remove(store.get(run.run_id).checkpoint)  # deleted while the page is open
    at.button(key="export.all").click().run()
    assert not at.exception and not at.success
    assert [w.value for w in at.warning] == [
        "0 of 6 files are built and checked; json, python, torchscript, onnx, safetensors, "
        "bundle failed: each row below says why."]
