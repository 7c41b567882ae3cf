"""A key padding mask carried through a design: PaddingMask marks the padding of token ids, and
MultiheadAttention or ScaledDotProductAttention given it as their key_padding_mask input, or
TransformerEncoderLayer as its src_key_padding_mask (repeated: every copy takes it), give
padded steps no attention. A padded batch then gives, at each sample's real steps, what the
sample gives alone without padding, as torch's own layers do with key_padding_mask; the
generated code, TorchScript and ONNX files compute the same. Before, no block took a mask, so
a text model attended to its padding and its output changed with the batch's longest text."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code, validate
from layerloom.graph.export import export_model
from layerloom.graph.io import parse_graph

from .conftest import load_source, model_class

IDS = torch.tensor([[5, 9, 3, 0, 0, 0], [7, 2, 8, 4, 6, 1]])  # the first padded after 3 steps


def _design(length: int, attention: str = "MultiheadAttention", params=None,
            mask: bool = True, mask_dtype: str | None = None) -> dict:
    nodes = [{"id": "ids", "type": "Input", "params": {"shape": [length], "dtype": "int64"}},
             {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10,
                                                           "embedding_dim": 8}},
             {"id": "attn", "type": attention, "params": params or {"num_heads": 2}},
             {"id": "out", "type": "Output"}]
    edges = [{"source": "ids", "target": "emb"},
             *({"source": "emb", "target": "attn", "port": p} for p in ("query", "key", "value")),
             {"source": "attn", "target": "out"}]
    if mask:
        if mask_dtype:
            nodes.insert(1, {"id": "lengths", "type": "Input",
                             "params": {"shape": [length], "dtype": mask_dtype}})
            edges.append({"source": "lengths", "target": "attn", "port": "key_padding_mask"})
        else:
            nodes.insert(1, {"id": "pad", "type": "PaddingMask"})
            edges += [{"source": "ids", "target": "pad"},
                      {"source": "pad", "target": "attn", "port": "key_padding_mask"}]
    return {"format": "layerloom-graph", "version": 1, "name": "padded", "nodes": nodes,
            "edges": edges}


def test_multihead_attention_ignores_padding_as_torch_does():
    torch.manual_seed(0)
    model = compile_graph(parse_graph(_design(6))).eval()
    alone = compile_graph(parse_graph(_design(3))).eval()
    alone.load_state_dict(model.state_dict())
    with torch.no_grad():
        padded = model(IDS)
        x = model.emb(IDS)
        want, _ = model.attn.attn(x, x, x, key_padding_mask=IDS == 0, need_weights=False)
        short = alone(IDS[:1, :3])
    torch.testing.assert_close(padded, want, atol=1e-6, rtol=0)
    torch.testing.assert_close(padded[0, :3], short[0], atol=1e-6, rtol=0)
    assert model.pad(IDS).tolist() == [[0, 0, 0, 1, 1, 1], [0] * 6]


def test_scaled_dot_product_attention_takes_the_mask_with_heads_and_causal():
    q, k, v = torch.randn(3, 2, 2, 4, 5).unbind(0)  # (B, H, L, E)
    pad = torch.tensor([[0, 0, 1, 1], [0, 0, 0, 0]])
    from layerloom.graph.modules import ScaledDotProductAttention

    for causal in (False, True):
        keep = (pad == 0)[:, None, None, :]
        if causal:
            keep = keep & torch.ones(4, 4, dtype=torch.bool).tril()
        want = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        got = ScaledDotProductAttention(is_causal=causal)(q, k, v, pad)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_a_sample_all_padding_gives_numbers_not_nan():
    model = compile_graph(parse_graph(_design(6))).eval()
    with torch.no_grad():
        assert torch.isfinite(model(torch.zeros(2, 6, dtype=torch.long))).all()


@pytest.mark.parametrize("attention, params", [
    ("MultiheadAttention", {"num_heads": 2}), ("ScaledDotProductAttention", {"is_causal": True})])
def test_code_torchscript_and_onnx_carry_the_mask(attention, params, tmp_path):
    graph = parse_graph(_design(6, attention, params))
    model = compile_graph(graph).eval()
    with torch.no_grad():
        want = model(IDS)
        generated = model_class(load_source(generate_code(graph), tmp_path))().eval()
        generated.load_state_dict(model.state_dict())
        torch.testing.assert_close(generated(IDS), want, atol=1e-6, rtol=0)
    for fmt, file in (("torchscript", "m.pt"), ("onnx", "m.onnx")):
        # export_model checks its file on these padded ids against the compiled model
        export_model(graph, fmt, tmp_path / file, model.state_dict(), sample_inputs=IDS)
    scripted = torch.jit.load(str(tmp_path / "m.pt"))
    torch.testing.assert_close(scripted(IDS), want, atol=1e-6, rtol=0)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: IDS.numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("change, said", [
    ({"mask_dtype": "float32"}, "attn: MultiheadAttention needs int64 values at its input "
                                "'key_padding_mask', but lengths gives float32 values; feed it "
                                "from a PaddingMask block or an Input of dtype int64"),
    ({"length": 5}, "attn: key_padding_mask has 5 steps, but the key has 6"),
    ({"self": True}, "attn: input port 'key' is not connected, but a later one is (with "
                     "key_padding_mask, connect query, key and value: the query's source to "
                     "all three for self-attention)"),
])
def test_a_mask_that_does_not_fit_is_named(change, said):
    design = _design(6, mask_dtype=change.get("mask_dtype"))
    if "self" in change:
        design["edges"] = [e for e in design["edges"] if e.get("port") not in ("key", "value")]
    if "length" in change:
        design["nodes"][1] = {"id": "lengths", "type": "Input",
                              "params": {"shape": [5], "dtype": "int64"}}
        design["edges"][-1] = {"source": "lengths", "target": "attn", "port": "key_padding_mask"}
    report = validate(parse_graph(design))
    messages = [str(p) for p in report.errors]
    assert any(said in m for m in messages), messages
    with pytest.raises(GraphError):
        report.raise_if_invalid()


def _encoder(length: int, repeat: int = 2) -> dict:
    nodes = [{"id": "ids", "type": "Input", "params": {"shape": [length], "dtype": "int64"}},
             {"id": "pad", "type": "PaddingMask"},
             {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10,
                                                           "embedding_dim": 8}},
             {"id": "enc", "type": "TransformerEncoderLayer", "repeat": repeat,
              "params": {"nhead": 2, "dim_feedforward": 16, "dropout": 0.0}},
             {"id": "out", "type": "Output"}]
    edges = [{"source": "ids", "target": "emb"}, {"source": "ids", "target": "pad"},
             {"source": "emb", "target": "enc", "port": "src"},
             {"source": "pad", "target": "enc", "port": "src_key_padding_mask"},
             {"source": "enc", "target": "out"}]
    return {"format": "layerloom-graph", "version": 1, "name": "encoder", "nodes": nodes,
            "edges": edges}


def test_repeated_encoder_layers_each_take_the_mask_as_torchs_encoder_does(tmp_path):
    torch.manual_seed(0)
    graph = parse_graph(_encoder(6))
    model = compile_graph(graph).eval()
    alone = compile_graph(parse_graph(_encoder(3))).eval()
    alone.load_state_dict(model.state_dict())
    torchs = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True),
                                   2, enable_nested_tensor=False).eval()
    torchs.layers.load_state_dict(model.enc.state_dict())
    with torch.no_grad():
        want = model(IDS)
        torch.testing.assert_close(want, torchs(model.emb(IDS), src_key_padding_mask=IDS == 0),
                                   atol=1e-6, rtol=0)
        torch.testing.assert_close(want[0, :3], alone(IDS[:1, :3])[0], atol=1e-5, rtol=0)
        generated = model_class(load_source(generate_code(graph), tmp_path))().eval()
        generated.load_state_dict(model.state_dict())
        torch.testing.assert_close(generated(IDS), want, atol=1e-6, rtol=0)
    for fmt, file in (("torchscript", "m.pt"), ("onnx", "m.onnx")):
        export_model(graph, fmt, tmp_path / file, model.state_dict(), sample_inputs=IDS)


def test_a_repeated_attention_with_a_mask_is_refused():
    design = _design(6)
    design["nodes"][3]["repeat"] = 2
    assert [str(p) for p in validate(parse_graph(design)).errors] == [
        "attn.repeat: repeat 2 needs a block with one input; this one has 4"]
