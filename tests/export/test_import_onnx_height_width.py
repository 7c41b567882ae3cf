"""An ONNX file whose image height and width are free and independent imports with a variable
for each, and the design runs at any height and width, equal or not.

A model that puts a map's tokens back into a map (SegFormer's and PVT's stages, Swin's and
hybrid CNN-transformers' heads: ``x.transpose(1, 2).reshape(B, C, H, W)``, H and W read from the
map) was refused ("its target shape [0, 16, 8, 8] is computed from the input's free length
otherwise than as one of its sizes beside no -1"): the import ran the file at one size for
both, so it could not tell the height's size from the width's. The check now runs at a height
and width that differ, and each size of the target is written over its own variable."""

from __future__ import annotations

import onnxruntime as ort
import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


class MixStage(nn.Module):
    """A SegFormer-style stage: an overlapping stride-4 patch embedding, a token MLP with its
    norm, the tokens back to a map at the embedding's height and width, a per-pixel head."""

    def __init__(self, dim=16, classes=3):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, kernel_size=7, stride=4, padding=3)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.head = nn.Conv2d(dim, classes, 1)

    def forward(self, x):
        x = self.embed(x)
        B, C, H, W = x.shape
        t = x.flatten(2).transpose(1, 2)  # (B, H*W, C)
        t = t + self.mlp(self.norm(t))
        x = t.transpose(1, 2).reshape(B, C, H, W)  # (B, C, H, W)
        return self.head(x)


class SquareOnly(nn.Module):
    """Adds its image to its own transpose: it takes square images only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        return x + x.transpose(2, 3)


def _export(model, path, size=(32, 32)):
    torch.onnx.export(model.eval(), (torch.randn(2, 3, *size),), str(path), dynamo=False,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                    "logits": {0: "batch", 2: "h", 3: "w"}})


def _compiled(graph, state, height, width):
    graph.variables.update(height=height, width=width)
    model = compile_graph(graph).eval()
    model.load_state_dict(state, strict=True)
    return model


def test_tokens_put_back_into_a_map_import_with_a_variable_for_height_and_width(tmp_path):
    torch.manual_seed(0)
    model = MixStage().eval()
    _export(model, tmp_path / "stage.onnx", (32, 48))
    with pytest.warns(UserWarning, match=r"as the variables height = 32, width = 32, its "
                                         r"outputs checked against onnxruntime's at sizes "
                                         r"32×32 and 21×45$"):
        graph, state, diff = import_onnx(tmp_path / "stage.onnx")
    assert diff < 1e-4
    assert [n.params["shape"] for n in graph.nodes if n.type == "Input"] == \
        [[3, "=height", "=width"]]
    assert [n.params["sizes"] for n in graph.nodes if n.type == "Unflatten"] == \
        [["=ceil(height / 4)", "=ceil(width / 4)"]]  # (n + 6 - 7) // 4 + 1
    for height, width in ((32, 32), (24, 40), (40, 24), (17, 9)):
        x = torch.randn(2, 3, height, width)
        with torch.no_grad():
            torch.testing.assert_close(_compiled(graph, state, height, width)(x), model(x),
                                       atol=1e-4, rtol=1e-4)


def test_a_model_of_square_images_only_is_checked_at_square_sizes(tmp_path):
    torch.manual_seed(0)
    model = SquareOnly().eval()
    _export(model, tmp_path / "square.onnx")
    with pytest.warns(UserWarning, match=r"at sizes 32×32 and 20×20$"):
        graph, state, diff = import_onnx(tmp_path / "square.onnx")
    assert diff < 1e-4
    x = torch.randn(2, 3, 12, 12)
    with torch.no_grad():
        torch.testing.assert_close(_compiled(graph, state, 12, 12)(x), model(x))


@pytest.mark.parametrize("name", ["conv-autoencoder", "resnet-mini"])
def test_a_design_of_unequal_height_and_width_comes_back_with_both_as_variables(tmp_path, name):
    design = load_template(name)
    next(n for n in design.nodes if n.type == "Input").params["shape"] = [1, 24, 40]
    torch.manual_seed(0)
    export_model(design, "onnx", tmp_path / "m.onnx", compile_graph(design).eval().state_dict())
    with pytest.warns(UserWarning, match=r"as the variables image_height = 24, image_width = 40, "
                                         r".* at sizes 24×40 and 13×81$"):
        graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert graph.variables == {"image_height": 24, "image_width": 40}
    assert [n.params["shape"] for n in graph.nodes if n.type == "Input"] == \
        [[1, "=image_height", "=image_width"]]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for height, width in ((24, 40), (40, 24), (32, 32)):
        graph.variables.update(image_height=height, image_width=width)
        model = compile_graph(graph).eval()
        model.load_state_dict(state, strict=True)
        x = torch.randn(2, 1, height, width)
        with torch.no_grad():
            torch.testing.assert_close(model(x), torch.as_tensor(
                session.run(None, {"image": x.numpy()})[0]), atol=1e-4, rtol=1e-4)
