"""An image design that takes any size (fully convolutional, or pooling globally) keeps its
height and width free in its ONNX file, and comes back from it with them as variables.

The ONNX file fixed the image's size: conv-autoencoder's and resnet-mini's models run at any
size, their files only at 28x28 (onnxruntime: "Got invalid dimensions for input: image … Got:
40 Expected: 28"), the export saying "each sample image [1, 28, 28] exactly". A file from
another tool with free height and width was refused ("2 of its sizes after the batch are free").
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, loads_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


def _exported(name: str, path):
    graph = load_template(name)
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    return model, export_model(graph, "onnx", path, model.state_dict())


def _dims(path) -> list:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.get_inputs()[0].shape


def _against_onnxruntime(path, graph, state, sizes, input_name: str, variables=("height",
                                                                              "width")):
    """The imported design compiled at each (height, width) against onnxruntime on the file."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for height, width in sizes:
        graph.variables.update(dict(zip(variables, (height, width))))
        model = compile_graph(graph).eval()
        model.load_state_dict(state, strict=True)
        x = torch.randn(2, 1, height, width)
        with torch.no_grad():
            got = model(x).numpy()
        want = session.run(None, {input_name: x.numpy()})[0]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_a_convolutional_autoencoders_onnx_file_takes_images_of_any_size(tmp_path):
    model, result = _exported("conv-autoencoder", tmp_path / "m.onnx")
    assert _dims(tmp_path / "m.onnx") == ["batch", 1, "image_height", "image_width"]
    assert result.notes["sizes"] == ("any batch size, and image of any height and width "
                                     "(checked at 28×28, 14×14, 56×56)")
    assert "fixed_length" not in result.notes
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = torch.randn(1, 1, 40, 24)
    with torch.no_grad():
        want = model(x).numpy()
    got = session.run(None, {"image": x.numpy()})[0]
    assert got.shape == (1, 1, 40, 24)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_cnn_that_flattens_its_image_keeps_its_size_fixed(tmp_path):
    _, result = _exported("seed-cnn", tmp_path / "m.onnx")
    assert _dims(tmp_path / "m.onnx") == ["batch", 1, 28, 28]
    assert result.notes["sizes"] == "any batch size, each sample image [1, 28, 28] exactly"


@pytest.mark.parametrize("name", ["conv-autoencoder", "resnet-mini"])
def test_an_image_design_imports_back_with_its_height_and_width_as_variables(tmp_path, name):
    _exported(name, tmp_path / "m.onnx")
    with pytest.warns(UserWarning, match=r"takes them as the variables image_height = 28, "
                                         r"image_width = 28, .* at sizes 28×28 and 15×43$"):
        graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert [n.params["shape"] for n in graph.nodes if n.type == "Input"] == \
        [[1, "=image_height", "=image_width"]]
    assert graph.variables == {"image_height": 28, "image_width": 28}
    _against_onnxruntime(tmp_path / "m.onnx", graph, state, ((28, 28), (40, 24), (16, 64)),
                         "image", ("image_height", "image_width"))


class _FullyConvolutional(nn.Module):
    """A segmentation head as users write it: per-pixel logits at the input's size."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(8, 3, 1)

    def forward(self, x):
        return nn.functional.interpolate(self.head(self.body(x)), scale_factor=2.0,
                                         mode="nearest")


def test_another_tools_file_with_free_height_and_width_imports_with_them_as_variables(
        tmp_path):
    torch.manual_seed(0)
    model = _FullyConvolutional().eval()
    torch.onnx.export(model, (torch.randn(2, 1, 32, 32),), str(tmp_path / "seg.onnx"),
                      dynamo=False, input_names=["pixels"], output_names=["logits"],
                      dynamic_axes={"pixels": {0: "batch", 2: "height", 3: "width"},
                                    "logits": {0: "batch", 2: "height", 3: "width"}})
    graph, state, diff = import_onnx(tmp_path / "seg.onnx")
    assert diff < 1e-4
    assert [n.params["shape"] for n in graph.nodes if n.type == "Input"] == \
        [[1, "=height", "=width"]]
    _against_onnxruntime(tmp_path / "seg.onnx", graph, state, ((32, 32), (48, 24)), "pixels")


def test_an_image_input_with_free_channels_is_refused_naming_them(tmp_path):
    model = nn.Conv2d(3, 4, 1).eval()
    torch.onnx.export(model, (torch.randn(2, 3, 8, 8),), str(tmp_path / "c.onnx"), dynamo=False,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 1: "c", 2: "h", 3: "w"}})
    with pytest.raises(GraphError, match=r"c\.onnx: input 'x' has shape \['batch', 'c', 'h', "
                                        r"'w'\]: 3 of its sizes after the batch are free"):
        import_onnx(tmp_path / "c.onnx")


def test_an_image_design_that_reshapes_all_four_sizes_imports_back_with_its_variables(
        tmp_path):
    """Its model runs at any size, so the file frees the height and width; the split of the
    channels is a Reshape of all four sizes, [batch, 2, 3, H, W]. It came back at its own
    shape ('no design takes them'): the import ran at one size for both, so a size of the
    target could not be told for the height or the width. Now checked at a height and width
    that differ, each follows its variable, and the design runs at any size."""
    graph = loads_graph(json.dumps({
        "format": "layerloom-graph", "version": 1, "name": "split",
        "nodes": [{"id": "image", "type": "Input", "params": {"shape": [6, 4, 4]}},
                  {"id": "split", "type": "Unflatten", "params": {"dim": 0, "sizes": [2, 3]}},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": "image", "target": "split"}, {"source": "split", "target": "out"}]}))
    export_model(graph, "onnx", tmp_path / "m.onnx", compile_graph(graph).state_dict())
    assert _dims(tmp_path / "m.onnx") == ["batch", 6, "image_height", "image_width"]
    with pytest.warns(UserWarning, match=r"the variables image_height = 4, image_width = 4, "
                                         r".* at sizes 4×4 and 3×7$"):
        back, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-6
    assert [n.params["shape"] for n in back.nodes if n.type == "Input"] == \
        [[6, "=image_height", "=image_width"]]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for height, width in ((4, 4), (8, 12), (10, 2)):
        back.variables.update(image_height=height, image_width=width)
        model = compile_graph(back).eval()
        model.load_state_dict(state, strict=True)
        x = torch.randn(2, 6, height, width)
        with torch.no_grad():
            got = model(x)
        torch.testing.assert_close(got, torch.as_tensor(session.run(None, {"image": x.numpy()})[0]))
