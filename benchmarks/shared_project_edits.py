"""Many users on one project (``edit_stress_bench.py --one-project``): each user a process of
its own (a server of its own on the same project folder, as several ``layerloom app`` on one
home, or tabs of one server), editing one design at once with the designer's own state
(:class:`~layerloom.ui.state.DesignerState`, what a page runs), one edit every ``interval``
seconds: params, variables, labels, a Dropout put on a wire and one deleted (canvas changes),
undo and redo. Each edit is made on the design its page shows: caught up first, or (a callback,
a canvas change handled after the page caught up) on the one it showed before.

Every value an edit sets is one no other edit sets (out_features ``1000 + n``, a label ``L<n>``,
a Dropout's p ``n / 10000``, a variable's value), so that afterwards each is looked for in the
design saved, in the snapshots and in what its user was told:

- *lost*: a value neither in the design, nor taken away by a later edit made on a design that
  showed it, nor told to its user and kept in a snapshot;
- *altered*: a value in the design that no edit set.

Figures: edits, saves, lost, altered, and the median and 90th percentile of the time one save
takes (the edit's whole save: laid over the others' saves, written, logged), at N users over
the same with one user, measured first in the same run."""

from __future__ import annotations

import copy
import json
import multiprocessing
import queue
import random
import statistics
import tempfile
import threading
import time

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import edit_marks
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

KINDS = ("param", "param", "variable", "label", "add", "remove", "undo", "redo")
MARKS = 999  # the marks all users may set (a Dropout's p, n / 10000, is under 0.1)


def marks(design: dict) -> set[str]:
    """The marks in ``design``: labels ``L<n>`` and the numbers (its ids are not marks)."""
    return edit_marks.marks(design, letters="L")


class _User:
    """One user's page on the shared project, making seeded edits."""

    def __init__(self, home: str, pid: str, index: int, users: int, seed: int):
        self.store = ProjectStore(home)
        self.tab = DesignerState.open(self.store, pid)
        self.pid, self.index = pid, index
        self.room = MARKS // users  # this user's marks: index * room + 1 …
        self.rng = random.Random(seed * 7919 + index)
        self.k = 0
        self.seq = 0
        self.made: list[dict] = []
        self.heard: list[str] = []
        self.save_s: list[float] = []

    def mark(self) -> int:
        """This user's next mark number, one no other user's edit sets."""
        self.k += 1
        return self.index * self.room + self.k

    def hear(self) -> list[str]:
        said = [" ".join([n.text, *n.details]) for n in self.tab.take_notices()]
        self.heard += said
        return said

    def step(self) -> None:
        tab = self.tab
        caught = self.rng.random() < 0.6
        self.stale = not caught and self.rng.random() < 0.5
        if caught:
            tab.catch_up()
            self.hear()
        kind = self.rng.choice(KINDS)
        before = tab.graph.to_dict()
        saved = self.store.load(self.pid).graph.to_dict()
        n = self.mark()
        start = time.perf_counter()
        did = getattr(self, f"_{kind}")(n)
        took = time.perf_counter() - start
        after = tab.graph.to_dict()
        if did and after != before:
            self.save_s.append(took)
        now = marks(after)
        self.made.append({"user": self.index, "kind": kind, "at": time.time(),
                          "marks": sorted(now - marks(before) - marks(saved)),
                          "gone": sorted(marks(before) - now), "told": self.hear()})

    def _ids(self, *types: str) -> list[str]:
        return [n["id"] for n in self.tab.level()["nodes"] if not types or n["type"] in types]

    def _param(self, n: int) -> bool:
        ids = self._ids("Conv2d", "Linear")
        if not ids:
            return False
        nid = self.rng.choice(ids)
        node = next(x for x in self.tab.level()["nodes"] if x["id"] == nid)
        name = "out_channels" if node["type"] == "Conv2d" else "out_features"
        return self.tab.apply(edit.set_param, self.tab.path, nid, name, 1000 + n) is not None

    def _variable(self, n: int) -> bool:
        return self.tab.apply(edit.set_variable, self.rng.choice(["width2", "depth"]),
                              1000 + n) is not None

    def _label(self, n: int) -> bool:
        return self.tab.apply(edit.update_node, self.tab.path, self.rng.choice(self._ids()),
                              label=f"L{n}") is not None

    def _canvas(self, level: dict) -> bool:
        self.seq += 1
        base = self.tab.canvas_version()
        if self.stale:  # the page's run catches up before it handles the change
            self.tab.catch_up()
        return self.tab.handle_events({"events": [{"seq": self.seq, "event": "change",
                                                   "base": base, "graph": level,
                                                   "selected": []}]})

    def _add(self, n: int) -> bool:
        level = copy.deepcopy(self.tab.level())
        wires = [e for e in level["edges"] if not e.get("source_port") and not e.get("port")]
        if not wires:
            return False
        wire = self.rng.choice(wires)
        nid = f"drop_{self.index}_{n}"
        level["nodes"].append({"id": nid, "type": "Dropout", "params": {"p": n / 10000},
                               "position": [self.rng.randrange(600), self.rng.randrange(600)]})
        level["edges"].remove(wire)
        level["edges"] += [{"source": wire["source"], "target": nid},
                           {"source": nid, "target": wire["target"]}]
        return self._canvas(level)

    def _remove(self, n: int) -> bool:
        level = copy.deepcopy(self.tab.level())
        drops = [x["id"] for x in level["nodes"] if x["type"] == "Dropout"]
        if not drops:
            return False
        nid = self.rng.choice(drops)
        ins = [e for e in level["edges"] if e["target"] == nid]
        outs = [e for e in level["edges"] if e["source"] == nid]
        if len(ins) != 1 or len(outs) != 1:
            return False
        level["nodes"] = [x for x in level["nodes"] if x["id"] != nid]
        level["edges"] = [e for e in level["edges"] if nid not in (e["source"], e["target"])]
        level["edges"].append({"source": ins[0]["source"], "target": outs[0]["target"]})
        return self._canvas(level)

    def _undo(self, n: int) -> bool:
        return self.tab.undo()

    def _redo(self, n: int) -> bool:
        return self.tab.redo()


