"""How long `layerloom` commands take to start, against `python -c pass` in the same run.

Commands that need no torch (``--help``, ``templates``, ``new``, ``validate``, ``summary``) import
neither torch nor Streamlit nor pandas; the target is under 0.5 s each. Every command and the
baseline run in interleaved rounds; the figure is the median wall time and its ratio to the
baseline's median. On a loaded machine the target scales with the baseline: it is 0.5 s times
how much slower `python -c pass` runs than a quiet machine's 50 ms (so 0.5 s when it is quick).

    python benchmarks/cli_start_bench.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "layerloom --help": [sys.executable, "-m", "layerloom", "--help"],
    "layerloom templates": [sys.executable, "-m", "layerloom", "templates"],
    "layerloom new": [sys.executable, "-m", "layerloom", "new", "-t", "resnet18", "-o", "-"],
    "layerloom validate resnet18": [sys.executable, "-m", "layerloom", "validate", "{graph}"],
    "layerloom summary resnet18": [sys.executable, "-m", "layerloom", "summary", "{graph}"],
    "python -c 'import torch' (reference)": [sys.executable, "-c", "import torch"],
}
TARGET_S = 0.5
QUIET_BASE_S = 0.05  # `python -c pass` on a quiet machine is well under this


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)
    from layerloom.graph.templates import template_text

    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "resnet18.json"
        graph.write_text(template_text("resnet18"))
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.rounds):
            for name, cmd in COMMANDS.items():
                cmd = [part.replace("{graph}", str(graph)) for part in cmd]
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=True, cwd=tmp, timeout=120)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    target = TARGET_S * max(1.0, base / QUIET_BASE_S)
    print(f"{'command':40} {'median ms':>10} {'× python -c pass':>17}  target "
          f"< {target * 1000:.0f} ms")
    failed = False
    for name, values in times.items():
        med = statistics.median(values)
        checked = name.startswith("layerloom")
        ok = med < target
        failed |= checked and not ok
        mark = ("ok" if ok else "OVER") if checked else ""
        print(f"{name:40} {med * 1000:10.0f} {med / base:17.1f}  {mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
