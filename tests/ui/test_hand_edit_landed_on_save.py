"""A program rewriting graph.json over and over (read it, write its change) while tabs save:
a hand edit lands as a save moves its own file in, and the program, reading the file in the
instant before that hand edit is put back, reads the save's own design and writes its change
on top. That newer write won and the hand edit put back was dropped, kept nowhere (2 to 44 of
300 hand edits lost in ``benchmarks/hand_writer_bench.py``). Now the file a save's move
replaced is swapped straight back (one more exchange, nothing written anew), and whatever
version is taken off the file is kept as a snapshot and said."""

from __future__ import annotations

import json
import os

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _hand_edited(path, node_id: str, **params) -> str:
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == node_id).setdefault("params", {}).update(params)
    return json.dumps(data, indent=2)


def _in_place(path, text: str) -> None:
    path.write_text(text)


def _renamed_over(path, text: str) -> None:
    new = path.with_name("graph.json.editor-tmp")
    new.write_text(text)
    os.replace(new, path)


def _kernels(graph) -> tuple:
    return graph.node("conv1").params["kernel_size"], graph.node("conv2").params["kernel_size"]


def _everywhere(store, pid) -> set[tuple]:
    """The kernels of the design file and of every snapshot."""
    found = {_kernels(store.load(pid).graph)}
    for snap in store.snapshots(pid):
        found.add(_kernels(store.load_snapshot(pid, snap.id)))
    return found


@pytest.mark.parametrize("write", [_in_place, _renamed_over], ids=["in place", "renamed over"])
def test_a_write_landing_on_the_saves_file_before_the_hand_edit_is_put_back_is_kept(
        tmp_path, monkeypatch, write):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    staged, exchange = projects._staged, projects._exchange
    steps = []

    def staging(target, text):  # the hand edit (conv1 7) lands as the save stages its file
        tmp = staged(target, text)
        if target == path and not steps:
            steps.append("hand edit")
            _in_place(path, _hand_edited(path, "conv1", kernel_size=7))
        return tmp

    def exchanging(source, target):  # the program reads the save's file, writes conv1 9 on it
        done = exchange(source, target)
        if done and target == path and steps == ["hand edit"]:
            steps.append("program")
            write(path, _hand_edited(path, "conv1", kernel_size=9))
        return done

    monkeypatch.setattr(projects, "_staged", staging)
    monkeypatch.setattr(projects, "_exchange", exchanging)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert steps == ["hand edit", "program"]
    # the hand edit put back, the edit laid over it; the program's write on the save's own
    # file (which carried the edit) kept as a snapshot, said
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)
    assert _kernels(tab.graph) == (7, 5)
    assert (9, 5) in _everywhere(store, tab.project_id)
    said = [n.text for n in tab.take_notices()]
    [told] = [t for t in said if "once on this tab's own file" in t]
    name = told.split("“")[1].split("”")[0]
    [snap] = [s for s in store.snapshots(tab.project_id) if s.name == name]
    assert _kernels(store.load_snapshot(tab.project_id, snap.id)) == (9, 5)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".graph")) == []


def test_a_hand_edit_replaced_by_a_newer_write_as_it_is_put_back_is_kept(tmp_path,
                                                                         monkeypatch):
    """Without the exchange: the hand edit put back by a write of its own, and a newer write
    landing on the save's file before it: the newer stands, the one put back is kept."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    monkeypatch.setattr(projects, "_exchange", lambda source, path: False)
    staged = projects._staged
    writes = [7, 9]

    def staging(target, text):
        tmp = staged(target, text)
        if target == path and writes:
            _in_place(path, _hand_edited(path, "conv1", kernel_size=writes.pop(0)))
        return tmp

    monkeypatch.setattr(projects, "_staged", staging)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (9, 5)
    assert (7, 3) in _everywhere(store, tab.project_id)  # the hand edit dropped: kept
    assert any("once on this tab's own file" in n.text for n in tab.take_notices())


def test_a_write_read_from_the_saves_file_and_landing_on_the_one_put_back_leaves_it_kept(
        tmp_path, monkeypatch):
    """The program read the save's own file in the instant it was there and wrote its change
    (in place) just after the hand edit was swapped back: on the file put back, which no move
    of the save's sees. The hand edit put back is kept, as the file is no longer it."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    staged, exchange = projects._staged, projects._exchange
    steps, read = [], []

    def staging(target, text):
        tmp = staged(target, text)
        if target == path and not steps:
            steps.append("hand edit")
            _in_place(path, _hand_edited(path, "conv1", kernel_size=7))
        return tmp

    def exchanging(source, target):
        done = exchange(source, target)
        if done and target == path and steps == ["hand edit"]:
            steps.append("read")  # the save's own file, read by the program
            read.append(_hand_edited(path, "conv1", kernel_size=9))
        elif done and target == path and steps == ["hand edit", "read"]:
            steps.append("written")  # its change, written on the file put back
            _in_place(path, read[0])
        return done

    monkeypatch.setattr(projects, "_staged", staging)
    monkeypatch.setattr(projects, "_exchange", exchanging)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert steps == ["hand edit", "read", "written"]
    assert _kernels(store.load(tab.project_id).graph) == (9, 5)
    assert (7, 3) in _everywhere(store, tab.project_id)  # the hand edit, written over: kept
    assert any("once on this tab's own file" in n.text for n in tab.take_notices())


def test_a_hand_edit_put_back_and_left_alone_makes_no_snapshot(tmp_path, monkeypatch):
    """An editor's save landing as the save moved its file in, nothing written after it: put
    back, the edit laid over it, no snapshot made and no word of one."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    staged = projects._staged
    writes = [7]

    def staging(target, text):
        tmp = staged(target, text)
        if target == path and writes:
            _renamed_over(path, _hand_edited(path, "conv1", kernel_size=writes.pop()))
        return tmp

    monkeypatch.setattr(projects, "_staged", staging)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)
    assert store.snapshots(tab.project_id) == []
    assert not any("own file" in n.text for n in tab.take_notices())
