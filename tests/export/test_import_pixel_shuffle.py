"""Sub-pixel convolution: ESPCN's ``nn.PixelShuffle`` (super-resolution, GAN generators) and
``nn.PixelUnshuffle``/``F.pixel_unshuffle`` (space-to-depth stems) had no block, so such models
stopped with "no LayerLoom block computes PixelShuffle". They import as the reshape, permute
and reshape a pixel shuffle is, exactly.

ONNX: the classic exporter wrote ``nn.Unflatten`` (the first reshape of such a shuffle, written
by hand too) with the batch of its sample fixed in the shapes it inferred, so the Reshape
after the Permute failed at any other batch ("The input tensor cannot be reshaped to the
requested shape")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class ESPCN(nn.Module):
    """Shi et al.'s efficient sub-pixel network, as PyTorch's super-resolution example."""

    def __init__(self, factor=3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 8, 3, padding=1)
        self.conv3 = nn.Conv2d(8, factor ** 2, 3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(factor)

    def forward(self, x):
        x = torch.tanh(self.conv2(torch.tanh(self.conv1(x))))
        return self.pixel_shuffle(self.conv3(x))


class SpaceToDepth(nn.Module):
    """A space-to-depth stem (PixelUnshuffle, then F.pixel_unshuffle) and a decoder back up
    with F.pixel_shuffle, as NAFNet and Real-ESRGAN write them."""

    def __init__(self):
        super().__init__()
        self.down = nn.PixelUnshuffle(2)
        self.conv = nn.Conv2d(48, 48, 3, padding=1, groups=4)  # grouped
        self.head = nn.Conv2d(48, 12, 1)

    def forward(self, x):
        x = self.conv(F.pixel_unshuffle(self.down(x), 2))
        return F.pixel_shuffle(F.pixel_shuffle(self.head(x), 2), upscale_factor=1)


def _compare(model, shape, tmp_path, name):
    torch.manual_seed(0)
    model = model.eval()
    graph, weights = import_torch(model, shape)
    assert "PixelShuffle" not in {n.type for n in graph.nodes}
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, *shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), atol=1e-5, rtol=1e-5)
    for fmt, suffix in (("python", "py"), ("torchscript", "pt"), ("onnx", "onnx")):
        assert export_model(graph, fmt, tmp_path / f"{name}.{suffix}", state).max_abs_diff \
            < 1e-5, fmt
    return graph, weights, state


def test_espcn_imports_exactly(tmp_path):
    torch.manual_seed(0)
    model = ESPCN()
    graph, weights, state = _compare(model, (1, 8, 8), tmp_path, "espcn")
    assert summarize(graph).params == 416 + 1_160 + 657  # conv1, conv2, conv3
    out = summarize(graph).nodes[-2]  # the last block before the Output
    assert list(out.output_shape) == [1, 24, 24]
    # the sizes follow the input, as the module does
    assert check_import(model, graph, state, (1, 5, 7), weights=weights) < 1e-5


def test_pixel_unshuffle_and_functional_forms_import_exactly(tmp_path):
    torch.manual_seed(0)
    _compare(SpaceToDepth(), (3, 8, 8), tmp_path, "s2d")


class HandShuffle(nn.Module):
    """A pixel shuffle written out by hand: the first reshape imports as an Unflatten."""

    def forward(self, x):
        b, c, h, w = x.shape
        x = x.reshape(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(b, c // 4, h * 2, w * 2)


def test_unflatten_then_reshape_exports_to_onnx_for_any_batch(tmp_path):
    graph, _ = import_torch(HandShuffle(), (12, 4, 4))
    assert "Unflatten" in {n.type for n in graph.nodes}
    result = export_model(graph, "onnx", tmp_path / "hand.onnx")
    assert result.max_abs_diff < 1e-6
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "hand.onnx"),
                                   providers=["CPUExecutionProvider"])
    x = torch.randn(5, 12, 4, 4)
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), F.pixel_shuffle(x, 2))
