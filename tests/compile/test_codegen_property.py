"""Property: for random valid graphs (chains, branches joined by Add/Concat, composites,
repeats including 0, dangling nodes, second outputs) compile == codegen == summary."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerloom.graph import compile_graph, generate_code, summarize, validate

UNIT = {"params": {"ch": 2, "residual": 0}, "nodes": [
    {"id": "x", "type": "Input"},
    {"id": "conv", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 3,
                                                "padding": 1}},
    {"id": "bn", "type": "BatchNorm2d"}, {"id": "act", "type": "ReLU"},
    {"id": "skip", "type": "Add", "repeat": "=residual"},
    {"id": "out", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [
        ("x", "conv"), ("conv", "bn"), ("bn", "act"), ("act", "skip"), ("x", "skip"),
        ("skip", "out")]]}


@st.composite
def graphs(draw):
    channels, size = draw(st.integers(1, 3)), draw(st.integers(3, 5))
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [channels, size, size]}}]
    edges, blocks = [], {}
    counter = iter(range(1000))

    def add(type_, sources, params=None, repeat=None):
        node_id = f"{type_.lower()}{next(counter)}"
        node = {"id": node_id, "type": type_}
        if params:
            node["params"] = params
        if repeat is not None:
            node["repeat"] = repeat
        nodes.append(node)
        edges.extend({"source": s, "target": node_id} for s in sources)
        return node_id

    def conv(source, out, kernel=3):
        return add("Conv2d", [source], {"out_channels": out, "kernel_size": kernel,
                                        "padding": kernel // 2})

    current = "x"
    for _ in range(draw(st.integers(1, 5))):
        step = draw(st.sampled_from(["conv", "act", "bn", "residual", "concat", "unit",
                                     "repeat", "dangling"]))
        if step == "conv":
            channels = draw(st.integers(1, 4))
            current = conv(current, channels, draw(st.sampled_from([1, 3])))
        elif step == "act":
            current = add(draw(st.sampled_from(["ReLU", "GELU", "Tanh", "Identity"])),
                          [current])
        elif step == "bn":
            current = add("BatchNorm2d", [current])
        elif step == "residual":
            branches = [conv(current, channels) for _ in range(draw(st.integers(1, 2)))]
            current = add("Add", [current] + branches)
        elif step == "concat":
            widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
            current = add("Concat", [conv(current, w, 1) for w in widths])
            channels = sum(widths)
        elif step == "unit":
            blocks["Unit"] = UNIT
            ch, repeat = draw(st.integers(1, 4)), draw(st.integers(0, 3))
            residual = int(ch == channels and draw(st.booleans()))  # Add needs equal channels
            current = add("Unit", [current], {"ch": ch, "residual": residual}, repeat)
            channels = ch if repeat else channels
        elif step == "repeat":
            current = add("Conv2d", [current], {"out_channels": channels, "kernel_size": 3,
                                                "padding": 1}, draw(st.integers(0, 3)))
        else:  # a node on no path to an Output: left out of the model
            add("ReLU", [current])
        if draw(st.integers(0, 5)) == 0:
            add("Output", [current])
    if draw(st.booleans()):
        current = add("Linear", [add("Flatten", [current])],
                      {"out_features": draw(st.integers(1, 3))})
    add("Output", [current])
    graph = {"format": "layerloom-graph", "version": 1, "name": "random", "nodes": nodes,
             "edges": edges}
    if blocks:
        graph["blocks"] = blocks
    return graph


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs())
def test_compile_equals_codegen_equals_summary(graph, helpers, tmp_path_factory):
    report = validate(graph)
    assert report.ok, report.errors
    summary = summarize(report)
    model = compile_graph(graph).eval()
    assert sum(p.numel() for p in model.parameters()) == summary.params
    xs = helpers.sample_inputs(graph)
    with torch.no_grad():
        compiled = helpers.outputs(model(*xs))
    assert [list(y.shape[1:]) for y in compiled] == summary.outputs
    module = helpers.load_source(generate_code(graph), tmp_path_factory.mktemp("gen"))
    generated = helpers.model_class(module)().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    assert sum(p.numel() for p in generated.parameters()) == summary.params
    with torch.no_grad():
        for a, b in zip(helpers.outputs(generated(*xs)), compiled, strict=True):
            torch.testing.assert_close(a, b)
