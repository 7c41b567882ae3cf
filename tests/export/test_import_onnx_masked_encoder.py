"""An ONNX file of a transformer encoder given a padding mask imports as the encoder layer, not
as its parts: a user's ``nn.TransformerEncoder`` called with ``src_key_padding_mask=ids == 0``
(post-norm and pre-norm), and transformer-text's own export, come back as one
TransformerEncoderLayer repeated, the PaddingMask feeding its ``src_key_padding_mask``, giving
onnxruntime's outputs on padded batches. They came back as a MultiheadAttention, two Adds, two
LayerNorms, two Linears and a ReLU per layer, each attention given the mask."""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


class TextClassifier(nn.Module):
    """A classifier as PyTorch's tutorials write one: the encoder told where the padding is."""

    def __init__(self, vocab=100, d_model=16, nhead=2, layers=2, classes=3, norm_first=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d_model, padding_idx=0)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=32, batch_first=True,
                                           norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, classes)

    def forward(self, ids):
        x = self.encoder(self.embedding(ids), src_key_padding_mask=ids == 0)
        return self.fc(x[:, 0])


def _padded(batch: int, length: int, vocab: int, generator) -> torch.Tensor:
    ids = torch.randint(1, vocab, (batch, length), generator=generator)
    for row, words in enumerate((3, length // 2, length - 1, length)[:batch]):
        ids[row, words:] = 0
    return ids


def _the_encoder(graph, layers: int):
    [encoder] = [n for n in graph.nodes if n.type == "TransformerEncoderLayer"]
    assert encoder.repeat == layers
    assert "MultiheadAttention" not in [n.type for n in graph.nodes]
    [mask] = [n.id for n in graph.nodes if n.type == "PaddingMask"]
    assert {(e.source, e.port) for e in graph.edges if e.target == encoder.id} == {
        (mask, "src_key_padding_mask"),
        (next(e.source for e in graph.edges if e.target == encoder.id and e.port == "src"),
         "src")}
    return encoder


def _against(path, graph, state, vocab: int, lengths) -> None:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    generator = torch.Generator().manual_seed(3)
    for length in lengths:
        if "length" in graph.variables:
            graph.variables["length"] = length
        compiled = compile_graph(graph).eval()
        compiled.load_state_dict(state, strict=True)
        ids = _padded(4, length, vocab, generator)
        with torch.no_grad():
            got = compiled(ids).numpy()
        np.testing.assert_allclose(got, session.run(None, {name: ids.numpy()})[0], atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_a_users_encoder_given_a_padding_mask_imports_as_the_encoder_layer(norm_first,
                                                                           tmp_path):
    torch.manual_seed(0)
    model = TextClassifier(norm_first=norm_first).eval()
    ids = _padded(2, 12, 100, torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids,), str(tmp_path / "m.onnx"), dynamo=False,
                          input_names=["ids"], output_names=["y"],
                          dynamic_axes={"ids": {0: "batch"}, "y": {0: "batch"}})
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    encoder = _the_encoder(graph, 2)
    assert encoder.params["norm_first"] is norm_first and encoder.params["nhead"] == 2
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    _against(tmp_path / "m.onnx", graph, state, 100, (12,))


def test_transformer_text_comes_back_as_the_design_that_was_exported(tmp_path):
    design = load_template("transformer-text")
    design.variables.update(d_model=16, heads=2, vocab=50)
    torch.manual_seed(0)
    model = compile_graph(design).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    export_model(design, "onnx", tmp_path / "m.onnx", model.state_dict())
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    assert [n.type for n in graph.nodes] == [
        "Input", "PaddingMask", "Embedding", "PositionalEmbedding", "TransformerEncoderLayer",
        "SequencePool", "Linear", "Output"]
    encoder = _the_encoder(graph, 2)
    assert encoder.params["nhead"] == 2 and encoder.params["dim_feedforward"] == 64
    assert summarize(graph).params == summarize(design).params
    _against(tmp_path / "m.onnx", graph, state, 50, (32, 9))
