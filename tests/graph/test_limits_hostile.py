"""Issue 11's hostile graphs: each one, once a hang or an allocation of gigabytes, now gets a
clean error naming the node and the figure, in a child process under a memory limit
(RLIMIT_AS) and a time limit, so a regression fails the test instead of taking the machine.

How much work a refusal took is counted in Python function calls (``sys.settrace``), the same
on any machine, rather than timed: each bound is about four times today's count, and far below
what expanding the hostile design would take (2**40 copies, 10**8 layers, 10**5 nested levels)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

MEMORY_MIB = 1024  # address space of the child: importing the graph package needs ~400 MiB
TIMEOUT_S = 60  # the child's wall clock: a hang fails here, not the machine


def bounded(code: str, stdin: str = "", env: dict | None = None, torch: bool = False) -> dict:
    """Run ``code`` in a Python child limited to MEMORY_MIB of address space; it prints one JSON
    object on its last line, returned here. ``torch``: the code needs it, imported before the
    limit, which is then MEMORY_MIB more than what the child has mapped (PyPI's CUDA build of
    torch maps more than MEMORY_MIB as it loads, which failed as 'libtorch_cpu.so: failed to
    map segment')."""
    prelude = textwrap.dedent(f"""
        import json, resource, sys
        limit = {MEMORY_MIB} << 20
        if {torch}:
            import torch
            with open("/proc/self/status") as status:  # VmSize: what is mapped now, in KiB
                limit += next(int(line.split()[1]) for line in status
                              if line.startswith("VmSize:")) << 10
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from layerloom.graph import GraphError, loads_graph, validate
        def check(text, **kw):
            calls = [0]
            def count(frame, event, arg):  # Python function calls: the work, on any machine
                calls[0] += 1
            sys.settrace(count)
            try:
                report = validate(loads_graph(text), **kw)
                out = {{"errors": [[e.node, e.param, e.message] for e in report.errors]}}
            except GraphError as exc:
                out = {{"graph_error": str(exc), "node": exc.node}}
            finally:
                sys.settrace(None)
            out["calls"] = calls[0]
            return out
    """)
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], input=stdin,
                          capture_output=True, text=True, timeout=TIMEOUT_S,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def graph(nodes, edges, blocks=None, variables=None) -> dict:
    return copy.deepcopy({"format": "layerloom-graph", "version": 1, "name": "hostile",
                          "variables": variables or {}, "blocks": blocks or {}, "nodes": nodes,
                          "edges": edges})


def chain(*ids):
    return [{"source": a, "target": b} for a, b in zip(ids, ids[1:])]


def sequence(*nodes, params=None) -> dict:
    """A composite block: its nodes in a chain."""
    return {"params": params or {}, "nodes": list(nodes),
            "edges": chain(*[n["id"] for n in nodes])}


X = {"id": "x", "type": "Input", "params": {"shape": [8]}}
Y = {"id": "y", "type": "Output"}


def doubling(levels: int) -> dict:
    """Block B0 uses two copies of B1, which uses two of B2, …: 2**levels copies of a ReLU."""
    blocks = {}
    for k in range(levels):
        middle = ([{"id": "r", "type": "ReLU"}] if k == levels - 1 else
                  [{"id": "a", "type": f"B{k + 1}"}, {"id": "b", "type": f"B{k + 1}"}])
        blocks[f"B{k}"] = sequence({"id": "i", "type": "Input"}, *middle,
                                   {"id": "o", "type": "Output"})
    return graph([X, {"id": "deep", "type": "B0"}, Y], chain("x", "deep", "y"), blocks)


def run_check(g: dict, env: dict | None = None, **kw) -> dict:
    return bounded(f"print(json.dumps(check(sys.stdin.read(), {kw_source(kw)})))",
                   json.dumps(g), env)


def kw_source(kw: dict) -> str:
    if not kw:
        return ""
    return "limits=__import__('layerloom.graph.limits', fromlist=['Limits']).Limits(" + ", ".join(
        f"{k}={v!r}" for k, v in kw.items()) + ")"


def only_error(out: dict) -> list:
    assert "errors" in out, out
    assert len(out["errors"]) == 1, out["errors"]
    return out["errors"][0]


def test_forty_levels_of_doubling_composites_is_refused_at_once():
    g = doubling(40)
    assert len(json.dumps(g)) < 12_000  # the "10 kB file"
    out = run_check(g)
    node, _, message = only_error(out)
    assert node == "deep"
    assert "nested 40 deep here (B0 → B1 → B2 → B3 → B4 → …)" in message
    assert "limit of 32" in message and "LAYERLOOM_MAX_DEPTH" in message
    assert out["calls"] < 50_000, out["calls"]


