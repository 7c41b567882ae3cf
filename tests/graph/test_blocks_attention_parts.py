"""The blocks hand-written attention is drawn with: MatMul (left @ right, batched, named ports),
Unflatten (one dimension split, the others free) and ScaledDotProductAttention. Shapes,
validation errors naming the node and the port or param, outputs equal to torch's, readable
code, and ONNX and TorchScript files of a small designed attention that give its outputs (and
run at another sequence length from the same design)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from layerloom.graph import compile_graph, generate_code, summarize, validate
from layerloom.graph.export import export_model


def _graph(block: str, params: dict, shapes: list, ports: list | None = None) -> dict:
    nodes = [{"id": f"in{i}", "type": "Input", "params": {"shape": list(s)}}
             for i, s in enumerate(shapes)]
    nodes += [{"id": "op", "type": block, "params": params}, {"id": "y", "type": "Output"}]
    edges = [{"source": f"in{i}", "target": "op", **({"port": ports[i]} if ports else {})}
             for i in range(len(shapes))]
    edges.append({"source": "op", "target": "y"})
    return {"format": "layerloom-graph", "version": 1, "name": f"one-{block}", "nodes": nodes,
            "edges": edges}


def _run(graph: dict, *xs):
    with torch.no_grad():
        return compile_graph(graph).eval()(*xs)


# -- MatMul -------------------------------------------------------------------------------------

@pytest.mark.parametrize("left, right, out", [
    ((5, 8), (8, 3), (5, 3)),
    ((2, 5, 4), (2, 4, 6), (2, 5, 6)),
    ((2, 1, 3, 4), (1, 6, 4, 2), (2, 6, 3, 2)),  # leading sizes of 1 broadcast
])
def test_matmul_is_torch_matmul_with_its_shape_and_macs(left, right, out):
    graph = _graph("MatMul", {}, [left, right])
    node = next(n for n in summarize(graph).nodes if n.id == "op")
    assert tuple(node.output_shape) == out
    assert node.macs == torch.Size(out).numel() * left[-1] and node.params == 0
    a, b = torch.randn(3, *left), torch.randn(3, *right)
    torch.testing.assert_close(_run(graph, a, b), torch.matmul(a, b))


def test_matmul_ports_are_named_left_and_right():
    graph = _graph("MatMul", {}, [(4, 3), (5, 4)], ports=["right", "left"])  # in0 on the right
    a, b = torch.randn(2, 4, 3), torch.randn(2, 5, 4)
    torch.testing.assert_close(_run(graph, a, b), b @ a)
    report = validate(_graph("MatMul", {}, [(4, 3), (3, 4)], ports=["left", "middle"]))
    assert [p.message for p in report.errors] == [
        "MatMul has no input port 'middle' (ports: left, right)"]


@pytest.mark.parametrize("left, right, message", [
    ((5, 8), (7, 3), "MatMul of [5, 8] and [7, 3]: the left's last dimension (8) must equal the "
                     "right's second-to-last (7)"),
    ((2, 5, 4), (4, 6), "MatMul needs inputs of the same rank, got [2, 5, 4] and [4, 6]"),
    ((2, 5, 4), (3, 4, 6), "MatMul of [2] and [3]: sizes must match (or be 1) in every "
                           "dimension"),
])
def test_matmul_shapes_that_do_not_fit_are_named(left, right, message):
    report = validate(_graph("MatMul", {}, [left, right]))
    # the rule's words, then which wire brings which shape (resolve._sources)
    assert [(p.node, p.message.split(" (left: ")[0]) for p in report.errors] == [("op", message)]
    assert all(p.message.endswith(")") and "; right: " in p.message for p in report.errors)


def test_matmul_of_a_vector_is_refused_naming_the_port():
    report = validate(_graph("MatMul", {}, [(5, 4), (4,)]))
    assert len(report.errors) == 1 and report.errors[0].node == "op"
    assert "MatMul needs a [..., K, M] (at least 2-D) input" in report.errors[0].message


# -- Unflatten ----------------------------------------------------------------------------------

@pytest.mark.parametrize("params, shape, out", [
    ({}, (5, 16), (5, 2, 8)),  # the default: the last dimension into 2 and the rest
    ({"dim": 0, "sizes": [2, 3]}, (6, 4, 4), (2, 3, 4, 4)),
    ({"dim": -1, "sizes": [4, 4]}, (7, 16), (7, 4, 4)),
])
def test_unflatten_splits_one_dimension(params, shape, out):
    graph = _graph("Unflatten", params, [shape])
    assert tuple(validate(graph).resolution.top.nodes["op"].shape) == out
    x = torch.randn(2, *shape)
    torch.testing.assert_close(_run(graph, x), x.reshape(2, *out))


@pytest.mark.parametrize("params, message", [
    ({"sizes": [3, 5]}, "sizes [3, 5] hold 15 values, but dimension -1 of [5, 16] has 16"),
    ({"sizes": [3, -1]}, "sizes [3, -1] do not divide dimension -1 of [5, 16] (size 16)"),
])
def test_unflatten_sizes_that_do_not_fit_name_the_param(params, message):
    report = validate(_graph("Unflatten", params, [(5, 16)]))
    assert [(p.node, p.param, p.message) for p in report.errors] == [("op", "sizes", message)]


def test_unflatten_keeps_the_other_sizes_free():
    """The same design at another length validates and runs: only the split size is held."""
    for length in (5, 11):
        graph = _graph("Unflatten", {"dim": 1, "sizes": [2, 8]}, [(length, 16)])
        x = torch.randn(2, length, 16)
        torch.testing.assert_close(_run(graph, x), x.view(2, length, 2, 8))
    code = generate_code(_graph("Unflatten", {"dim": 1, "sizes": [2, 8]}, [(5, 16)]))
    assert "self.op = nn.Unflatten(2, (2, 8))" in code


# -- ScaledDotProductAttention -----------------------------------------------------------------

@pytest.mark.parametrize("params, shapes", [
    ({}, [(6, 8)]),  # self-attention: one input
    ({"is_causal": True}, [(2, 5, 4), (2, 5, 4), (2, 5, 3)]),
    ({"scale": 0.5}, [(2, 3, 4), (2, 7, 4), (2, 7, 6)]),
])
def test_dot_product_attention_is_torchs(params, shapes):
    graph = _graph("ScaledDotProductAttention", params, shapes)
    xs = [torch.randn(3, *s) for s in shapes]
    q = xs[0]
    k = xs[1] if len(xs) > 1 else q
    v = xs[2] if len(xs) > 2 else k
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=params.get("is_causal", False),
                                              scale=params.get("scale"))
    torch.testing.assert_close(_run(graph, *xs), expected)
    assert summarize(graph).params == 0


@pytest.mark.parametrize("shapes, port, message", [
    ([(5, 4), (5, 3), (5, 4)], 1, "the key's last dimension (3) must equal the query's (4)"),
    ([(5, 4), (6, 4), (5, 4)], 2, "key and value need the same length, got 6 and 5"),
])
def test_dot_product_attention_shapes_that_do_not_fit_are_named(shapes, port, message):
    report = validate(_graph("ScaledDotProductAttention", {}, shapes))
    # the rule's words, then the block feeding each port (resolve._sources)
    assert [(p.node, p.message.split(" (query: ")[0]) for p in report.errors] == [("op", message)]
    assert all("; key: " in p.message and "; value: " in p.message for p in report.errors)


def test_dot_product_attention_dropout_only_while_training():
    graph = _graph("ScaledDotProductAttention", {"dropout": 0.5}, [(6, 8)])
    model = compile_graph(graph)
    x = torch.randn(2, 6, 8)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), F.scaled_dot_product_attention(x, x, x))
        torch.manual_seed(0)
        assert not torch.allclose(model.train()(x), model.eval()(x))


# -- a small attention designed from them, exported -------------------------------------------

def designed(length: int = 5) -> dict:
    """q, k, v from one Linear, two heads: Chunk, Unflatten, Permute, MatMul, Rescaling,
    Softmax, MatMul, Permute, Flatten; beside it the same through ScaledDotProductAttention."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [length, 16]}},
             {"id": "qkv", "type": "Linear", "params": {"out_features": 48}},
             {"id": "split", "type": "Chunk", "params": {"chunks": 3, "dim": -1}}]
    edges = [{"source": "x", "target": "qkv"}, {"source": "qkv", "target": "split"}]
    for i, name in enumerate("qkv"):
        nodes += [{"id": f"{name}_heads", "type": "Unflatten", "params": {"sizes": [2, 8]}},
                  {"id": f"{name}_t", "type": "Permute", "params": {"dims": [1, 0, 2]}}]
        edges += [{"source": "split", "target": f"{name}_heads", "source_port": i},
                  {"source": f"{name}_heads", "target": f"{name}_t"}]
    nodes += [{"id": "kT", "type": "Permute", "params": {"dims": [0, 2, 1]}},
              {"id": "scores", "type": "MatMul"},
              {"id": "scaled", "type": "Rescaling", "params": {"scale": 8 ** -0.5}},
              {"id": "weights", "type": "Softmax"},
              {"id": "mixed", "type": "MatMul"},
              {"id": "sdpa", "type": "ScaledDotProductAttention"},
              {"id": "both", "type": "Add"},
              {"id": "back", "type": "Permute", "params": {"dims": [1, 0, 2]}},
              {"id": "joined", "type": "Flatten", "params": {"start_dim": 1}},
              {"id": "y", "type": "Output"}]
    edges += [{"source": "k_t", "target": "kT"},
              {"source": "q_t", "target": "scores", "port": "left"},
              {"source": "kT", "target": "scores", "port": "right"},
              {"source": "scores", "target": "scaled"}, {"source": "scaled", "target": "weights"},
              {"source": "weights", "target": "mixed", "port": "left"},
              {"source": "v_t", "target": "mixed", "port": "right"},
              {"source": "q_t", "target": "sdpa", "port": "query"},
              {"source": "k_t", "target": "sdpa", "port": "key"},
              {"source": "v_t", "target": "sdpa", "port": "value"},
              {"source": "mixed", "target": "both"}, {"source": "sdpa", "target": "both"},
              {"source": "both", "target": "back"}, {"source": "back", "target": "joined"},
              {"source": "joined", "target": "y"}]
    return {"format": "layerloom-graph", "version": 1, "name": "designed-attention",
            "nodes": nodes, "edges": edges}


def test_the_two_ways_agree_and_the_design_runs_at_another_length():
    torch.manual_seed(0)
    model = compile_graph(designed()).eval()
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        q, k, v = model.qkv(x).view(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
        expected = 2 * F.scaled_dot_product_attention(q, k, v)
        torch.testing.assert_close(model(x), expected.transpose(1, 2).reshape(2, 5, 16))
    longer = compile_graph(designed(9)).eval()
    longer.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        assert longer(torch.randn(2, 9, 16)).shape == (2, 9, 16)


def test_generated_code_reads_as_written():
    code = generate_code(designed())
    assert "self.scores = MatMul()" in code
    assert "scores = self.scores(q_t, kT)  # (B, 2, 5, 5)" in code
    assert "self.sdpa = ScaledDotProductAttention(" in code
    assert "sdpa = self.sdpa(q_t, k_t, v_t)  # (B, 2, 5, 8)" in code
    assert "self.q_heads = nn.Unflatten(-1, (2, 8))" in code


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_exports_give_the_designs_outputs(fmt, tmp_path):
    result = export_model(designed(), fmt, tmp_path / f"attention.{fmt}")
    assert result.max_abs_diff < 1e-5
