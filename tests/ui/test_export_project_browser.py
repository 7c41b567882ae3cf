"""The Export page offers the training project as a zip: built, checked, downloaded in a real
browser (Chromium via Playwright, against ``layerloom.ui.serve`` with a fresh
``LAYERLOOM_HOME``) and unzipped; and, without a browser (AppTest), the row's build and its
message for a design without data, and a run's project with its weights and checkpoint."""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT_MS = 60_000
PROJECT_FILES = {"model.py", "train.py", "data.py", "config.json", "requirements.txt",
                 "README.md", "data/train.npz", "data/val.npz", "data/test.npz"}


def export_page(graph_doc: dict | None = None) -> AppTest:
    def script(doc: str = ""):
        import streamlit as st

        from layerloom.graph import loads_graph
        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import export
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            graph = loads_graph(doc) if doc else load_template("mlp-tabular")
            st.session_state.app = DesignerState.new(ProjectStore(), graph)
        export.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"doc": json.dumps(graph_doc) if graph_doc
                                                 else ""}, default_timeout=120).run()


def test_project_row_builds_a_zip_of_the_design(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    at = export_page()
    assert not at.exception
    at.button(key="export.build.project").click().run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "checked: model.py and data.py give LayerLoom's model and tensors" in captions


def test_project_row_says_when_the_design_names_no_data(tmp_path, monkeypatch):
    from layerloom.graph.templates import load_template

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    doc = load_template("mlp-tabular").to_dict()
    doc.pop("dataset", None)
    doc.get("extra", {}).pop("dataset", None)
    at = export_page(doc)
    assert not at.exception
    assert any("names no dataset" in c.value for c in at.caption)


def test_a_runs_project_carries_its_weights_and_checkpoint(tmp_path, monkeypatch):
    import torch

    from layerloom.runtime import RunStore, train

    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    graph = {"format": "layerloom-graph", "version": 1, "name": "tiny", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}
    result = train(graph, "iris", {"epochs": 2}, store=RunStore())
    at = export_page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    assert at.selectbox(key="export.run").value == result.run_id
    at.button(key="export.build.project").click().run()
    assert not at.exception and not at.error
    assert [b.key for b in at.get("download_button")] == ["export.dl.project"]
    from layerloom.ui.export_project import _cached
    from layerloom.ui.pages.export import Source

    key = at.session_state.app.pages["runs"].exports["project"][0]
    source = Source(key.split("/project/")[0], f"tiny-run{result.run_id}",
                    run_id=result.run_id, db=str(RunStore().path))
    built = _cached(key, source, None, {})  # the bytes behind the button (cached)
    assert built.file_name == f"tiny-run{result.run_id}-project.zip"
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        folder = f"tiny-run{result.run_id}-project"
        config = json.loads(archive.read(f"{folder}/config.json"))
        weights = torch.load(io.BytesIO(archive.read(f"{folder}/weights.pt")),
                             weights_only=True)
        assert f"{folder}/checkpoint.pt" in archive.namelist()
    assert config["exported_from"]["run_id"] == result.run_id
    assert torch.equal(weights["fc.weight"], result.model.state_dict()["fc.weight"])


@pytest.mark.browser
@pytest.mark.slow
def test_download_the_training_project_and_unzip_it(app_home, streamlit_app, browser,
                                                    browser_page, tmp_path):
    with streamlit_app(["layerloom.ui.serve"], home=app_home, start_s=90, stop_s=20) as url, \
            browser_page(browser, timeout_ms=TIMEOUT_MS, viewport={"width": 1500, "height": 1000},
                         accept_downloads=True) as page:
        page.goto(url)
        page.get_by_role("link", name="Export", exact=True).click()
        page.get_by_role("heading", name="Export", exact=True).wait_for()
        row = page.locator('[data-testid="stHorizontalBlock"]').filter(
            has=page.get_by_text("project", exact=True)).filter(has_text="train")
        row.get_by_role("button", name="Build and check", exact=True).click()
        try:  # the new project's seed-cnn on mnist-5k: the server loads the digits first
            page.get_by_text("checked: model.py and data.py").wait_for(timeout=300_000)
        except Exception:
            page.screenshot(path=os.environ.get("LAYERLOOM_DEBUG_SHOT",
                                                str(tmp_path / "fail.png")))
            raise
        row = page.locator('[data-testid="stHorizontalBlock"]').filter(
            has=page.get_by_text("project", exact=True)).filter(has_text="checked")
        with page.expect_download() as download:
            row.get_by_role("button", name="Download").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
    assert path.name.endswith("-project.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        folder = names[0].split("/")[0]
        assert {n.split("/", 1)[1] for n in names} >= PROJECT_FILES
        config = json.loads(archive.read(f"{folder}/config.json"))
        train = archive.read(f"{folder}/train.py").decode()
        with archive.open(f"{folder}/data/train.npz") as f:
            import numpy as np

            arrays = np.load(io.BytesIO(f.read()))
            x, y = arrays["x"], arrays["y"]
    assert config["model"]["input_shape"] == [1, 28, 28]
    assert config["data"]["classes"] == [str(d) for d in range(10)]
    assert x.shape[1:] == (1, 28, 28) and len(x) == len(y) == 3500
    assert "torch.distributed" in train and "layerloom" not in train.replace(
        "layerloom-checkpoint", "")
