"""Designer figures (issue 6): server time of one interaction on a 100-node graph.

One interaction is what a param edit costs the server: the edit is committed (undo record,
autosave), the graph validated, the canvas annotations and the status totals rebuilt.

1. ``pipeline``: those steps alone, on :class:`DesignerState` (no Streamlit).
2. ``page run``: a whole run of the app in Streamlit's ``AppTest`` after a canvas event (a node
   moved, so each run commits a new graph), with the canvas component faked: the script's work
   on the server, widgets and all, without the browser.

Medians of ``--runs`` (target < 300 ms each).

    python benchmarks/ui_bench.py [--runs 30] [--nodes 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time


def graph_dict(n: int) -> dict:
    """A chain of ``n`` nodes: Input, Conv2d/BatchNorm2d/ReLU blocks, Output."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [16, 32, 32]}, "position": [0, 0]}]
    kinds = ("Conv2d", "BatchNorm2d", "ReLU")
    for i in range(n - 2):
        kind = kinds[i % 3]
        params = {"out_channels": 16, "kernel_size": 3, "padding": 1} if kind == "Conv2d" else {}
        nodes.append({"id": f"n{i}", "type": kind, "params": params,
                      "position": [220 * (i + 1) % 4400, 140 * ((i + 1) // 20)]})
    nodes.append({"id": "out", "type": "Output", "position": [0, 2000]})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "layerloom-graph", "version": 1, "name": "bench", "nodes": nodes,
            "edges": edges}


def pipeline(n: int, runs: int) -> list[float]:
    from layerloom.graph import edit, load_graph
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    state = DesignerState.new(ProjectStore(tempfile.mkdtemp()), load_graph(graph_dict(n)))
    times = []
    for i in range(runs):
        start = time.perf_counter()
        state.apply(edit.set_param, (), "n0", "out_channels", 16 + i % 2)
        state.report()
        state.annotations()
        state.totals()
        state.catalog()
        times.append(time.perf_counter() - start)
        assert state.report().ok
    return times


def page_runs(n: int, runs: int) -> list[float]:
    import layerloom.ui.canvas
    from layerloom.graph import load_graph
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.testing import FakeCanvas, app_test

    os.environ["LAYERLOOM_HOME"] = tempfile.mkdtemp()
    pid = ProjectStore().create(load_graph(graph_dict(n)))
    fake = FakeCanvas()
    layerloom.ui.canvas.canvas = fake
    at = app_test(timeout=120)
    at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception
    fake.send("select", selected=["n0"])  # the inspector is drawn too
    at.run()
    times = []
    for i in range(runs):
        level = json.loads(json.dumps(fake.last["graph"]))
        level["nodes"][1]["position"] = [220 + i % 2, 0]
        fake.send("change", level, selected=["n0"])
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    assert len(fake.last["annotations"]["nodes"]) == n
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--nodes", type=int, default=100)
    args = parser.parse_args()
    results = {}
    for name, fn in (("pipeline", pipeline), ("page run", page_runs)):
        times = fn(args.nodes, args.runs)
        median = statistics.median(times) * 1000
        results[name] = round(median, 1)
        print(f"{name:>9}: median {median:6.1f} ms, p90 "
              f"{sorted(times)[int(0.9 * len(times))] * 1000:6.1f} ms over {len(times)} runs "
              f"({args.nodes} nodes; target < 300 ms: {'ok' if median < 300 else 'MISSED'})")
    print(json.dumps({"nodes": args.nodes, "median_ms": results}))


if __name__ == "__main__":
    main()
