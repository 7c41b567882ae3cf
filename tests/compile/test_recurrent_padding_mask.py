"""A recurrent block (LSTM, GRU, RNN) given a padding mask reads each sample to its last real
step only: with ``output: last`` its final state, both ways, is the one the sample gives alone
without padding, and with ``output: sequence`` its real steps are those and its padded steps 0.
The generated code, TorchScript and ONNX files compute the same, at any batch and length.
Before, the block took no mask: the forward direction's state went on through the padding and
the backward one started in it, so a text's output changed with the padding after it."""

from __future__ import annotations

import pytest
import torch

from layerloom.graph import compile_graph, generate_code
from layerloom.graph.export import export_model
from layerloom.graph.io import parse_graph

from .conftest import load_source, model_class

IDS = torch.tensor([[5, 9, 3, 0, 0, 0], [7, 2, 8, 4, 6, 1], [0, 0, 0, 0, 0, 0]])
WORDS = (3, 6, 0)  # real steps in each row


def _design(kind: str, output: str, length: int = 6, mask: bool = True) -> dict:
    nodes = [{"id": "ids", "type": "Input", "params": {"shape": [length], "dtype": "int64"}},
             {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 10,
                                                           "embedding_dim": 4}},
             {"id": "rnn", "type": kind, "params": {"hidden_size": 5, "num_layers": 2,
                                                    "bidirectional": True, "output": output}},
             {"id": "out", "type": "Output"}]
    edges = [{"source": "ids", "target": "emb"}, {"source": "emb", "target": "rnn", "port": "input"},
             {"source": "rnn", "target": "out"}]
    if not mask:
        edges[1].pop("port")
    else:
        nodes.insert(1, {"id": "pad", "type": "PaddingMask"})
        edges += [{"source": "ids", "target": "pad"},
                  {"source": "pad", "target": "rnn", "port": "padding_mask"}]
    return {"format": "layerloom-graph", "version": 1, "name": "padded", "nodes": nodes,
            "edges": edges}


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("output", ["last", "sequence"])
def test_each_sample_is_read_as_if_alone(kind, output):
    torch.manual_seed(0)
    model = compile_graph(parse_graph(_design(kind, output))).eval()
    with torch.no_grad():
        padded = model(IDS)
        for row, words in enumerate(WORDS[:2]):
            alone = model(IDS[row:row + 1, :words])[0]
            if output == "last":
                torch.testing.assert_close(padded[row], alone, atol=1e-6, rtol=0)
            else:
                torch.testing.assert_close(padded[row, :words], alone, atol=1e-6, rtol=0)
                assert not padded[row, words:].any()
        assert torch.isfinite(padded).all()  # the row all of padding too
        assert padded.shape == ((3, 10) if output == "last" else (3, 6, 10))


def test_without_a_mask_the_block_reads_every_step_as_before():
    torch.manual_seed(0)
    model = compile_graph(parse_graph(_design("LSTM", "last", mask=False))).eval()
    with torch.no_grad():
        x = model.emb(IDS)
        _, (h, _) = model.rnn.rnn(x)
        torch.testing.assert_close(model(IDS), torch.cat([h[2], h[3]], dim=1))


@pytest.mark.parametrize("kind, output", [("LSTM", "last"), ("GRU", "sequence")])
def test_code_torchscript_and_onnx_carry_the_mask(kind, output, tmp_path):
    graph = parse_graph(_design(kind, output))
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    ids = IDS[:2]
    with torch.no_grad():
        want = model(ids)
        generated = model_class(load_source(generate_code(graph), tmp_path))().eval()
        generated.load_state_dict(model.state_dict())
        torch.testing.assert_close(generated(ids), want, atol=1e-6, rtol=0)
    for fmt, file in (("torchscript", "m.pt"), ("onnx", "m.onnx")):
        # export_model checks its file on these padded ids against the compiled model, and at
        # a batch of 1 and other lengths
        export_model(graph, fmt, tmp_path / file, model.state_dict(), sample_inputs=ids)
    scripted = torch.jit.load(str(tmp_path / "m.pt"))
    torch.testing.assert_close(scripted(ids), want, atol=1e-6, rtol=0)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: ids.numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), want, atol=1e-5, rtol=0)
    with torch.no_grad():
        one = model(ids[:1, :4])
    got = session.run(None, {session.get_inputs()[0].name: ids[:1, :4].numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), one, atol=1e-5, rtol=0)
