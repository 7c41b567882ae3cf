"""Fuzzing the graph package's inputs: random expressions, random graph JSON (types, params,
repeats, ports, composite blocks that use each other) and random text as a graph file. Nothing
may raise anything but the project's own errors (ExpressionError, GraphError), and every case
must finish within Hypothesis's deadline."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerloom.graph import GraphError, loads_graph, parse_graph, summarize, validate
from layerloom.graph.expressions import ExpressionError, evaluate
from layerloom.graph.limits import Limits

FUZZ = settings(deadline=timedelta(seconds=2), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# -- expressions ---------------------------------------------------------------------------------

NAMES = {"width": 1.5, "classes": 10, "big": 2**100, "in_shape": (3, 32, 32), "flag": True}
numbers = st.one_of(st.integers(-10**40, 10**40).map(str), st.integers(0, 99).map(str),
                    st.floats(allow_nan=False, allow_infinity=False).map(repr),
                    st.sampled_from(["1e308", "9**64", "10**-9", "0", "-0.0"]))
atoms = st.one_of(numbers, st.sampled_from(["width", "classes", "big", "in_shape[0]",
                                            "in_shape[-1]", "in_shape[9]", "flag", "clases",
                                            "True", "None", "'s'", "in_shape"]))


def _combine(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<",
                                                  "<=", "==", "!=", " and ", " or ", "<<",
                                                  "&", "@"]), children)
    call = st.tuples(st.sampled_from(["round", "ceil", "floor", "min", "max", "int", "abs",
                                      "pow", "len"]),
                     st.lists(children, max_size=3))
    return st.one_of(
        binary.map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        children.map(lambda c: f"-{c}"), children.map(lambda c: f"not {c}"),
        call.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    )


expressions = st.recursive(atoms, _combine, max_leaves=12).map(lambda e: "=" + e)
odd_text = st.one_of(st.text(max_size=80).map(lambda t: "=" + t),
                     st.integers(1, 700).map(lambda n: "=" + "-" * n + "1"),
                     st.integers(1, 400).map(lambda n: "=" + "(" * n + "1" + ")" * n),
                     st.integers(1, 200).map(lambda n: "=" + "**".join(["9"] * n)))


@FUZZ
@given(st.one_of(expressions, odd_text))
def test_expressions_raise_only_expression_errors(text):
    try:
        value = evaluate(text, NAMES)
    except ExpressionError as exc:
        assert str(exc)
        return
    assert isinstance(value, (bool, int, float, tuple))
    if isinstance(value, int):
        assert value.bit_length() <= 128


# -- graph JSON ----------------------------------------------------------------------------------

TYPES = ["Input", "Output", "Linear", "Conv2d", "ReLU", "Add", "Concat", "Flatten",
         "BatchNorm2d", "MaxPool2d", "Embedding", "Reshape", "Attention", "Dropout",
         "B0", "B1", "Nope"]
PARAMS = ["shape", "out_features", "out_channels", "kernel_size", "stride", "padding", "dim",
          "p", "dtype", "num_embeddings", "embedding_dim", "ch", "n", "bogus"]
values = st.one_of(
    st.integers(-3, 64), st.integers(-10**45, 10**45), st.floats(allow_nan=True),
    st.booleans(), st.none(), st.sampled_from(["same", "valid", "float32", "int64", "x"]),
    expressions, st.lists(st.one_of(st.integers(-2, 40), expressions), max_size=4))
repeats = st.one_of(st.none(), st.integers(-2, 5), st.integers(0, 10**9),
                    st.sampled_from(["=n", "=n * n", "=in_shape[0]", "=2**64", "=-1", "x"]))
ports = st.one_of(st.none(), st.integers(-2, 4), st.integers(0, 10**12),
                  st.sampled_from(["query", "key", "value", "x", ""]))


@st.composite
def node_lists(draw, ids=("a", "b", "c", "d", "e")):
    nodes = []
    for node_id in draw(st.lists(st.sampled_from(ids), min_size=1, max_size=6)):
        node = {"id": node_id, "type": draw(st.sampled_from(TYPES))}
        params = draw(st.dictionaries(st.sampled_from(PARAMS), values, max_size=3))
        if params:
            node["params"] = params
        repeat = draw(repeats)
        if repeat is not None:
            node["repeat"] = repeat
        nodes.append(node)
    edges = draw(st.lists(st.fixed_dictionaries(
        {"source": st.sampled_from(ids + ("zz",)), "target": st.sampled_from(ids)},
        optional={"port": ports}), max_size=8))
    return nodes, edges


@st.composite
def graphs(draw):
    nodes, edges = draw(node_lists())
    if draw(st.booleans()):  # usually give it a chance of being valid
        nodes = [{"id": "x", "type": "Input", "params": {"shape": draw(st.sampled_from(
            [[8], [3, 8, 8], [4, 6], [0], "=[n]"]))}}] + nodes
        edges = [{"source": "x", "target": nodes[1]["id"]}] + edges
    blocks = {}
    for name in draw(st.lists(st.sampled_from(["B0", "B1", "Linear"]), max_size=2,
                              unique=True)):
        inner, inner_edges = draw(node_lists())
        blocks[name] = {"params": draw(st.dictionaries(st.sampled_from(["ch", "n"]),
                                                       st.one_of(st.integers(0, 20),
                                                                 expressions), max_size=2)),
                        "nodes": [{"id": "i", "type": "Input"}] + inner
                        + [{"id": "o", "type": "Output"}],
                        "edges": inner_edges + [{"source": "i", "target": inner[0]["id"]}]}
    return {"format": "layerloom-graph", "version": 1, "name": "fuzz",
            "variables": draw(st.dictionaries(st.sampled_from(["n", "width", "classes"]),
                                              st.one_of(st.integers(-5, 10**6), st.floats(),
                                                        expressions), max_size=3)),
            "blocks": blocks, "nodes": nodes, "edges": edges}


@st.composite
def plausible_graphs(draw):
    """Chains that are often valid (so summaries are fuzzed too), with random changes."""
    flat = draw(st.booleans())
    shape = [draw(st.integers(1, 16))] if flat else [draw(st.integers(1, 4)), 8, 8]
    layers = (["ReLU", "Linear", "Dropout", "Tanh", "LayerNorm", "Pair"] if flat else
              ["ReLU", "Conv2d", "BatchNorm2d", "MaxPool2d", "Pair", "Flatten"])
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape}}]
    for i in range(draw(st.integers(0, 6))):
        node = {"id": f"n{i}", "type": draw(st.sampled_from(layers))}
        if node["type"] in ("Linear", "Conv2d"):
            key = "out_features" if node["type"] == "Linear" else "out_channels"
            node["params"] = {key: draw(st.one_of(st.integers(1, 32), expressions,
                                                  st.just("=in_shape[0] * n")))}
            if node["type"] == "Conv2d":
                node["params"]["kernel_size"] = draw(st.integers(1, 3))
        if draw(st.integers(0, 3)) == 0:
            node["repeat"] = draw(repeats)
        nodes.append(node)
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    if draw(st.integers(0, 3)) == 0:
        edges[draw(st.integers(0, len(edges) - 1))]["port"] = draw(ports)
    pair = {"params": {"k": 1}, "nodes": [
        {"id": "i", "type": "Input"},
        {"id": "r", "type": "ReLU", "repeat": draw(st.one_of(st.just("=k"), repeats))},
        {"id": "o", "type": "Output"}],
        "edges": [{"source": "i", "target": "r"}, {"source": "r", "target": "o"}]}
    return {"format": "layerloom-graph", "version": 1, "name": "fuzz",
            "variables": {"n": draw(st.one_of(st.integers(0, 4), expressions))},
            "blocks": {"Pair": pair}, "nodes": nodes, "edges": edges}


SMALL = Limits(max_layers=20_000)


@FUZZ
@given(st.one_of(graphs(), plausible_graphs()))
def test_graphs_raise_only_graph_errors(data):
    try:
        graph = loads_graph(json.dumps(data))
    except GraphError as exc:
        assert exc.problems
        return
    report = validate(graph, limits=SMALL)
    assert all(p.severity in ("error", "warning", "info") for p in report.resolution.problems)
    if report.ok:
        summary = summarize(report)
        assert summary.params >= 0
    else:
        assert all(str(p) for p in report.errors)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**60, 10**60), st.floats(),
              st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=30)


@FUZZ
@given(st.dictionaries(st.sampled_from(["name", "nodes", "edges", "blocks", "variables",
                                        "version", "description"]), json_values))
def test_arbitrary_json_objects_as_graphs(data):
    data = {"format": "layerloom-graph", "version": 1, **data}
    try:
        graph = parse_graph(data)
    except GraphError:
        return
    validate(graph, limits=SMALL)


@FUZZ
@given(st.one_of(st.text(max_size=200),
                 st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
                 st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n)))
def test_arbitrary_text_as_a_graph_file(text):
    try:
        loads_graph("{" + text if not text.lstrip().startswith("{") else text)
    except GraphError as exc:
        assert str(exc)
