"""Export page (ui/pages/export.py) with AppTest: every format of the current design or of a
trained run, checked before its download appears, the files usable, and failures in words."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.graph.export import FORMAT_NAMES
from layerloom.runtime import RunStore, train

TIMEOUT = 120


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def page(graph_doc: dict | None = None) -> AppTest:
    def script(doc: str = ""):
        import streamlit as st

        from layerloom.graph import loads_graph
        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import export
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            graph = loads_graph(doc) if doc else load_template("seed-cnn")
            st.session_state.app = DesignerState.new(ProjectStore(), graph)
        export.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"doc": json.dumps(graph_doc or {}) if
                                                 graph_doc else ""},
                                 default_timeout=TIMEOUT).run()


def test_each_format_of_the_design_is_checked_before_its_download(home):
    at = page()
    assert not at.exception and not at.error
    assert [b.key for b in at.button] == ["export.all"] + [f"export.build.{f}"
                                                          for f in FORMAT_NAMES] + [
        "export.build.project"]  # the training project (ui/export_project.py), not in "all"
    at.button(key="export.build.onnx").click().run()
    assert [b.key for b in at.get("download_button")] == ["export.dl.onnx"]
    assert at.button(key="export.all").label == "Build and check the files"  # not "all":
    assert any("training project, last below, is built on its own" in c.value
               for c in at.caption)  # the project is said to be apart
    at.button(key="export.all").click().run()
    assert not at.error
    buttons = [b.key for b in at.get("download_button")]
    assert buttons == [f"export.dl.{f}" for f in FORMAT_NAMES]
    checks = [c.value for c in at.caption if c.value.startswith("checked: the file")]
    assert len(checks) == 6
    # in words, not "max abs diff 4.77e-07": exactly, or how near (rounding)
    assert checks[0].startswith("checked: the file gives exactly the model's outputs · ")
    assert checks[3].startswith("checked: the file gives the model's outputs to within ")
    assert "(seed-cnn.onnx)" in checks[3]
    assert float(checks[3].split("to within ")[1].split(" ")[0]) < 1e-4
    assert not any("abs diff" in c.value for c in at.caption)
    project = next(c.value for c in at.caption if "without LayerLoom" in c.value)
    assert project.startswith("A folder that trains the model without LayerLoom, on one GPU or "
                              "several (torchrun): model.py")  # not "(DDP with torchrun)"
    assert "(seed_cnn.py, seed_cnn.safetensors)" in checks[1]  # a module name: importable


def test_a_format_that_cannot_express_the_design_says_which_block(home, log_gamma_block):
    at = page(log_gamma_block)
    at.button(key="export.all").click().run()
    assert not at.exception
    assert len(at.error) == 1  # onnx (the bundle leaves out the parts that fail)
    message = at.error[0].value
    assert message == ("onnx export failed at gamma (LogGamma): Exporting the operator "
                       "'aten::lgamma' to ONNX opset version 17 is not supported")
    assert len(message) < 400 and "\n" not in message
    assert "export.dl.torchscript" in [b.key for b in at.get("download_button")]
    assert "export.dl.onnx" not in [b.key for b in at.get("download_button")]


def test_a_runs_onnx_file_computes_what_the_trained_model_does(home):
    import onnxruntime

    graph = {"format": "layerloom-graph", "version": 1, "name": "tiny", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}
    result = train(load_graph(graph), "iris", {"epochs": 2}, store=RunStore())
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    assert at.selectbox(key="export.run").value == result.run_id
    at.button(key="export.build.onnx").click().run()
    assert not at.error
    from layerloom.ui.pages.export import Source, _build

    source = Source(at.session_state.app.pages["runs"].exports["onnx"][0],
                    f"tiny-run{result.run_id}", run_id=result.run_id,
                    db=str(RunStore().path))
    built = _build(source, "onnx")  # the bytes behind the download button (cached)
    assert built.file_name == f"tiny-run{result.run_id}.onnx"
    session = onnxruntime.InferenceSession(built.data, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    want = result.model(torch.from_numpy(x)).detach().numpy()
    assert np.abs(got - want).max() < 1e-4
    # iris was standardised per feature: the file carries it and the page says so beside it
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["layerloom.normalization"])["kind"] == "feature"
    assert any(i.value.startswith("Trained on inputs standardised per feature: x = (raw - "
                                  "mean) / std") for i in at.info)
    assert any("metadata_props['layerloom.normalization']" in c.value for c in at.caption)
    at.button(key="export.build.bundle").click().run()
    bundle = _build(source, "bundle")
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert any(n.endswith("predict.py") for n in names) and any(n.endswith("README.md")
                                                                for n in names)


def test_a_runs_python_code_is_an_importable_module_that_names_its_data(home, tmp_path,
                                                                        monkeypatch):
    graph = {"format": "layerloom-graph", "version": 1, "name": "tiny-net", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}
    result = train(load_graph(graph), "iris", {"epochs": 1}, store=RunStore())
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    at.button(key="export.build.python").click().run()
    assert not at.error
    from layerloom.ui.pages.export import Source, _build

    source = Source(at.session_state.app.pages["runs"].exports["python"][0],
                    f"tiny-net-run{result.run_id}", run_id=result.run_id,
                    db=str(RunStore().path))
    built = _build(source, "python")
    stem = f"tiny_net_run{result.run_id}"
    assert built.files == (f"{stem}.py", f"{stem}.safetensors")
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        archive.extractall(tmp_path)
    code = (tmp_path / f"{stem}.py").read_text(encoding="utf-8")
    assert "# Input x: float32 [batch, 4], 4 features per sample\n" in code
    assert "# Data: iris\n" in code and "28×28" not in code
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    import sys

    from safetensors.torch import load_file

    module = importlib.import_module(stem)  # what a user does with the file
    try:
        model = module.TinyNet().eval()
        model.load_state_dict(load_file(str(tmp_path / f"{stem}.safetensors")))
        x = torch.randn(5, 4)
        assert torch.allclose(model(x), result.model.eval()(x), atol=1e-5)
    finally:
        sys.modules.pop(stem, None)


def test_without_runs_the_run_choice_says_what_to_do(home):
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    assert [i.value for i in at.info] == [
        "No run with trained weights yet: train one on the Train page."]


def test_a_design_with_errors_is_said_once_before_any_file(home):
    """A design that cannot be built offered every format's button, and each failed on its
    row naming a block for a whole-design problem ('python export failed at input1: the graph
    is not valid: … the graph has no Output node'). The page now says the design's problems
    once and offers no file to build."""
    doc = {"format": "layerloom-graph", "version": 1, "name": "half",
           "nodes": [{"id": "input1", "type": "Input"}, {"id": "linear1", "type": "Linear"}],
           "edges": [{"source": "input1", "target": "linear1"}]}
    at = page(doc)
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("The design has 2 problems to fix in the Designer before it can "
                            "be exported: ")
    assert "input1.shape: Input needs a shape" in error and "no Output node" in error
    assert not [b for b in at.button if b.key and b.key.startswith("export.build")]
    assert "export.all" not in [b.key for b in at.button]


def test_a_designs_file_is_named_as_the_command_line_names_it(home, monkeypatch):
    from layerloom.cli.export import slug
    from layerloom.graph import dumps_graph
    from layerloom.graph.templates import load_template
    from layerloom.ui.pages import export

    doc = json.loads(dumps_graph(load_template("seed-cnn")))
    doc["name"] = "../My Net!"
    built = []
    monkeypatch.setattr(export, "_build", lambda source, fmt, keep=export._build:
                        built.append(keep(source, fmt)) or built[-1])
    at = page(doc)
    at.button(key="export.build.onnx").click().run()
    assert not at.exception and built
    # the page's download and `layerloom export` name a design alike: no path, no capitals
    assert built[-1].file_name == "my-net.onnx" == f"{slug(doc['name'])}.onnx"