def _run_user(home: str, pid: str, index: int, users: int, edits: int, interval: float,
              seed: int, start_at: float, out, done) -> None:
    user = _User(home, pid, index, users, seed)
    time.sleep(max(0.0, start_at - time.time()))
    for _ in range(edits):
        began = time.monotonic()
        user.step()
        time.sleep(max(0.0, interval * user.rng.uniform(0.5, 1.5) - (time.monotonic() - began)))
    # what each user is told is heard once every user has made all its edits: a user whose
    # edits ended first has its page open still, and a later save that replaces one of its
    # values is told on its page's next run (heard before that save, it was counted lost)
    try:
        done.wait(timeout=600 + edits * users * 5)
    except threading.BrokenBarrierError:  # a user died (said by _results) or took too long
        pass
    user.tab.catch_up()
    user.hear()
    out.put({"user": index, "made": user.made, "heard": user.heard, "save_s": user.save_s})


def _unaccounted(store: ProjectStore, pid: str, made: list[dict], heard: dict[int, list[str]]
                 ) -> tuple[list[str], list[str]]:
    """(lost, altered): as the module docstring says."""
    saved = store.load(pid).graph.to_dict()
    kept: set[str] = set()
    for snap in store.snapshots(pid):
        kept |= marks(store.load_snapshot(pid, snap.id).to_dict())
    final = marks(saved)
    every = set().union(*(set(m["marks"]) for m in made)) if made else set()
    altered = [f"the design holds {leaf}, which no edit set" for leaf in sorted(final - every)]
    lost = []
    for m in made:
        for leaf in sorted(set(m["marks"]) - final):
            setters = {x["user"] for x in made if leaf in x["marks"]}
            if any(x["at"] > m["at"] and leaf in x["gone"]
                   and (x["user"] in setters or x["kind"] not in ("undo", "redo"))
                   for x in made):
                continue  # taken away by an edit made seeing it: a user's choice
            told = any("was not applied" in text for text in m["told"]) or any(
                str(json.loads(leaf)) in text for text in heard[m["user"]])
            if not told or leaf not in kept:
                lost.append(f"user {m['user']}'s {m['kind']} set {leaf}: not in the design; "
                            f"told: {told}; in a snapshot: {leaf in kept}")
    return lost, altered


def _results(out, procs: list, timeout: float) -> list[dict]:
    """Each user's result, or an error as soon as one user's process has died without giving
    it (its traceback is on stderr above), not after the whole timeout."""
    results: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1.0))
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"{len(dead)} user process(es) ended with exit code(s) "
                                   f"{dead} before giving their results") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"the users gave {len(results)} of {len(procs)} results "
                                   f"in {timeout:.0f} s") from None
    return results


def one_project(users: int, edits: int, interval: float = 0.2, seed: int = 0) -> dict:
    """``users`` processes editing one project, ``edits`` each; the figures."""
    if edits > MARKS // users:
        raise ValueError(f"at most {MARKS // users} edits each for {users} users (each sets "
                         f"a value no other edit sets)")
    with tempfile.TemporaryDirectory(prefix="layerloom-one-project-") as home:
        store = ProjectStore(home)
        pid = store.create(load_template("seed-cnn"))
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        done = ctx.Barrier(users)  # every user's edits made
        start_at = time.time() + 3.0 + 0.5 * users  # every process started and imported
        procs = [ctx.Process(target=_run_user, args=(home, pid, i, users, edits, interval,
                                                     seed, start_at, out, done))
                 for i in range(users)]
        for p in procs:
            p.start()
        try:
            results = _results(out, procs, 600 + edits * users * 5)
        except (RuntimeError, TimeoutError):
            done.abort()  # the users left waiting on the one that died give up
            raise
        for p in procs:
            p.join()
        made = sorted((m for r in results for m in r["made"]), key=lambda m: m["at"])
        heard = {r["user"]: r["heard"] for r in results}
        lost, altered = _unaccounted(store, pid, made, heard)
        saves = len(store.save_log(pid)) - 1
    times = [t for r in results for t in r["save_s"]]
    return {"users": users, "edits": len(made), "saves": saves, "lost": len(lost),
            "altered": len(altered), "problems": (lost + altered)[:10],
            "save_median_s": round(statistics.median(times), 4) if times else None,
            "save_p90_s": round(sorted(times)[int(0.9 * (len(times) - 1))], 4) if times
            else None}


def compare_to_one_user(users: int, edits: int, interval: float = 0.2, seed: int = 0) -> dict:
    """One user alone first, then ``users`` on one project: the figures of both and the
    ratio of their median save times (measured in the same run: shared machines are noisy)."""
    alone = one_project(1, edits, interval, seed)
    many = one_project(users, edits, interval, seed)
    ratio = round(many["save_median_s"] / alone["save_median_s"], 2) \
        if alone["save_median_s"] and many["save_median_s"] else None
    return {**many, "baseline": alone, "save_ratio_vs_1_user": ratio}


if __name__ == "__main__":  # python benchmarks/shared_project_edits.py: a short run
    print(json.dumps(compare_to_one_user(4, 20), indent=2))
