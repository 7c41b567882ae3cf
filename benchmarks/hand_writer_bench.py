"""Hand edits while tabs save: no hand edit lost. Two saving processes (tabs of their own, each
catching up and setting a param over and over) and a program rewriting the project's
graph.json every few ms (read it, add a mark ``H<n>`` to the description, write it: in place or
a new file renamed over, in turn). Afterwards every mark must be in the design file or in a
snapshot (or a file set aside under ``unreadable/``): *nowhere* must be 0. A program reading
the file in the instant a save's own file was there, before the hand edit it replaced was put
back, wrote its mark on top and the hand edit put back was dropped: 2 to 44 of 300 marks were
nowhere before the replaced file was swapped straight back and every version taken off the
file kept.

    python benchmarks/hand_writer_bench.py                  # 300 hand writes, mixed
    python benchmarks/hand_writer_bench.py --writes 100 --mode rename

Counts only; no timing is asserted (tests/ui/test_hand_writer_bench.py runs a short one,
opt-in: LAYERLOOM_STRESS=1)."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path


def _saver(home: str, pid: str, index: int, stop, ready) -> None:
    from layerloom.graph import edit
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    tab = DesignerState.open(ProjectStore(home), pid)  # before the writer starts
    ready.release()
    rng = random.Random(index)
    count = 0
    while not stop.is_set():
        tab.catch_up()
        node = rng.choice(["fc", "conv2"])
        param = "out_features" if node == "fc" else "out_channels"
        tab.apply(edit.set_param, (), node, param, 1000 * (index + 1) + count)
        tab.take_notices()
        count += 1


def _writer(home: str, pid: str, writes: int, mode: str) -> None:
    path = Path(home) / "projects" / pid / "graph.json"
    made, n = [], 0
    while n < writes:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):  # caught half-written (by this program's last write)
            time.sleep(0.001)
            continue
        n += 1
        mark = f"H{n}"
        data["description"] = (data.get("description") or "") + " " + mark
        text = json.dumps(data, indent=2)
        if mode == "rename" or (mode == "mix" and n % 2):
            new = path.with_name(f"hand{n}.tmp")
            new.write_text(text)
            os.replace(new, path)
        else:
            with open(path, "w") as f:
                f.write(text)
        made.append(mark)
        time.sleep(random.uniform(0.0, 0.01))
    Path(home, "made.json").write_text(json.dumps(made))


def run(writes: int = 300, mode: str = "mix", savers: int = 2) -> dict:
    """The counts of one run: marks written, missing from the file, nowhere (lost)."""
    from layerloom.graph.templates import load_template
    from layerloom.ui.projects import ProjectStore

    home = tempfile.mkdtemp(prefix="layerloom-hand-writer-")
    store = ProjectStore(home)
    graph = load_template("seed-cnn")
    graph.description = ""
    pid = store.create(graph)
    stop, ready = mp.Event(), mp.Semaphore(0)
    tabs = [mp.Process(target=_saver, args=(home, pid, i, stop, ready)) for i in range(savers)]
    writer = mp.Process(target=_writer, args=(home, pid, writes, mode))
    for process in tabs:
        process.start()
    for _ in tabs:
        ready.acquire()
    writer.start()
    writer.join()
    stop.set()
    for process in tabs:
        process.join()
    folder = Path(home) / "projects" / pid
    made = json.loads(Path(home, "made.json").read_text())
    final = set((json.loads((folder / "graph.json").read_text()).get("description") or "")
                .split())
    kept = set()
    names = Counter()
    for snap in (folder / "snapshots").glob("*.json"):
        snapped = json.loads(snap.read_text())
        kept |= set((snapped["graph"].get("description") or "").split())
        names[snapped["name"].rsplit(" kept at", 1)[0]] += 1
    for aside in folder.glob("unreadable/*"):
        kept |= set(aside.read_text(errors="replace").replace('"', " ").split())
    missing = [m for m in made if m not in final]
    nowhere = [m for m in missing if m not in kept]
    result = {"mode": mode, "hand writes": len(made), "saves": len(store.save_log(pid)),
              "missing from the file": len(missing), "nowhere": len(nowhere),
              "nowhere (first)": nowhere[:10], "snapshots": dict(names)}
    if nowhere:  # kept to look into
        result["home"] = home
    else:
        shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--mode", choices=["mix", "rename", "in-place"], default="mix")
    parser.add_argument("--savers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.writes, args.mode, args.savers), indent=2))


if __name__ == "__main__":
    main()
