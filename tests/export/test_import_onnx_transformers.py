"""``import-onnx`` of Hugging Face ``transformers`` models as their users export them (the files
in ``transformers_onnx/``, written by its ``make_fixtures.py`` from tiny configs; transformers
is not needed here). Each imports with the original's outputs (those the script saved, and
onnxruntime's on the file) and exports as code, TorchScript and ONNX:

- BERT by the TorchScript exporter: its token types (a buffer of zeros expanded over the batch:
  'computed from the batch size', refused before) are a TokenTypeEmbedding and its positions
  (a buffer sliced to the length) a PositionalEmbedding holding the whole table, so the design
  has the model's parameters.
- DistilBERT and ViT by the dynamo exporter: the attention's all-true mask and the NaN guard
  after the softmax are no mask ('attention with a mask', refused before).
- GPT-2 by the dynamo exporter: the causal attention is a ScaledDotProductAttention with
  is_causal, and the Linear layers on the batch and steps flattened into one are Linear blocks.
- BERT given ``attention_mask``: a PaddingMask of that input is both attentions'
  key_padding_mask, so padded batches give the original's numbers (refused before).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch.onnx_in import import_onnx

HERE = Path(__file__).parent / "transformers_onnx"
SAVED = load_file(HERE / "outputs.safetensors")


def _imported(file: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a table imports trainable: said, tested elsewhere
        return import_onnx(HERE / file)


def _blocks(graph) -> list[tuple[str, dict, int | None]]:
    return [(n.type, n.params, n.repeat) for n in graph.nodes if n.type not in ("Input", "Output")]


def _matches_the_original(graph, state, model: str, inputs: str, tmp_path) -> None:
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = SAVED[inputs]
    with torch.no_grad():
        got = compiled(x)
    want = SAVED[model]
    assert want.abs().max() > 0.1
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    for fmt, suffix in (("python", "py"), ("torchscript", "pt"), ("onnx", "onnx")):
        result = export_model(graph, fmt, tmp_path / f"{model}.{suffix}", state, sample_inputs=x)
        assert result.max_abs_diff < 1e-5


def test_bert_token_types_and_positions_import_as_their_blocks(tmp_path):
    graph, state, diff = _imported("bert_torchscript.onnx")
    assert diff < 1e-5
    blocks = _blocks(graph)
    assert blocks[:4] == [
        ("Embedding", {"num_embeddings": 100, "embedding_dim": 32}, None),
        ("TokenTypeEmbedding", {"num_types": 2, "type_id": 0}, None),
        ("PositionalEmbedding", {"max_len": 64}, None),
        ("LayerNorm", {"eps": 1e-12}, None)]
    assert ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 37, "dropout": 0.1,
                                        "activation": "gelu", "norm_first": False,
                                        "layer_norm_eps": 1e-12}, 2) in blocks
    assert summarize(graph).params == int(SAVED["bert_parameters"])  # 20,109
    _matches_the_original(graph, state, "bert", "input_ids", tmp_path)


@pytest.mark.parametrize("model, inputs, norm_first", [("distilbert", "input_ids", False),
                                                        ("vit", "pixel_values", True)])
def test_dynamo_attention_with_an_all_true_mask_is_an_encoder_layer(model, inputs, norm_first,
                                                                    tmp_path):
    graph, state, diff = _imported(f"{model}_dynamo.onnx")
    assert diff < 1e-5
    layers = [(p, r) for t, p, r in _blocks(graph) if t == "TransformerEncoderLayer"]
    assert layers == [({"nhead": 2, "dim_feedforward": 37, "dropout": 0.1, "activation": "gelu",
                        "norm_first": norm_first, "layer_norm_eps": 1e-12}, 2)]
    assert not [t for t, _, _ in _blocks(graph) if "Attention" in t]
    _matches_the_original(graph, state, model, inputs, tmp_path)


def test_gpt2_causal_attention_and_flattened_linears_import(tmp_path):
    graph, state, diff = _imported("gpt2_dynamo.onnx")
    assert diff < 1e-5
    blocks = _blocks(graph)
    assert [p for t, p, _ in blocks if t == "ScaledDotProductAttention"] == \
        [{"is_causal": True}] * 2
    linears = [p["out_features"] for t, p, _ in blocks if t == "Linear"]
    assert linears == [96, 32, 128, 32] * 2 + [100]  # c_attn, c_proj, c_fc, c_proj; lm_head
    assert [t for t, _, _ in blocks].count("GELU") == 2
    _matches_the_original(graph, state, "gpt2", "input_ids", tmp_path)


def test_bert_given_attention_mask_takes_padded_batches_as_the_original_does(tmp_path):
    """The attention_mask imports as an Input feeding a PaddingMask (1 where it is 0), the
    src_key_padding_mask of the encoder layer, repeated for both of BERT's layers (each was a
    MultiheadAttention given the mask, among the layer's parts): a padded batch of texts of
    different lengths gives what onnxruntime gives on the file, and a padded step's token
    changes nothing. It was refused ('no block takes a mask')."""
    graph, state, diff = _imported("bert_mask_torchscript.onnx")
    assert diff < 1e-5
    types = {n.id: n.type for n in graph.nodes}
    assert types["attention_mask"] == "Input" and types["padding_mask"] == "PaddingMask"
    masked = [e.target for e in graph.edges if e.port == "src_key_padding_mask"]
    assert [types[t] for t in masked] == ["TransformerEncoderLayer"]
    assert next(n for n in graph.nodes if n.id == masked[0]).repeat == 2
    assert "MultiheadAttention" not in types.values()
    assert [e.source for e in graph.edges if e.port and "padding" in e.port] == ["padding_mask"]
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    ids = SAVED["input_ids"]
    mask = (torch.arange(8) < torch.tensor([[8], [5], [2]])).long()  # lengths 8, 5 and 2
    import onnxruntime

    session = onnxruntime.InferenceSession(str(HERE / "bert_mask_torchscript.onnx"))
    want = torch.from_numpy(session.run(None, {"input_ids": ids.numpy(),
                                               "attention_mask": mask.numpy()})[0])
    with torch.no_grad():
        got = compiled(ids, mask)
        torch.testing.assert_close(compiled(ids, torch.ones_like(ids)), SAVED["bert"],
                                   atol=1e-5, rtol=0)
        other = compiled(torch.where(mask.bool(), ids, (ids + 7) % 100), mask)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    torch.testing.assert_close(other, got, atol=1e-5, rtol=0)  # padding's tokens unseen
    assert (got[1:] - SAVED["bert"][1:]).abs().max() > 1e-3  # the mask changes the answer
    for fmt, suffix in (("python", "py"), ("torchscript", "pt"), ("onnx", "onnx")):
        result = export_model(graph, fmt, tmp_path / f"bert.{suffix}", state,
                              sample_inputs=(ids, mask))
        assert result.max_abs_diff < 1e-5
