"""Opening users' design files in the designer: the read of an uploaded file (``read_upload``:
JSON, the graph's structure, node ids used twice) against the number of nodes.

Builds chains of 2,000 and 20,000 ReLU blocks, reads each a few times and prints the median time
and the time per node at each size; then the time to refuse a 15 MB file made mostly of one key
the format does not know (well under a second; it took about 15 s to open). Linear growth keeps the time per node flat: the 20,000 /
2,000 ratio of per-node times should be close to 1 (a check of ids used twice that compared every
id with every other made it about 8, 4.4 s for the larger file, where it now takes 0.2 s).

    python benchmarks/design_upload_bench.py
"""

from __future__ import annotations

import json
import statistics
import time

from layerloom.graph import GraphError
from layerloom.ui.projects import read_upload


def chain(n_nodes: int) -> bytes:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [4]}}]
    nodes += [{"id": f"r{i}", "type": "ReLU"} for i in range(n_nodes)]
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return json.dumps({"format": "layerloom-graph", "version": 1, "name": f"chain{n_nodes}",
                       "nodes": nodes, "edges": edges}, indent=2).encode()


def time_read(data: bytes, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        read_upload("design.json", data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    per_node = {}
    for n_nodes in (2_000, 20_000):
        seconds = time_read(chain(n_nodes), repeats=5 if n_nodes < 10_000 else 3)
        per_node[n_nodes] = seconds / n_nodes
        print(f"{n_nodes:>6,} nodes: {seconds * 1000:8.1f} ms  "
              f"({per_node[n_nodes] * 1e6:.1f} µs per node)")
    print(f"per-node ratio 20,000 / 2,000: {per_node[20_000] / per_node[2_000]:.2f} "
          f"(1 is linear)")
    # a 15 MB file made mostly of one key the format does not know: refused, naming the key,
    # once the budget's worth of it is looked at (it took about 15 s to open in the designer)
    data = json.loads(chain(1))
    data["history"] = list(range(1_250_000))
    junk = json.dumps(data, indent=2).encode()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        try:
            read_upload("design.json", junk)
        except GraphError:
            pass
        times.append(time.perf_counter() - start)
    print(f"{len(junk) / 1e6:.0f} MB of one unknown key: {statistics.median(times) * 1000:8.1f} "
          f"ms to refuse")


if __name__ == "__main__":
    main()
