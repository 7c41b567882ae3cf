"""Two tabs' edits merged on a large design: the cost against the design's size.

One tab lays out every block anew (an auto layout: every position changed) while another sets
one param; ``ui.merge.merge_or_why`` lays the two over the design both started from. A chain of
500, 1,000, 2,000 and 4,000 Linear blocks, each merged several times: the median time and the
time per block against the smallest. Linear growth keeps the per-block ratio near 1 (the merge
once looked up each wire in a set built anew for it and matched each block against every other:
14 s for 2,000 blocks, every save of such a design).

    python benchmarks/merge_bench.py
"""

from __future__ import annotations

import copy
import statistics
import time

from layerloom.ui.merge import merge_or_why


def designs(n: int) -> tuple[dict, dict, dict]:
    base = {"nodes": [{"id": f"l{i}", "type": "Linear", "params": {"out_features": 4},
                       "position": [i, 0]} for i in range(n)],
            "edges": [{"source": f"l{i}", "target": f"l{i + 1}"} for i in range(n - 1)]}
    mine = copy.deepcopy(base)
    for block in mine["nodes"]:
        block["position"] = [block["position"][0], 50]
    theirs = copy.deepcopy(base)
    theirs["nodes"][3]["params"]["out_features"] = 9
    return base, mine, theirs


def main() -> None:
    sizes, repeats = (500, 1000, 2000, 4000), 5
    medians = {}
    for n in sizes:
        base, mine, theirs = designs(n)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            out, contested = merge_or_why(base, mine, theirs)
            times.append(time.perf_counter() - start)
        assert contested == [] and out["nodes"][3]["params"]["out_features"] == 9
        medians[n] = statistics.median(times)
    first = sizes[0]
    print("blocks | merge, median of 5 | per block / per block at", first)
    for n in sizes:
        per_block = (medians[n] / n) / (medians[first] / first)
        print(f"{n:6,} | {medians[n] * 1000:8.1f} ms | {per_block:.2f}")


if __name__ == "__main__":
    main()
