"""Loading a large CSV of mixed columns: time and peak memory, this checkout against a baseline.

A 300,000-row table of 20 columns (numbers, some written with thousands separators and some
missing; categories; two columns of dates, one day first and one month first; two of short
free text; the class label last: about 50 MB) is written to a temporary folder, never kept,
and loaded with ``load_dataset`` in a fresh process for each round, alternating this
checkout's code with that of ``--baseline`` (a git revision, exported to a temporary folder)
after a warm-up round of each. Each process reports its own wall time, CPU time (its user and
system time: on a machine shared with other work, the wall time grows with the load and the
CPU time much less) and peak resident memory (``ru_maxrss``); the figures are the medians per
side, and their ratios are measured in the same run, on the same file and the same machine.

    python benchmarks/csv_load_bench.py --baseline HEAD~3            # 3 rounds a side
    python benchmarks/csv_load_bench.py --baseline HEAD~3 --rounds 1 --rows 100000
    python benchmarks/csv_load_bench.py --profile                   # cProfile of this checkout
    python benchmarks/csv_load_bench.py --wide                      # 1,000 vs 10,000 columns

``--wide`` times this checkout on two tables of 40 rows of 0s and 1s, of 1,000 and of 10,000
columns: ten times the columns should cost about ten times the time (a column found by a
search of the header made it about a hundred; ``tests/data/test_data_budgets.py`` counts that
work instead of timing it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("red blue green small large fast slow old new warm cold bright dark soft hard light "
         "heavy quiet loud clean").split()

# one round: load the file, print wall and CPU seconds and peak RSS in MiB as JSON
ROUND = """
import json, resource, sys, time
t, cpu = time.perf_counter(), time.process_time()
from layerloom.runtime import load_dataset
ds = load_dataset(sys.argv[1], date_order=sys.argv[2])
print(json.dumps({"s": time.perf_counter() - t, "cpu": time.process_time() - cpu,
                  "features": int(ds.x_train.shape[1]),
                  "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# one round of --wide: the load alone (the import of LayerLoom, seconds, would hide it)
WIDE_ROUND = """
import json, sys, time
from layerloom.runtime import load_dataset
cpu = time.process_time()
ds = load_dataset(sys.argv[1])
print(json.dumps({"cpu": time.process_time() - cpu, "features": int(ds.x_train.shape[1])}))
"""

ORDER = "auto"  # days run to 28: each date column shows its own order


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    """The benchmark's CSV: 20 columns of what users' exports hold."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i in range(8):
        values = np.round(rng.normal(50 * i, 10 + i, rows), 3).astype(str)
        values[rng.random(rows) < 0.01] = ""  # a few missing
        cols[f"x{i}"] = values
    cols["count"] = rng.integers(0, 1000, rows).astype(str)
    cols["amount"] = _thousands(rng, rows)  # "12,345", quoted
    for i, many in enumerate((3, 8, 20, 40)):
        cols[f"cat{i}"] = np.array([f"c{i}_{k}" for k in range(many)])[rng.integers(0, many, rows)]
    day = rng.integers(1, 29, rows)
    month = rng.integers(1, 13, rows)
    year = rng.integers(2015, 2025, rows)
    cols["ordered"] = _dates(day, month, year)  # day first

    cols["shipped"] = _dates(month, day, year)  # month first
    for i in range(2):
        cols[f"note{i}"] = _phrases(rng, rows)
    cols["flag"] = np.array(["yes", "no"])[rng.integers(0, 2, rows)]
    cols["label"] = np.array(["a", "b", "c"])[rng.integers(0, 3, rows)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(",".join(cols) + "\n")
        for row in zip(*cols.values()):
            handle.write(",".join(row) + "\n")


def _thousands(rng, rows: int) -> np.ndarray:
    high, low = rng.integers(1, 99, rows), rng.integers(0, 1000, rows)
    return np.array([f'"{h},{lo:03d}"' for h, lo in zip(high, low)])


def _dates(first, second, year) -> np.ndarray:
    return np.array([f"{a:02d}/{b:02d}/{y}" for a, b, y in zip(first, second, year)])


def _phrases(rng, rows: int) -> np.ndarray:
    words = np.array(WORDS)
    lengths = rng.integers(3, 7, rows)
    picks = words[rng.integers(0, len(words), (rows, 6))]
    return np.array([" ".join(p[:n]) for p, n in zip(picks, lengths)])


def one_round(tree: Path, csv_path: Path, code: str = ROUND) -> dict:
    done = subprocess.run([sys.executable, "-c", code, str(csv_path), ORDER], cwd=tree,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"round in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_wide(path: Path, columns: int, rows: int = 40) -> None:
    """A table of ``columns`` columns of 0s and 1s (the last one the target)."""
    lines = [",".join(f"c{i}" for i in range(columns))]
    lines += [",".join(str((r + i) % 2) for i in range(columns)) for r in range(rows)]
    path.write_text("\n".join(lines) + "\n")


def wide(rounds: int) -> None:
    """``--wide``: CPU time of 1,000 columns against 10,000, and their ratio."""
    os.environ["LAYERLOOM_MAX_CSV_COLUMNS"] = "100000"
    with tempfile.TemporaryDirectory() as tmp:
        cpu = {}
        for columns in (1_000, 10_000):
            path = Path(tmp) / f"wide{columns}.csv"
            write_wide(path, columns)
            one_round(ROOT, path, WIDE_ROUND)  # warm
            cpu[columns] = statistics.median(one_round(ROOT, path, WIDE_ROUND)["cpu"]
                                             for _ in range(rounds))
            print(f"{columns:,} columns: median {cpu[columns]:.3f} s CPU", flush=True)
        print(f"10,000 / 1,000 columns: {cpu[10_000] / cpu[1_000]:.1f}x the CPU time "
              f"(linear: about 10, a search of the header: about 100)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git revision to compare with (default: none)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one load: the 30 functions it spends most time in")
    parser.add_argument("--wide", action="store_true",
                        help="time 1,000 columns against 10,000 instead (see above)")
    args = parser.parse_args()
    if args.wide:
        wide(args.rounds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "big.csv"
        write_table(csv_path, args.rows)
        print(f"{csv_path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows × 20 columns")
        if args.profile:
            import cProfile
            import pstats

            from layerloom.runtime import load_dataset

            with cProfile.Profile() as prof:
                load_dataset(csv_path, date_order=ORDER)
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
            return
        sides = {"this checkout": ROOT}
        if args.baseline:
            base = Path(tmp) / "baseline"
            base.mkdir()
            archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT,
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            sides[f"baseline {args.baseline}"] = base
        figures = {name: [] for name in sides}
        for round_ in range(args.rounds + 1):  # round 0 warms the page cache, not counted
            for name, tree in sides.items():
                result = one_round(tree, csv_path)
                if round_:
                    figures[name].append(result)
                print(f"round {round_} {name}: {result['s']:.2f} s ({result['cpu']:.2f} s CPU), "
                      f"{result['mib']:.0f} MiB, {result['features']} features", flush=True)
        medians = {name: (statistics.median(r["s"] for r in runs),
                          statistics.median(r["cpu"] for r in runs),
                          statistics.median(r["mib"] for r in runs))
                   for name, runs in figures.items()}
        for name, (s, cpu, mib) in medians.items():
            print(f"{name}: median {s:.2f} s ({cpu:.2f} s CPU), {mib:.0f} MiB peak")
        if args.baseline:
            (s_new, c_new, m_new), (s_old, c_old, m_old) = medians.values()
            print(f"baseline / this checkout: time {s_old / s_new:.2f}x, CPU time "
                  f"{c_old / c_new:.2f}x, peak memory {m_old / m_new:.2f}x")


if __name__ == "__main__":
    main()
