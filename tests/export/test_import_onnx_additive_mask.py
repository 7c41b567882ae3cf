"""import-onnx of a BERT given ``attention_mask`` as transformers 4 writes its mask: the
extended mask ``(1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min``
added to the scores. The mask means something only for the 0s and 1s the model is given, so
the import feeds an input named as a mask 0s and 1s (a 2 would make it a bias of +3.4e38, not a
mask): the file imports with a PaddingMask, padded batches giving onnxruntime's numbers, with
its length fixed or free (both inputs then take the design's variable 'length'). Before, it
stopped at "its scores are masked with a value ... that is not a padding mask"."""

from __future__ import annotations

import math
import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from layerloom.graph.compile import compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx


class TinyBert(nn.Module):
    def __init__(self, vocab=100, d=16, heads=2, max_positions=64):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_positions, d)
        self.LayerNorm = nn.LayerNorm(d)
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.dense = nn.Linear(d, d)
        self.output_norm = nn.LayerNorm(d)
        self.classifier = nn.Linear(d, 2)
        self.register_buffer("position_ids", torch.arange(max_positions).expand((1, -1)))

    def forward(self, input_ids, attention_mask):
        length = input_ids.size(1)
        x = self.word_embeddings(input_ids) + \
            self.position_embeddings(self.position_ids[:, :length])
        x = self.LayerNorm(x)
        extended = attention_mask[:, None, None, :].to(dtype=x.dtype)
        extended = (1.0 - extended) * torch.finfo(x.dtype).min
        B, L, C = x.shape

        def heads(t):
            return t.view(B, L, self.heads, C // self.heads).permute(0, 2, 1, 3)

        scores = heads(self.query(x)) @ heads(self.key(x)).transpose(-1, -2)
        scores = scores / math.sqrt(C // self.heads) + extended
        context = (scores.softmax(dim=-1) @ heads(self.value(x))).permute(0, 2, 1, 3)
        x = self.output_norm(x + self.dense(context.reshape(B, L, C)))
        return self.classifier(x[:, 0])


def _export(path, free_length: bool):
    torch.manual_seed(0)
    ids = torch.randint(1, 100, (2, 12))
    axes = {0: "batch", 1: "sequence"} if free_length else {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(TinyBert().eval(), (ids, torch.ones_like(ids)), str(path),
                          dynamo=False, input_names=["input_ids", "attention_mask"],
                          output_names=["logits"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "logits": {0: "batch"}})


@pytest.mark.parametrize("free_length", [False, True], ids=["fixed-length", "free-length"])
def test_bert_with_an_additive_attention_mask_imports_with_a_padding_mask(free_length,
                                                                          tmp_path):
    path = tmp_path / "bert.onnx"
    _export(path, free_length)
    graph, state, diff = import_onnx(path)
    assert diff < 1e-4
    assert [n.type for n in graph.nodes].count("PaddingMask") == 1
    inputs = [n for n in graph.nodes if n.type == "Input"]
    assert [n.id for n in inputs] == ["input_ids", "attention_mask"]
    if free_length:
        assert [n.params["shape"] for n in inputs] == [["=length"], ["=length"]]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    session = ort.InferenceSession(str(path))
    for length in ((12,) if not free_length else (6, 40)):
        ids = torch.randint(1, 100, (3, length), generator=torch.Generator().manual_seed(1))
        mask = torch.ones_like(ids)
        mask[0, length - 3:] = 0  # padded at the end
        mask[2, length // 2:] = 0
        want = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
        with torch.no_grad():
            got = compiled(ids, mask).numpy()
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
