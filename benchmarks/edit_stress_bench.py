"""No edit is ever lost or altered under load (issue 18): N people edit at once, each in a
browser of their own (a Chromium context, so a project of their own: the bare URL opens each
browser's own last project), one edit every ``--interval`` seconds:

- a **drop then a quick click**: ReLU dragged from the palette onto the canvas and, without
  waiting, a click on conv2 (the canvas sends a ``change`` then a ``select``: both must arrive);
  a drop that lands on a wire puts the block on it (the canvas' insert: the wire A → B becomes
  A → ReLU → B, blocks of the row moved to make room), which is then the user's edit;
- an **inspector edit**: conv2's ``out_channels`` typed (a new value each time) and Enter;
- an **undo**: every third drop, once on disk, is undone with Ctrl+Z on the canvas (the block
  must leave the disk again, nothing else change).

After every edit the design is read back from disk (``graph.json``) until the edit shows or a
timeout passes, and the whole design is compared with what the user has done so far:

- *lost*: an edit neither saved nor visibly refused (the toast "made on an older version") by
  the end of the run; *late*: one saved after the timeout of its check (counted as applied);
- *altered*: anything on disk other than the user's edits (a param, repeat, label, type, node or
  edge), positions aside;
- *unaccounted saves*: save-log lines (``saves.jsonl``) that are not exactly one of the user's
  edits (an inspector save changes ``conv2.params.out_channels`` only, a canvas save adds the
  dropped node only), and saves beyond one per edit; the log must also match ``meta.json``.

Figures: edits, saves, lost, altered, unaccounted, refused; and the median time from an edit to
its save on disk (from the user's first move) at N users over the same with one user (measured first, in the same run).

    python benchmarks/edit_stress_bench.py                   # 8 users, 150 s (+ 20 s baseline)
    python benchmarks/edit_stress_bench.py --users 2 --seconds 30 --baseline 0

The case that matters most, **many users on one project** (``--one-project``): each user a
process of its own on one project folder (as several servers on one home, or tabs of one
server), editing the same design at once with the designer's own state: params, variables,
labels, Dropouts put on wires and deleted, undo and redo, each on the design its page shows
(caught up, or not yet). Every value set is unique, and afterwards each is in the design,
taken away by an edit made seeing it, or told to its user and kept in a snapshot: *lost* and
*altered* must be 0; the median time a save takes (laid over the others' saves) is given as a
ratio against one user alone, measured first (benchmarks/shared_project_edits.py):

    python benchmarks/edit_stress_bench.py --one-project              # 8 users, 100 edits each
    python benchmarks/edit_stress_bench.py --one-project --users 4 --edits 30

The test suite runs short versions (tests/ui/test_edit_stress_browser.py,
tests/ui/test_one_project_bench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IFRAME = 'iframe[title*="layerloom_canvas"]'
STALE = "That edit was made on an older version of the design and was not applied"
SAVE_TIMEOUT_S = 25.0
# what the inspector shows, noted as it changes (which node's Id box, how many out_channels
# boxes): the story of an edit that did not reach the disk
WATCH_INSPECTOR = """
window.__inspector = [];
window.__boxes = 0;
setInterval(() => {
  const ids = [...document.querySelectorAll('input[aria-label="Id"]')].map((e) => e.value);
  // each out_channels box gets a number when first seen: a new number is a re-created box
  const boxes = [...document.querySelectorAll('input[aria-label="out_channels"]')].map((e) => {
    if (!e.__box) e.__box = ++window.__boxes;
    return e.__box;
  });
  const running = document.querySelector('[data-testid="stStatusWidget"]') ? " running" : "";
  const now = `${ids.join("+")}|${boxes.join("+")}${running}`;
  const log = window.__inspector;
  if (!log.length || log[log.length - 1][1] !== now) log.push([performance.now(), now]);
  if (log.length > 200) log.shift();
}, 25);
"""
# the drag-and-drop events the canvas's frame sees (this script runs in every frame): the
# story of a drop that did not reach the disk
WATCH_DRAG = """
window.__dnd = [];
window.__drops = 0;
window.addEventListener("drop", () => { window.__drops += 1; }, true);
for (const kind of ["pointerdown", "dragstart", "dragenter", "drop", "dragend"]) {
  window.addEventListener(kind, (e) => {
    window.__dnd.push([performance.now(), kind, e.defaultPrevented]);
    if (window.__dnd.length > 100) window.__dnd.shift();
  }, true);
}
"""

DROPS_SEEN = "window.__drops ?? null"


@dataclass
class User:
    name: str
    pid: str = ""
    edits: int = 0
    applied: int = 0
    refused: int = 0
    lost: list[str] = field(default_factory=list)
    frames: list = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unaccounted: list[str] = field(default_factory=list)
    saves: int = 0
    latencies: list[float] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the driver's own (a timeout)
    expected: dict = field(default_factory=dict)  # node id -> what it holds (no position)
    edges: list = field(default_factory=list)
    inserted: dict = field(default_factory=dict)  # dropped on a wire: node id -> edges before
    dropped: list[str] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)  # dropped blocks undone (Ctrl+Z)
    values: list = field(default_factory=list)  # out_channels typed and saved
    pending: list = field(default_factory=list)  # edits not on disk by their check's timeout
    late: int = 0
    undelivered: int = 0  # drags the browser delivered no drop of (no edit made)
    recreated: int = 0  # times the canvas's frame was re-created (detached) during the run
    carried: int = 0  # typed text the page carried into a box that replaced the one typed in
    closing: bool = False
    notes: list[str] = field(default_factory=list)


def _essence(node: dict) -> dict:
    return {k: v for k, v in node.items() if k != "position"}


def _put_on_wire(before: list, after: list, nid: str) -> bool:
    """``after`` is ``before`` with one wire A → B replaced by A → ``nid`` → B: the drop of
    ``nid`` landed on that wire (the canvas' insert)."""
    def key(edge: dict) -> str:
        return json.dumps(edge, sort_keys=True)

    was, now = {key(e): e for e in before}, {key(e): e for e in after}
    gone = [was[k] for k in was.keys() - now.keys()]
    new = [now[k] for k in now.keys() - was.keys()]
    if len(gone) != 1 or len(new) != 2 or len(after) != len(before) + 1:
        return False
    wire = gone[0]
    return sorted((e["source"], e["target"]) for e in new) == sorted(
        [(wire["source"], nid), (nid, wire["target"])])


def _take_drop(user: User, design: dict, nid: str) -> None:
    """The dropped ``nid`` is the user's, and so are the wires it was put on, if any."""
    user.expected[nid] = _essence(next(n for n in design["nodes"] if n["id"] == nid))
    user.dropped.append(nid)
    if _put_on_wire(user.edges, design.get("edges", []), nid):
        user.inserted[nid] = user.edges
        user.edges = list(design["edges"])


def read_design(home: Path, pid: str) -> dict | None:
    try:
        return json.loads((home / "projects" / pid / "graph.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # between the write and the rename: read again


def read_log(home: Path, pid: str) -> list[dict]:
    path = home / "projects" / pid / "saves.jsonl"
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except (OSError, ValueError):
        return []


def absorb_late(user: User, design: dict) -> None:
    """Edits whose check timed out and that have reached the disk since: late, not lost."""
    nodes = {n["id"]: _essence(n) for n in design.get("nodes", [])}
    for item in list(user.pending):
        kind, what = item
        if kind == "drop":
            new = [nid for nid, n in nodes.items() if nid not in user.expected
                   and n.get("type") == "ReLU" and nid not in what]
            if new:
                _take_drop(user, design, new[0])
            else:
                continue
        else:
            if nodes.get("conv2", {}).get("params", {}).get("out_channels") != what:
                continue
            user.expected["conv2"].setdefault("params", {})["out_channels"] = what
            user.values.append(what)
        user.pending.remove(item)
        user.late += 1
        user.applied += 1


def compare(user: User, design: dict) -> list[str]:
    """What the design on disk holds beyond (or short of) the user's edits."""
    absorb_late(user, design)
    problems = []
    nodes = {n["id"]: _essence(n) for n in design.get("nodes", [])}
    for nid, want in user.expected.items():
        got = nodes.get(nid)
        if got is None:
            problems.append(f"{nid} missing")
        elif got != want:
            problems.append(f"{nid}: expected {want}, found {got}")
    for nid in nodes.keys() - user.expected.keys():
        problems.append(f"unexpected node {nid}: {nodes[nid]}")
    if design.get("edges", []) != user.edges:
        problems.append("edges changed")
    return problems


async def wait_on_disk(home: Path, user: User, done, start: float,
                       timeout: float = SAVE_TIMEOUT_S):
    """Poll the design until ``done(design)`` holds; (design, seconds since ``start``, when
    the user began the edit) or (last, None)."""
    design = None
    while time.monotonic() - start < timeout:
        got = read_design(home, user.pid)
        if got is not None:
            design = got
            if done(design):
                return design, time.monotonic() - start
        await asyncio.sleep(0.1)
    return design, None


def server_refusals(home: Path, pid: str) -> int:
    """Edits of project ``pid`` the server refused so far (each also said in a toast): its log
    (``home/server.log``) names them with the project."""
    try:
        text = (home / "server.log").read_text(errors="replace")
    except OSError:
        return 0
    return len(re.findall(rf"refused (?:an edit|a callback|canvas change)[^\n]*{re.escape(pid)}",
                          text))


async def drop_then_click(page, frame, home: Path, user: User, rng: random.Random) -> None:
    """Drag ReLU onto the canvas and at once click conv2; the new node must reach the disk."""
    user.edits += 1
    pane = frame.locator(".react-flow__pane")
    box = await pane.bounding_box()
    item = frame.locator('[data-testid="palette-item-ReLU"]')
    if not await item.is_visible():
        await frame.locator('[data-testid="palette-search"]').fill("ReLU")
    target = {"x": box["width"] * rng.uniform(0.35, 0.8), "y": box["height"] * rng.uniform(0.7, 0.9)}
    before = set(user.expected)
    nodes = frame.locator('.react-flow__node')
    shown_before = await nodes.count()
    start = time.monotonic()
    canvas = next((f for f in page.frames if "layerloom_canvas" in f.url), None)
    drops_before = await canvas.evaluate(DROPS_SEEN) if canvas else None
    await item.drag_to(pane, target_position=target)
    shown_after = await nodes.count()  # did the canvas take the drop?
    drops_after = None if canvas is None or canvas.is_detached() else \
        await canvas.evaluate(DROPS_SEEN)
    if drops_before is not None and drops_after is not None and drops_after == drops_before:
        # the browser delivered no drop to the page (seen under CPU starvation when another
        # browser context closes mid-drag): no edit was made, as a user would see
        user.edits -= 1
        user.undelivered += 1
        dnd = await canvas.evaluate("(window.__dnd || []).slice(-6)")
        now = await canvas.evaluate("performance.now()")
        began = now - (time.monotonic() - start) * 1000
        user.notes.append(f"drag #{user.edits + 1} delivered no drop event to the canvas "
                          f"(canvas showed {shown_before} nodes before, {shown_after} after); "
                          "events in its frame (ms from the drag): " + ", ".join(
                              f"{t - began:+.0f} {kind}" for t, kind, _ in dnd))
        return
    await click_conv2(frame)  # no wait: the quick click
    design, took = await wait_on_disk(
        home, user, lambda d: any(n["id"] not in before and n["type"] == "ReLU"
                                  for n in d.get("nodes", [])), start)
    if took is None:
        if server_refusals(home, user.pid) > user.refused:  # refused, and said so
            user.refused += 1
            canvas = next((f for f in page.frames if "layerloom_canvas" in f.url), None)
            story = await canvas.evaluate(
                "(window.__layerloomCanvas?.story || []).slice(-16)") if canvas else []
            user.notes.append(f"drop #{user.edits} refused; the canvas's last props and events "
                              f"(time, ack or 'emit', seq or kind, version or seq, action or "
                              f"base): {json.dumps(story)}")
        else:
            user.pending.append(("drop", before))
            sent = [f"{t - start:+.2f}s" for t, kind, _ in user.frames
                    if kind == "sent" and -3 <= t - start <= 10]
            got = [f"{t - start:+.2f}s" for t, kind, _ in user.frames
                   if kind == "got" and -3 <= t - start <= 10]
            canvas = next((f for f in page.frames if "layerloom_canvas" in f.url), None)
            dnd = await canvas.evaluate("(window.__dnd || []).slice(-8)") if canvas else []
            now = await canvas.evaluate("performance.now()") if canvas else 0
            began = now - (time.monotonic() - start) * 1000
            user.notes.append(
                "drag events in the canvas frame (ms from the drag): "
                + ", ".join(f"{t - began:+.0f} {kind}" for t, kind, _ in dnd))
            user.notes.append(
                f"drop #{user.edits} not on disk after {SAVE_TIMEOUT_S:.0f} s: the canvas showed "
                f"{shown_before} nodes before the drag, {shown_after} right after it, "
                f"{await nodes.count()} now ({len(design.get('nodes', [])) if design else '?'} on "
                f"disk); websocket messages sent: {', '.join(sent[:40])}; received: "
                f"{', '.join(got[:40])}")
        return
    for node in [n for n in design["nodes"] if n["id"] not in before]:
        _take_drop(user, design, node["id"])
    user.applied += 1
    user.latencies.append(took)
    user.altered += [f"after drop #{user.edits}: {p}" for p in compare(user, design)]


async def click_conv2(frame) -> None:
    """Click conv2; where the drop's view move (a block put on a wire, the row pushed right, is
    brought into view) took it out of the pane, press Fit view first, as the user would."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    conv2 = frame.locator('[data-testid="node-conv2"]')
    try:
        await conv2.click(timeout=4000)
    except PlaywrightTimeout:
        await frame.locator('[data-testid="btn-fit"]').click()
        await conv2.click()


async def undo_drop(page, frame, home: Path, user: User) -> None:
    """Ctrl+Z on the canvas right after a drop has reached the disk: the dropped block (the
    last edit) must leave the disk again, and nothing else change."""
    nid = user.dropped[-1]
    user.edits += 1
    start = time.monotonic()
    await click_conv2(frame)  # the canvas's focus, conv2 kept
    await page.keyboard.press("Control+z")
    design, took = await wait_on_disk(
        home, user, lambda d: all(n["id"] != nid for n in d.get("nodes", [])), start)
    if took is None:
        if server_refusals(home, user.pid) > user.refused:
            user.refused += 1
        else:
            user.lost.append(f"undo of the drop of {nid} never reached the disk")
        return
    user.expected.pop(nid, None)
    user.dropped.pop()
    user.undone.append(nid)
    if nid in user.inserted:  # the wire it was put on comes back whole
        user.edges = user.inserted[nid]
    user.applied += 1
    user.latencies.append(took)
    user.altered += [f"after undoing {nid}: {p}" for p in compare(user, design)]


async def type_param(page, home: Path, user: User, value: int) -> None:
    """Type conv2's out_channels in the inspector and press Enter; it must reach the disk."""
    user.edits += 1
    await page.get_by_label("Id", exact=True).and_(
        page.locator('input[value="conv2"]')).wait_for(timeout=SAVE_TIMEOUT_S * 1000)
    # while a rerun replaces the form, the old box and the new one can both be on the page
    box = page.get_by_label("out_channels", exact=True).last
    start = time.monotonic()
    await box.fill(str(value))
    typed_in = await box.element_handle()
    if await box.input_value() != str(value):  # the form was redrawn under the typing
        await box.fill(str(value))
        typed_in = await box.element_handle()
    connected_at_enter = await typed_in.evaluate("e => e.isConnected")
    value_at_enter = await typed_in.evaluate("e => e.value")
    await box.press("Enter")
    t_enter = time.monotonic() - start
    design, took = await wait_on_disk(
        home, user, lambda d: next((n for n in d.get("nodes", []) if n["id"] == "conv2"),
                                   {}).get("params", {}).get("out_channels") == value, start)
    if took is None:
        if server_refusals(home, user.pid) > user.refused:  # refused, and said so
            user.refused += 1
        else:
            shown = await box.input_value() if await box.count() == 1 else None
            user.pending.append(("param", value))
            sent = [f"{t - start:+.2f}s" for t, kind, _ in user.frames
                    if kind == "sent" and -3 <= t - start <= 10]
            user.notes.append("websocket messages sent around it (each a rerun request): "
                              + ", ".join(sent[:40]))
            story = await page.evaluate("window.__inspector.slice(-12)")
            began = await page.evaluate("performance.now()") - (time.monotonic() - start) * 1000
            user.notes.append("inspector (ms from typing; Id boxes|out_channels boxes, numbered as first seen; "
                              "'running' while a script run is shown running): " + ", ".join(
                f"{t - began:+.0f} {what}" for t, what in story))
            got = [f"{t - start:+.2f}s" for t, kind, _ in user.frames
                   if kind == "got" and -3 <= t - start <= 10]
            user.notes.append("websocket messages received around it: " + ", ".join(got[:60]))
            canvas = next((f for f in page.frames if "layerloom_canvas" in f.url), None)
            if canvas is not None:
                story = await canvas.evaluate(
                    "(window.__layerloomCanvas?.story || []).slice(-12)")
                # the frame's clock has its own origin
                there = await canvas.evaluate("performance.now()") - \
                    (time.monotonic() - start) * 1000
                user.notes.append("canvas (ms from typing; ack or 'emit', seq or kind, version "
                                  "or seq, action or base): " + json.dumps(
                                      [[round(x[0] - there)] + x[1:] for x in story]))
            user.notes.append(f"out_channels={value} not on disk after {SAVE_TIMEOUT_S:.0f} s; "
                              f"the box held {value_at_enter!r} at Enter and shows {shown!r} now; "
                              f"the box typed in was "
                              f"{'on the page' if connected_at_enter else 'gone'} at Enter "
                              f"({t_enter:.2f} s after typing began) and is "
                              f"{'still there' if await typed_in.evaluate('e => e.isConnected') else 'gone'} now")
        return
    user.expected["conv2"].setdefault("params", {})["out_channels"] = value
    user.values.append(value)
    user.applied += 1
    user.latencies.append(took)
    user.altered += [f"after out_channels={value}: {p}" for p in compare(user, design)]


def _meta(home: Path, pid: str) -> dict:
    try:
        return json.loads((home / "projects" / pid / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


async def account(home: Path, user: User, settle_s: float = 20.0) -> None:
    """Every save in the log is one of the user's edits, and the log matches meta.json (read
    once the last save has finished: its log line is written before meta.json)."""
    deadline = time.monotonic() + settle_s
    while True:
        log, meta = read_log(home, user.pid), _meta(home, user.pid)
        # a save seen on disk may still be writing its log line (graph.json comes first)
        if meta.get("edits") == len(log) and len(log) > user.applied or \
                time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    user.saves = len(log)
    if meta.get("edits") != len(log) or [x["version"] for x in log] != list(
            range(1, len(log) + 1)):
        user.unaccounted.append(f"log of {len(log)} lines, meta.json says {meta.get('edits')}")
    drops = {f"nodes.{nid}+" for nid in user.dropped + user.undone}
    on_wires = {f"nodes.{nid}{sign}" for nid in user.inserted for sign in "+-"}

    def moved(change: str) -> bool:
        return bool(re.fullmatch(r"nodes\.[\w-]+\.position", change)) or \
            change == "nodes(order)"

    canvas = inspector = undos = 0
    for line in log[1:]:
        source, changes = line["edit"].get("source"), line.get("changes", [])
        # a drop put on a wire saves its wires too (and the row it moved), as does its undo
        wired = "edges" in changes and any(c in on_wires for c in changes)
        if source == "canvas" and changes and all(
                c in drops or moved(c) or (wired and c == "edges") for c in changes):
            canvas += any(c in drops for c in changes)
        elif source == "inspector" and changes == ["nodes.conv2.params.out_channels"]:
            inspector += 1
        elif source == "undo" and [c for c in changes if c.endswith("-")] and all(
                (c.endswith("-") and c[len("nodes."):-1] in user.undone)
                or (wired and (c == "edges" or moved(c))) for c in changes):
            undos += 1
        else:
            user.unaccounted.append(f"save {line['version']}: {source} {changes}")
    if inspector != len(user.values):
        user.unaccounted.append(f"{inspector} inspector saves for {len(user.values)} edits")
    if canvas != len(user.dropped) + len(user.undone):
        user.unaccounted.append(f"{canvas} canvas saves adding nodes for "
                                f"{len(user.dropped) + len(user.undone)} drops")
    if undos != len(user.undone):
        user.unaccounted.append(f"{undos} undo saves for {len(user.undone)} undos")
    extra = len(log) - 1 - user.applied
    if extra > 0:
        user.unaccounted.append(f"{extra} saves more than edits")
    if user.unaccounted:  # what was saved, to see why
        user.notes += [f"save {x['version']}: {x['edit'].get('source')} "
                       f"{x['edit'].get('what', '')} {x.get('changes')}" for x in log[1:]]


async def run_user(browser, url: str, home: Path, user: User, seconds: float,
                   interval: float, seed: int) -> None:
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await page.add_init_script(WATCH_INSPECTOR)
    await page.add_init_script(WATCH_DRAG)
    frames = user.frames = []  # (monotonic time, "sent"/"got", bytes) of the app's websocket

    def watch(ws):
        ws.on("framesent", lambda f: frames.append((time.monotonic(), "sent", len(f))))
        ws.on("framereceived", lambda f: frames.append((time.monotonic(), "got", len(f))))

    page.on("websocket", watch)

    def detached(f):  # the canvas re-created (it loses what it has not sent): said and counted
        if "layerloom_canvas" in f.url and not user.closing:
            user.recreated += 1
            user.notes.append(f"the canvas frame was re-created during edit #{user.edits}")

    page.on("framedetached", detached)
    page.set_default_timeout(SAVE_TIMEOUT_S * 1000)
    page.on("pageerror", lambda e: user.page_errors.append(str(e)))
    try:
        await page.goto(url, timeout=180_000)  # the bare URL: this browser's own project
        frame = page.frame_locator(IFRAME)
        await frame.locator('[data-testid="node-conv2"]').wait_for(timeout=180_000)
        for _ in range(300):
            match = re.search(r"project=([a-z0-9-]+)", page.url)
            if match:
                break
            await asyncio.sleep(0.1)
        user.pid = match.group(1)
        design = None
        while design is None:
            design = read_design(home, user.pid)
            await asyncio.sleep(0.1)
        user.expected = {n["id"]: _essence(n) for n in design["nodes"]}
        user.edges = design.get("edges", [])
        end = time.monotonic() + seconds
        step, value = 0, 16 + seed % 7
        while time.monotonic() < end:
            started = time.monotonic()
            if step % 6 == 4:  # every third drop is undone once it is on disk
                had = len(user.dropped)
                await drop_then_click(page, frame, home, user, rng)
                if len(user.dropped) > had:
                    await undo_drop(page, frame, home, user)
            elif step % 2 == 0:
                await drop_then_click(page, frame, home, user, rng)
            else:
                value += 1
                await type_param(page, home, user, value)
            step += 1
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        if user.pending:  # a last chance for late edits, then they are lost
            await wait_on_disk(home, user, lambda d: (absorb_late(user, d), not user.pending)[1],
                               time.monotonic())
        user.lost += [f"{kind} {what if kind == 'param' else ''} never reached the disk"
                      for kind, what in user.pending]
        final = read_design(home, user.pid)
        if final is not None:
            user.altered += [f"at the end: {p}" for p in compare(user, final)]
        user.carried = await page.evaluate(
            "(window.__layerloomTyping?.story || []).filter(s => s[1].startsWith('carried')).length")
        if await page.get_by_text("id '' is not allowed").count():
            user.altered.append("the notice \"id '' is not allowed\" was shown")
        await account(home, user)
    finally:
        user.closing = True
        await context.close()


async def _stress(url: str, home: Path, users: int, seconds: float, interval: float,
                  stagger: float) -> list[User]:
    from playwright.async_api import async_playwright

    people = [User(f"user{i + 1}") for i in range(users)]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            async def one(i: int, user: User) -> None:
                await asyncio.sleep(i * stagger)
                try:
                    await run_user(browser, url, home, user, seconds, interval, seed=i)
                except Exception as exc:  # counted, and the others go on
                    text = str(exc)  # Playwright's call log ends with why it waited
                    user.errors.append(f"{type(exc).__name__}: " + (
                        text if len(text) <= 900 else f"{text[:300]} … {text[-600:]}"))

            await asyncio.gather(*(one(i, u) for i, u in enumerate(people)))
        finally:
            await browser.close()
    return people


def stress(url: str, home: Path, *, users: int, seconds: float, interval: float = 2.0,
           stagger: float = 1.0) -> dict:
    """Run ``users`` people against the app at ``url`` (its ``LAYERLOOM_HOME`` is ``home``)
    for ``seconds``; the figures (see the module docstring), per user and in total."""
    people = asyncio.run(_stress(url, Path(home), users, seconds, interval, stagger))
    lat = [t for u in people for t in u.latencies]
    return {
        "users": users, "seconds": seconds, "interval": interval,
        "projects": len({u.pid for u in people}),
        "edits": sum(u.edits for u in people), "applied": sum(u.applied for u in people),
        "refused": sum(u.refused for u in people), "lost": sum(len(u.lost) for u in people),
        "late": sum(u.late for u in people),
        "undos": sum(len(u.undone) for u in people),
        "put_on_wires": sum(len(u.inserted) for u in people),
        "undelivered_drags": sum(u.undelivered for u in people),
        "canvas_recreated": sum(u.recreated for u in people),
        "typing_carried": sum(u.carried for u in people),
        "altered": sum(len(u.altered) for u in people),
        "saves": sum(u.saves for u in people),
        "unaccounted": sum(len(u.unaccounted) for u in people),
        "page_errors": sum(len(u.page_errors) for u in people),
        "driver_errors": sum(len(u.errors) for u in people),
        "latency_median_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p90_s": round(sorted(lat)[int(0.9 * (len(lat) - 1))], 3) if lat else None,
        "details": {u.name: {"project": u.pid, "edits": u.edits, "applied": u.applied,
                             "late": u.late, "notes": u.notes,
                             "saves": u.saves, "lost": u.lost, "altered": u.altered[:10],
                             "unaccounted": u.unaccounted, "page_errors": u.page_errors[:5],
                             "errors": u.errors}
                    for u in people},
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(home: Path, log: Path):
    """``python -m layerloom.ui.serve`` on a free port with ``LAYERLOOM_HOME=home``."""
    port = _free_port()
    env = {**os.environ, "LAYERLOOM_HOME": str(home), "LAYERLOOM_CANVAS_DEV_URL": ""}
    cmd = [sys.executable, "-m", "layerloom.ui.serve", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--baseline", type=float, default=20,
                        help="seconds of one user alone first (0: none)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, default=None,
                        help="copy the app's home (server log, projects, save logs) here")
    parser.add_argument("--one-project", action="store_true",
                        help="all users on one project, each a process of its own (no browser)")
    parser.add_argument("--edits", type=int, default=100,
                        help="with --one-project: the edits each user makes")
    args = parser.parse_args(argv)
    if args.one_project:
        return _one_project(args)
    with tempfile.TemporaryDirectory(prefix="layerloom-stress-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        with app_server(home, home / "server.log") as url:
            base = stress(url, home, users=1, seconds=args.baseline,
                          interval=args.interval) if args.baseline > 0 else None
            result = stress(url, home, users=args.users, seconds=args.seconds,
                            interval=args.interval)
        log_text = (home / "server.log").read_text(errors="replace")
        if args.keep is not None:
            shutil.copytree(home, args.keep, dirs_exist_ok=True)
    result["server_tracebacks"] = log_text.count("Traceback")
    # what they were: the line after each traceback's frames (the exception), by count
    kinds: dict[str, int] = {}
    for block in log_text.split("Traceback (most recent call last):")[1:]:
        lines = [x for x in block.splitlines() if x.strip() and not x.startswith(" ")]
        kind = lines[0][:160] if lines else "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    result["server_traceback_kinds"] = dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:8])
    # refusals the server logged (layerloom.ui.fields / ui.state): the edits it did not apply
    refusals = re.findall(r"refused (?:an edit|a callback|canvas change)[^\n]*", log_text)
    result["server_refusals"] = len(refusals)
    result["server_refusal_lines"] = refusals[:10]
    if base and base["latency_median_s"] and result["latency_median_s"]:
        result["latency_ratio_vs_1_user"] = round(
            result["latency_median_s"] / base["latency_median_s"], 2)
        result["baseline"] = {k: base[k] for k in ("edits", "applied", "lost", "altered",
                                                   "latency_median_s")}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['users']} users × {result['seconds']:.0f} s, one edit every "
              f"{result['interval']} s each, {result['projects']} projects")
        for key in ("edits", "applied", "undos", "put_on_wires", "late", "undelivered_drags", "canvas_recreated",
                    "typing_carried", "refused", "saves", "lost", "altered",
                    "unaccounted",
                    "page_errors", "driver_errors", "server_tracebacks", "server_refusals", "latency_median_s", "latency_p90_s",
                    "latency_ratio_vs_1_user"):
            print(f"  {key:>24}: {result.get(key)}")
        for kind, count in result["server_traceback_kinds"].items():
            print(f"  traceback ×{count}: {kind}")
        for line in result["server_refusal_lines"]:
            print(f"  refused: {line}")
        for name, d in result["details"].items():
            if d["lost"] or d["altered"] or d["notes"] or d["unaccounted"] or d["page_errors"] or d["errors"]:
                print(f"  {name}: {json.dumps(d)}")
    bad = result["lost"] or result["altered"] or result["unaccounted"] or result["driver_errors"]
    return 1 if bad else 0


def _one_project(args: argparse.Namespace) -> int:
    """``--one-project``: the users on one project (benchmarks/shared_project_edits.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from shared_project_edits import compare_to_one_user

    interval = min(args.interval, 0.5)  # each user edits as fast as a page answers
    result = compare_to_one_user(args.users, args.edits, interval)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['users']} users on one project, {args.edits} edits each, one every "
              f"~{interval} s")
        for key in ("edits", "saves", "lost", "altered", "save_median_s", "save_p90_s"):
            print(f"  {key:>22}: {result[key]}   (1 user: {result['baseline'][key]})")
        print(f"  {'save_ratio_vs_1_user':>22}: {result['save_ratio_vs_1_user']}")
        for line in result["problems"]:
            print(f"  {line}")
    return 1 if result["lost"] or result["altered"] or result["baseline"]["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
