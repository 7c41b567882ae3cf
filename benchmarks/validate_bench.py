"""Validation + shape inference cost against graph size (issue 2).

Builds graphs of 100, 500 and 2,000 nodes (a residual CNN trunk: conv/BN/ReLU chains with Add
joins every few nodes, so ports, merges and expressions are all exercised), validates each
several times and prints the median time and the ratios. Linear growth means the time per node
stays flat: the 2,000/100 ratio of per-node times should be close to 1.

    python benchmarks/validate_bench.py
"""

from __future__ import annotations

import statistics
import time

from layerloom.graph import parse_graph, summarize, validate


def residual_trunk(n_nodes: int) -> dict:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [16, 32, 32]}}]
    edges = []
    prev, skip = "x", "x"
    i = 0
    while len(nodes) < n_nodes - 1:
        kind = i % 4
        node_id = f"n{i}"
        if kind == 0:
            node = {"id": node_id, "type": "Conv2d",
                    "params": {"out_channels": "=width", "kernel_size": 3, "padding": 1}}
        elif kind == 1:
            node = {"id": node_id, "type": "BatchNorm2d"}
        elif kind == 2:
            node = {"id": node_id, "type": "ReLU"}
        else:
            node = {"id": node_id, "type": "Add"}
            edges.append({"source": skip, "target": node_id})
        nodes.append(node)
        edges.append({"source": prev, "target": node_id})
        if kind == 3:
            skip = node_id
        prev = node_id
        i += 1
    nodes.append({"id": "y", "type": "Output"})
    edges.append({"source": prev, "target": "y"})
    return {"format": "layerloom-graph", "version": 1, "name": f"trunk{n_nodes}",
            "variables": {"width": 16}, "nodes": nodes, "edges": edges}


def time_validate(graph_dict: dict, repeats: int) -> float:
    graph = parse_graph(graph_dict)
    report = validate(graph)
    assert report.ok, report.errors[:3]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        summarize(validate(graph))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sizes = (100, 500, 2000)
    results = {}
    time_validate(residual_trunk(100), 3)  # warm-up: imports, caches
    for size in sizes:
        results[size] = time_validate(residual_trunk(size), 15 if size < 2000 else 7)
    base = results[100] / 100
    print(f"{'nodes':>6} {'median s':>10} {'µs/node':>9} {'per-node ratio vs 100':>22}")
    for size in sizes:
        per_node = results[size] / size
        print(f"{size:>6} {results[size]:>10.4f} {per_node * 1e6:>9.1f} {per_node / base:>22.2f}")
    print(f"2,000-node validate + summarize: {results[2000] * 1000:.0f} ms "
          f"({'under' if results[2000] < 1 else 'OVER'} one second)")


if __name__ == "__main__":
    main()