def test_forty_levels_within_the_depth_limit_still_fail_on_layers():
    """With nesting allowed, the layer count (2**41 - 1 composites and ReLUs, multiplied out
    without expanding) is what refuses it."""
    out = run_check(doubling(40), env={"LAYERLOOM_MAX_DEPTH": "64"})
    node, _, message = only_error(out)
    assert node == "deep"
    # B39 is 4 nodes, B_k = 3 + 2 * B_(k+1): B0 = 7 * 2**39 - 3; plus the Input and Output
    assert f"resolves to {7 * 2**39 - 1:,} layers" in message
    assert "more than the limit of 100,000" in message and "LAYERLOOM_MAX_LAYERS" in message
    assert out["calls"] < 50_000, out["calls"]


def test_composite_repeat_around_node_repeat_is_refused_before_expanding():
    block = sequence({"id": "i", "type": "Input"},
                     {"id": "l", "type": "ReLU", "repeat": 10000}, {"id": "o", "type": "Output"})
    g = graph([X, {"id": "outer", "type": "R", "repeat": 10000}, Y], chain("x", "outer", "y"),
              {"R": block})
    assert len(json.dumps(g)) < 600
    out = run_check(g)
    node, param, message = only_error(out)
    assert (node, param) == ("outer", "repeat")
    assert "resolves to 100,030,002 layers" in message
    assert "this node alone 100,030,000" in message
    assert out["calls"] < 30_000, out["calls"]


def test_repeats_from_variables_are_counted_too():
    block = sequence({"id": "i", "type": "Input"},
                     {"id": "l", "type": "ReLU", "repeat": "=n"}, {"id": "o", "type": "Output"})
    g = graph([X, {"id": "outer", "type": "R", "repeat": "=n"}, Y], chain("x", "outer", "y"),
              {"R": block}, variables={"n": 5000})
    node, _, message = only_error(run_check(g))
    assert node == "outer" and "resolves to 25,015,002 layers" in message


def test_an_edge_into_add_with_port_100000000_is_an_error_not_an_allocation():
    g = graph([X, {"id": "add", "type": "Add"}, Y],
              [{"source": "x", "target": "add", "port": 0},
               {"source": "x", "target": "add", "port": 100000000},
               {"source": "add", "target": "y"}])
    out = run_check(g)
    node, _, message = only_error(out)
    assert node == "add"
    assert message == ("port 100000000 is out of range: 2 edges come into this Add, so its "
                       "ports are 0–1")
    assert out["calls"] < 30_000, out["calls"]


def test_concat_with_a_single_huge_port():
    g = graph([X, {"id": "cat", "type": "Concat"}, Y],
              [{"source": "x", "target": "cat", "port": 100000000},
               {"source": "cat", "target": "y"}])
    node, _, message = only_error(run_check(g))
    assert node == "cat" and "1 edge comes into this Concat, so its ports are 0–0" in message


COSTLY = [
    ("=(((9**64)**64)**64)**64", "number too large: integers in expressions are limited to 128"),
    ("=round(1, -10**9)", "round() takes at most 100 digits, got -1000000000"),
    ("=(2**64)**64", "number too large"),
    ("=" + "-" * 499 + "1", "expression nested more than 50 levels deep"),
]


