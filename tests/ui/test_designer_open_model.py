"""The project panel's "Open a model (ONNX)" with Streamlit's AppTest: a user's trained model,
exported from PyTorch with a free batch, opens as a new project that carries its weights (the
stored design compiled with the stored weights gives the model's outputs), laid out by the
canvas, with the import's result as its notice; a file that does not import leaves its message
under the uploader, creates no project and keeps the open design. The ``home`` and ``canvas``
fixtures are in tests/ui/conftest.py."""

from __future__ import annotations

import io
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from layerloom.graph import compile_graph, load_graph
from layerloom.graph.import_torch.finetune import load_fitting, read_weights
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test, shown, toasted

LABEL = "Open a model (ONNX)"


class Tiny(nn.Module):
    """Conv, ReLU, pool, Flatten, Linear: a user's small image classifier."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


class Fixed(nn.Module):
    """Reshapes to a batch of 1 written as a number: exported without dynamic_axes, it runs
    only on the batch it was exported with."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x).reshape(1, -1)


class Reciprocal(nn.Module):
    """1 / x: an ONNX op that no block does."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return 1 / self.fc(x)


class Table(nn.Module):
    """A learned table added to the sequence: the file does not say whether it was learned."""

    def __init__(self):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(3, 6))
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(x + self.pos).mean(1)


def huge() -> bytes:
    """A file of a few hundred bytes whose ConstantOfShape would take 37.3 GiB."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["big"], name="big"),
             helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0, name="sum"),
             helper.make_node("Add", ["x", "total"], ["y"], name="add")]
    graph = helper.make_graph(
        nodes, "huge", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(np.array([100000, 100000], dtype=np.int64), "shape")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def export(model: nn.Module, shape: tuple, *, free_batch: bool = True) -> bytes:
    buffer = io.BytesIO()
    axes = {"x": {0: "batch"}, "y": {0: "batch"}} if free_batch else None
    torch.onnx.export(model.eval(), (torch.randn(*shape),), buffer, dynamo=False,
                      input_names=["x"], output_names=["y"], dynamic_axes=axes)
    return buffer.getvalue()


@pytest.fixture
def app(home, canvas) -> AppTest:
    at = app_test(timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def uploader(at: AppTest):
    return next(u for u in at.file_uploader if shown(u.label) == LABEL)


def said(at: AppTest, kind: str) -> str:
    return "\n".join(shown(e.value) for e in getattr(at, kind))


def test_an_onnx_model_opens_as_a_new_project_with_its_weights(app, canvas, home):
    torch.manual_seed(0)
    model = Tiny().eval()
    before = app.query_params["project"]
    uploader(app).upload("tiny.onnx", export(model, (2, 1, 8, 8))).run()
    assert not app.exception, app.exception
    pid = app.query_params["project"]
    assert pid != before

    level = canvas.last["graph"]
    assert [n["type"] for n in level["nodes"]] == ["Input", "Conv2d", "ReLU", "MaxPool2d",
                                                   "Flatten", "Linear", "Output"]
    assert all("position" not in n for n in level["nodes"])  # the canvas lays it out
    notice = "\n".join(toasted(app))  # a toast: the canvas below does not move
    assert "Opened tiny.onnx as the new project “tiny”: 5 blocks, matches the model (max abs " \
           "diff" in notice
    assert "its 4 weight tensors are stored with the design" in notice
    assert not said(app, "error")

    store = ProjectStore()
    graph = load_graph(home / "projects" / pid / "graph.json")
    assert graph.name == "tiny" and graph.description == "Imported from the ONNX file tiny.onnx."
    weights = store.weights_file(pid)
    assert weights is not None
    compiled = compile_graph(graph).eval()  # as training and export load the design's weights
    assert load_fitting(compiled, read_weights(weights)) == []
    x = torch.randn(7, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)
    # the uploader starts empty in the new project; the same file again is another project
    assert uploader(app).value is None
    uploader(app).upload("tiny.onnx", export(model, (2, 1, 8, 8))).run()
    assert json.loads((home / "projects" / app.query_params["project"] / "graph.json")
                      .read_text())["name"] == "tiny (2)"


def test_the_imports_warnings_are_in_its_notice(app):
    torch.manual_seed(0)
    uploader(app).upload("table.onnx", export(Table(), (2, 3, 6))).run()
    assert not app.exception, app.exception
    notice = said(app, "warning")
    assert "Opened table.onnx as the new project “table”: 3 blocks" in notice
    assert "- Trains differently: pos (PositionalEmbedding) imports trainable: its table is a " \
           "constant of the file" in notice


@pytest.mark.parametrize("file,data,message", [
    ("notes.onnx", lambda: b"my model, honestly",
     "notes.onnx: not an ONNX model (it does not parse as one, or holds no nodes); an ONNX "
     "file comes from torch.onnx.export or another exporter"),
    ("fixed.onnx", lambda: export(Fixed(), (1, 4), free_batch=False),
     "fixed.onnx: the file was exported with a fixed batch of 1 (input 'x' has shape [1, 4]) "
     "and does not run on other batches"),
    ("recip.onnx", lambda: export(Reciprocal(), (2, 4)),
     "ONNX node /Reciprocal (Reciprocal): no LayerLoom block does Reciprocal"),
    ("huge.onnx", huge,
     "huge.onnx: ONNX node big (ConstantOfShape) makes a value of 37.3 GiB (float32 [100000, "
     "100000] on a batch of 2); running an ONNX file may take "),
])
def test_a_file_that_does_not_import_says_why_and_keeps_the_design(app, canvas, home, file, data,
                                                                    message):
    pid = app.query_params["project"]
    nodes = [n["id"] for n in canvas.last["graph"]["nodes"]]
    uploader(app).upload(file, data()).run()
    assert not app.exception, app.exception
    error = said(app, "error")
    assert f"Could not import {file}; the current design is kept." in error
    assert message in error
    assert "Traceback" not in error
    assert app.query_params["project"] == pid
    assert [p.id for p in ProjectStore().list()] == [pid]
    assert [n["id"] for n in canvas.last["graph"]["nodes"]] == nodes
    # the message stays under the uploader while the file does, and is not imported again
    app.run()
    assert message in said(app, "error") and [p.id for p in ProjectStore().list()] == [pid]
    uploader(app).clear().run()
    assert not said(app, "error")


def test_a_file_over_the_size_budget_is_refused(home, canvas, monkeypatch):
    # set before the page is drawn: the uploader's own cap (what the browser refuses to send)
    # is the budget too, and a widget whose cap changes is another widget
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_BYTES", "2048")
    at = app_test(timeout=120).run()
    pid = at.query_params["project"]
    assert uploader(at).proto.max_upload_size_mb == 1
    uploader(at).upload("big.onnx", b"\0" * 4096).run()
    assert "big.onnx: the file is 4 KiB; ONNX files are read up to 2 KiB (set " \
           "LAYERLOOM_MAX_ONNX_BYTES to change it)" in said(at, "error")
    assert at.query_params["project"] == pid and len(ProjectStore().list()) == 1


def test_the_uploader_takes_onnx_only_and_says_how_pytorch_models_come_in(app):
    box = uploader(app)
    assert box.proto.type == [".onnx"]
    assert "torch.onnx.export" in box.help and "dynamic_axes" in box.help
    assert "import-torch" in box.help and "never run" in box.help


def test_the_command_lines_help_points_to_the_uploader(capsys):
    from layerloom.cli import main
    from layerloom.ui.model_upload import LABEL as uploader_label

    with pytest.raises(SystemExit):
        main(["import-onnx", "--help"])
    assert f"Open > {uploader_label}" in " ".join(capsys.readouterr().out.split())
