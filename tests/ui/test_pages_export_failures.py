"""Export page: what a download holds is said whole, and a build that fails says which format
and why. A bundle whose ONNX part failed was offered as "verified" without a word that its
model.onnx was left out (the CLI says it); a failure that was not the export's own (the run's
checkpoint deleted, a full disk) said only its own words on each row of "Build and check the
files", naming no format; neither leaves a download of a half-built file."""

from __future__ import annotations

import os

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train

from .test_pages_export import home, page  # noqa: F401 - the fixture and the page


def test_a_bundle_missing_a_part_says_which_and_why(home, log_gamma_block):  # noqa: F811
    at = page(log_gamma_block)
    at.button(key="export.build.bundle").click().run()
    assert not at.exception and not at.error
    assert [w.value.replace("\\", "") for w in at.warning] == [  # Markdown's escapes
        "Left out of this bundle: model.onnx, because bundle/onnx export failed at gamma "
        "(LogGamma): Exporting the operator 'aten::lgamma' to ONNX opset version 17 is not "
        "supported"]
    [download] = at.get("download_button")
    assert download.proto.label == "Download gamma.zip"  # the zip, short of model.onnx


def test_a_run_whose_checkpoint_is_gone_names_each_format_that_failed(home):  # noqa: F811
    store = RunStore(home / "runs.db")
    run = train(load_template("mlp-tabular"), "iris", {"epochs": 1}, store=store)
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    assert at.selectbox(key="export.run").value == run.run_id
    os.remove(store.get(run.run_id).checkpoint)  # deleted while the page is open
    at.button(key="export.all").click().run()
    assert not at.exception
    assert at.get("download_button") == []  # nothing offered for download
    errors = [e.value for e in at.error]
    assert [e.split(":")[0] for e in errors] == [
        f"{fmt} export failed" for fmt in ("json", "python", "torchscript", "onnx",
                                           "safetensors", "bundle")]
    assert all(f"run {run.run_id} (completed) saved no checkpoint" in e for e in errors[1:])


def test_a_project_that_cannot_be_built_says_so_on_its_row(home):  # noqa: F811
    doc = load_template("mlp-tabular").to_dict()
    doc["dataset"] = str(home / "gone.csv")  # the data the design names, since moved away
    at = page(doc)
    at.button(key="export.build.project").click().run()
    assert not at.exception
    assert "export.dl.project" not in [b.key for b in at.get("download_button")]
    assert [e.value for e in at.error] == [
        "project export failed: gone.csv: no such file"]