def test_costly_expressions_are_refused_naming_node_and_param_or_variable():
    """Each as a param and as a variable, all in one bounded child."""
    cases = []
    for text, _ in COSTLY:
        cases.append(graph([X, {"id": "fc", "type": "Linear", "params": {"out_features": text}},
                            Y], chain("x", "fc", "y")))
        cases.append(graph([X, {"id": "fc", "type": "Linear", "params": {"out_features": "=v"}},
                            Y], chain("x", "fc", "y"), variables={"v": text}))
    out = bounded("print(json.dumps([check(json.dumps(g)) for g in json.loads(sys.stdin.read())]))",
                  json.dumps(cases))
    for i, result in enumerate(out):
        pattern = COSTLY[i // 2][1]
        assert result["calls"] < 30_000, result["calls"]
        node, param, message = result["errors"][0]
        if i % 2 == 0:
            assert (node, param) == ("fc", "out_features") and len(result["errors"]) == 1
            assert message.startswith("out_features = ")
        else:
            assert (node, param) == (None, "v") and message.startswith("variable 'v' = ")
        assert pattern in message


def test_a_linear_layer_repeated_10000_times_is_over_the_memory_budget():
    """168 G parameters: an error at validation, so codegen, compile and start_run (which all
    validate first) refuse it before allocating anything."""
    g = graph([X, {"id": "fc", "type": "Linear", "params": {"out_features": 4096},
                   "repeat": 10000}, Y], chain("x", "fc", "y"))
    g["nodes"][0]["params"]["shape"] = [4096]
    out = bounded("""
        import tempfile
        from layerloom.graph import generate_code, compile_graph
        from layerloom.runtime.process import start_run
        from layerloom.runtime.store import RunStore
        text = sys.stdin.read()
        result = check(text)
        refused = []
        for name, fn in [("codegen", lambda g: generate_code(g)),
                         ("compile", lambda g: compile_graph(g)),
                         ("start_run", lambda g: start_run(
                             g, "moons", store=RunStore(tempfile.mkdtemp() + "/runs.db")))]:
            try:
                fn(loads_graph(text))
            except GraphError as exc:
                refused.append([name, exc.node, str(exc)])
        result["refused"] = refused
        print(json.dumps(result))
    """, json.dumps(g), torch=True)
    node, _, message = only_error(out)
    assert node == "fc"
    assert ("the model needs 167,813,120,000 parameters, 625.2 GiB as float32 (this node "
            "alone 167,813,120,000), more than the memory budget of") in message
    assert "LAYERLOOM_MAX_MODEL_BYTES" in message
    assert [r[:2] for r in out["refused"]] == [["codegen", "fc"], ["compile", "fc"],
                                               ["start_run", "fc"]]
    assert all("625.2 GiB" in r[2] for r in out["refused"])


def test_memory_budget_is_settable(monkeypatch):
    g = graph([X, {"id": "fc", "type": "Linear", "params": {"out_features": 1000}}, Y],
              chain("x", "fc", "y"))  # 9,000 params: 36 kB
    from layerloom.graph import parse_graph, validate
    from layerloom.graph.limits import Limits

    assert validate(parse_graph(g)).ok
    errors = validate(parse_graph(g), limits=Limits(max_model_bytes=10_000)).errors
    assert len(errors) == 1 and errors[0].node == "fc"
    assert ("the model needs 9,000 parameters, 35.2 KiB as float32 (this node alone 9,000), "
            "more than the memory budget of 9.8 KiB") in errors[0].message
    monkeypatch.setenv("LAYERLOOM_MAX_MODEL_BYTES", "30kB")
    assert not validate(parse_graph(g)).ok
    monkeypatch.setenv("LAYERLOOM_MAX_MODEL_BYTES", "1MiB")
    assert validate(parse_graph(g)).ok


def test_activation_memory_is_budgeted_too():
    g = graph([{"id": "x", "type": "Input", "params": {"shape": [64, 512, 512]}},
               {"id": "up", "type": "Upsample", "params": {"scale_factor": 64}}, Y],
              chain("x", "up", "y"))  # 256 GiB of output for one sample
    from layerloom.graph import parse_graph, validate
    from layerloom.graph.limits import Limits

    errors = validate(parse_graph(g), limits=Limits(max_model_bytes=8 << 30)).errors
    assert [e.node for e in errors] == ["up"]
    assert "256.0 GiB of activations for one sample's forward pass" in errors[0].message


def test_json_integer_of_5000_digits():
    text = ('{"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [], '
            '"edges": [], "variables": {"a": ' + "9" * 5000 + "}}")
    out = bounded("print(json.dumps(check(sys.stdin.read())))", text)
    assert out["graph_error"] == "a number has more than 40 digits"


def test_json_integer_of_45_digits_in_a_param():
    g = graph([X, {"id": "fc", "type": "Linear", "params": {"out_features": 10**45}}, Y],
              chain("x", "fc", "y"))
    out = bounded("print(json.dumps(check(sys.stdin.read())))", json.dumps(g))
    assert out["graph_error"] == "nodes[1].params.out_features: a number of more than 40 digits"


def test_json_nested_100000_deep():
    text = ('{"format": "layerloom-graph", "version": 1, "name": "t", "nodes": [], '
            '"edges": [], "extra": ' + "[" * 100_000 + "]" * 100_000 + "}")
    out = bounded("print(json.dumps(check(sys.stdin.read())))", text)
    assert out["graph_error"] == "JSON nested too deeply (a graph may nest at most 64 levels)"
    assert out["calls"] < 1_000, out["calls"]


def test_json_nested_900_deep_within_the_decoder_limit():
    g = graph([X, Y], chain("x", "y"))
    g["nodes"][0]["note"] = json.loads("[" * 900 + "]" * 900)
    out = bounded("print(json.dumps(check(sys.stdin.read())))", json.dumps(g))
    assert out["graph_error"].startswith("nodes[0].note[0][0][0]")
    assert out["graph_error"].endswith(": nested more than 64 levels deep")


def test_composites_nested_3000_deep():
    blocks = {f"D{k}": sequence({"id": "i", "type": "Input"},
                                {"id": "a", "type": f"D{k + 1}" if k < 2999 else "ReLU"},
                                {"id": "o", "type": "Output"}) for k in range(3000)}
    g = graph([X, {"id": "n", "type": "D0"}, Y], chain("x", "n", "y"), blocks)
    out = run_check(g)
    node, _, message = only_error(out)
    assert node == "n" and "composite blocks are nested 3,000 deep here" in message
    assert out["calls"] < 1_000_000, out["calls"]
    # with the depth limit raised past what Python's stack takes: still a clean error
    out = run_check(g, env={"LAYERLOOM_MAX_DEPTH": "5000"})
    assert only_error(out)[2] == ("composite blocks are nested too deeply to resolve (the limit "
                                  "is 5000); lower LAYERLOOM_MAX_DEPTH")


def test_a_loop_of_3000_blocks_is_found_without_recursion():
    blocks = {f"D{k}": sequence({"id": "i", "type": "Input"},
                                {"id": "a", "type": f"D{(k + 1) % 3000}"},
                                {"id": "o", "type": "Output"}) for k in range(3000)}
    g = graph([X, {"id": "n", "type": "D0"}, Y], chain("x", "n", "y"), blocks)
    out = run_check(g)
    messages = [m for _, _, m in out["errors"]]
    assert messages[0].startswith("block 'D0' uses itself (D0 → D1 → D2")
    assert "block 'D0' cannot be used: it uses itself" in messages[-1]
    assert out["calls"] < 1_000_000, out["calls"]


def test_limits_argument_and_environment(monkeypatch):
    from layerloom.graph import GraphError, parse_graph, validate
    from layerloom.graph.limits import Limits

    g = graph([X, {"id": "r", "type": "ReLU", "repeat": 50}, Y], chain("x", "r", "y"))
    assert validate(parse_graph(g)).ok
    errors = validate(parse_graph(g), limits=Limits(max_layers=40)).errors
    assert [(e.node, e.param) for e in errors] == [("r", "repeat")]
    assert "resolves to 52 layers" in errors[0].message
    errors = validate(parse_graph(g), limits=Limits(max_repeat=20)).errors
    assert errors[0].message.startswith("repeat 50 is more than 20 copies, the limit")
    monkeypatch.setenv("LAYERLOOM_MAX_REPEAT", "10")
    assert "more than 10 copies" in validate(parse_graph(g)).errors[0].message
    assert validate(parse_graph(g), limits=Limits(max_repeat=100)).ok  # the argument wins
    monkeypatch.setenv("LAYERLOOM_MAX_LAYERS", "lots")
    with pytest.raises(GraphError, match=r"LAYERLOOM_MAX_LAYERS='lots' is not a whole number"):
        validate(parse_graph(g))


def test_repeats_known_only_from_shapes_are_stopped_while_resolving():
    """``repeat: "=in_shape[0]"`` cannot be counted before shapes are known (the count takes 1):
    the layers actually made are counted as well, and resolution stops at the budget."""
    block = sequence({"id": "i", "type": "Input"},
                     {"id": "l", "type": "ReLU", "repeat": "=in_shape[0]"},
                     {"id": "o", "type": "Output"})
    g = graph([{"id": "x", "type": "Input", "params": {"shape": [5000]}},
               {"id": "outer", "type": "R", "repeat": 5000}, Y], chain("x", "outer", "y"),
              {"R": block})
    out = run_check(g)
    node, _, message = only_error(out)
    assert re.fullmatch(r"outer/\d+/l", node), node
    assert message.startswith("the design resolves to more than 100,000 layers (composites and "
                              "repeats multiplied out), the limit; raise it with "
                              "LAYERLOOM_MAX_LAYERS")
    assert out["calls"] < 6_000_000, out["calls"]


def test_long_param_lists_count_toward_the_layer_budget():
    """Each copy checks (and evaluates) every value of its params: a Reshape whose shape lists
    100,000 expressions, repeated 10,000 times, counts as the work it is."""
    g = graph([X, {"id": "r", "type": "Reshape", "params": {"shape": ["=1"] * 100_000},
                   "repeat": 10000}, Y], chain("x", "r", "y"))
    out = run_check(g)
    node, param, message = only_error(out)
    assert (node, param) == ("r", "repeat")
    assert "resolves to 499,930,002 layers" in message  # (1 + (100,000 - 16) // 2) × 10,000 + 2
    assert out["calls"] < 400_000, out["calls"]
