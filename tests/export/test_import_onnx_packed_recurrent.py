"""A recurrent block given a PaddingMask, exported to ONNX, imports back as the block given the
mask. The Recurrent module packs each sample to its last word (``pack_padded_sequence``), which
PyTorch's exporter writes as an ONNX LSTM/GRU given ``sequence_lens``, with the batch sorted by
length before it and put back after (TopK, Gather, ScatterElements, an ``If`` on the batch);
import-onnx refused every such file ("sequence_lens ...: lengths are not supported"), so
lstm-text, once its LSTM took the mask, no longer came back from its own ONNX file. The
lengths are read as the padding of the token ids where their values on the probe runs are each
sample's steps up to its last nonzero id; padded batches give onnxruntime's outputs."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.templates import load_template


def _design(kind: str, output: str):
    """lstm-text (an Embedding, a PaddingMask of the ids feeding the recurrent block), its
    block of ``kind`` giving ``output``; a tagger (a Linear on every step) where that is the
    sequence."""
    graph = load_template("lstm-text")
    graph.variables.update(vocab=50, embed_dim=8, hidden=6)
    layer = next(n for n in graph.nodes if n.type == "LSTM")
    layer.type = kind
    layer.params["output"] = output
    return graph


@pytest.mark.parametrize("kind, output", [("LSTM", "last"), ("GRU", "sequence")],
                         ids=["lstm-text", "gru-tagger"])
def test_a_recurrent_block_given_a_padding_mask_comes_back_from_onnx(kind, output, tmp_path):
    design = _design(kind, output)
    torch.manual_seed(0)
    model = compile_graph(design).eval()
    export_model(design, "onnx", tmp_path / "m.onnx", model.state_dict())
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    [block] = [n for n in graph.nodes if n.type == kind]
    assert block.params["output"] == output and block.params["bidirectional"] is True
    [mask] = [n.id for n in graph.nodes if n.type == "PaddingMask"]
    assert {(e.source, e.port) for e in graph.edges if e.target == block.id} == {
        ("embed", "input"), (mask, "padding_mask")}
    assert summarize(graph).params == summarize(design).params
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(1)
    for length in (32, 11):
        graph.variables["length"] = length
        compiled = compile_graph(graph).eval()
        compiled.load_state_dict(state, strict=True)
        ids = torch.randint(1, 50, (4, length), generator=generator)
        for row, words in enumerate((1, 5, length - 1, length)):
            ids[row, words:] = 0  # padded as the text datasets pad
        with torch.no_grad():
            got = compiled(ids).numpy()
            want = model(ids).numpy() if length == 32 else None
        np.testing.assert_allclose(got, session.run(None, {"tokens": ids.numpy()})[0],
                                   atol=1e-5)
        if want is not None:
            np.testing.assert_allclose(got, want, atol=1e-5)
