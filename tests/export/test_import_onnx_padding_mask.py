"""``import-onnx`` of a user's own text model exported with its padding mask as a second input
(``key_padding_mask=attention_mask == 0`` to nn.MultiheadAttention, or ``attn_mask`` of the
kept steps to F.scaled_dot_product_attention), by either exporter: the mask on the attention's
scores is read from the probe runs, and where it hides exactly the key steps where that input
is 0 it imports as a PaddingMask of the input feeding the attention's key_padding_mask, giving
the model's numbers on padded batches. A mask from an input that means something else, or
from a float32 input (whose probe values are never 0), is refused, saying what imports. All were
refused alike before ('no block takes a mask'); the float one said it was no padding mask."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch.onnx_in import import_onnx


class MaskedText(nn.Module):
    def __init__(self, padding_is_zero: bool = True):
        super().__init__()
        self.padding_is_zero = padding_is_zero
        self.emb = nn.Embedding(20, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, ids, attention_mask):
        pad = attention_mask == 0 if self.padding_is_zero else attention_mask != 0
        x = self.emb(ids)
        y, _ = self.attn(x, x, x, key_padding_mask=pad, need_weights=False)
        return self.head(y.mean(1))


class HeadsText(nn.Module):
    """Attention written by hand, given the kept steps as F.scaled_dot_product_attention's
    attn_mask (True where a step is attended to), as Hugging Face's models give it."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.qkv = nn.Linear(8, 24)
        self.out = nn.Linear(8, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, ids, attention_mask):
        x = self.emb(ids)
        batch, length, _ = x.shape
        q, k, v = (t.view(batch, length, 2, 4).transpose(1, 2)
                   for t in self.qkv(x).chunk(3, -1))
        keep = attention_mask.bool()[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        return self.head(self.out(y.transpose(1, 2).reshape(batch, length, 8)).mean(1))


def _exported(model: nn.Module, path, dynamo: bool = False) -> None:
    ids, mask = torch.randint(0, 20, (2, 6)), torch.ones(2, 6, dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            batch = torch.export.Dim("batch")
            torch.onnx.export(model, (ids, mask), dynamo=True, opset_version=18,
                              input_names=["ids", "attention_mask"],
                              dynamic_shapes=({0: batch}, {0: batch})).save(str(path))
        else:
            torch.onnx.export(model, (ids, mask), str(path), dynamo=False, opset_version=17,
                              input_names=["ids", "attention_mask"],
                              dynamic_axes={"ids": {0: "batch"}, "attention_mask": {0: "batch"}})


@pytest.mark.parametrize(("make", "dynamo"), [(MaskedText, False), (MaskedText, True),
                                              (HeadsText, False), (HeadsText, True)])
def test_a_padding_mask_input_imports_as_padding_mask_and_gives_the_models_numbers(
        make, dynamo, tmp_path):
    torch.manual_seed(0)
    model = make().eval()
    _exported(model, tmp_path / "text.onnx", dynamo)
    graph, state, diff = import_onnx(tmp_path / "text.onnx")
    assert diff < 1e-5
    assert [(n.id, n.type) for n in graph.nodes if n.type in ("Input", "PaddingMask")] == [
        ("ids", "Input"), ("attention_mask", "Input"), ("padding_mask", "PaddingMask")]
    masked = [(e.source, e.port) for e in graph.edges if e.port == "key_padding_mask"]
    assert masked == [("padding_mask", "key_padding_mask")]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    ids = torch.randint(1, 20, (3, 6))
    mask = (torch.arange(6) < torch.tensor([[6], [4], [1]])).long()
    with torch.no_grad():
        torch.testing.assert_close(compiled(ids, mask), model(ids, mask), atol=1e-5, rtol=0)


def test_a_mask_input_that_is_not_padding_is_refused_saying_what_imports(tmp_path):
    _exported(MaskedText(padding_is_zero=False).eval(), tmp_path / "inverted.onnx")
    with pytest.raises(GraphError) as caught:
        import_onnx(tmp_path / "inverted.onnx")
    assert str(caught.value).startswith(
        "ONNX node /attn/Softmax (Softmax): its scores are masked with a value computed from "
        "the file's input 'attention_mask' that is not a padding mask (one that hides the key "
        "steps where 'attention_mask' is 0, as BERT's attention_mask does, imports)")


def test_a_float_mask_input_is_refused_saying_to_export_it_as_int64(tmp_path):
    model = MaskedText().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randint(0, 20, (2, 6)), torch.ones(2, 6)),
                          str(tmp_path / "float.onnx"), dynamo=False, opset_version=17,
                          input_names=["ids", "attention_mask"],
                          dynamic_axes={"ids": {0: "batch"}, "attention_mask": {0: "batch"}})
    with pytest.raises(GraphError) as caught:
        import_onnx(tmp_path / "float.onnx")
    assert str(caught.value) == (
        "ONNX node /attn/Softmax (Softmax): its scores are masked with a value computed from "
        "the file's input 'attention_mask', which is float32; a padding mask imports from an "
        "int64 input (0 at padding, as Hugging Face's attention_mask): export the model given "
        "'attention_mask' as int64 (torch.ones(batch, length, dtype=torch.long)), its code "
        "comparing it as before (attention_mask == 0)")
