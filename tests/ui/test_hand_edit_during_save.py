"""The design file edited by hand (or by another program: an editor, a script) while a save is
under way, between the save's read of the file and its write, or just after the write: the
project's lock keeps other tabs and servers out, not an editor. The hand edit was written over
unsaid, or taken for the save's own bytes and never seen by any tab. Now a save that finds the
file changed since it read it starts again from the file as it is (the edit laid over the hand
edit, said), and the digest a save writes down is that of the bytes it wrote."""

from __future__ import annotations

import json

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _hand_edit(path, node_id: str, **params) -> None:
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == node_id).setdefault("params", {}).update(params)
    path.write_text(json.dumps(data, indent=2))


def _kernels(graph) -> tuple:
    return graph.node("conv1").params["kernel_size"], graph.node("conv2").params["kernel_size"]


def test_a_hand_edit_made_while_a_save_is_laid_over_is_kept_and_said(tmp_path, monkeypatch):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    dumps = projects.dumps_graph
    edits = []

    def dumps_graph(graph):  # the save has read the file and laid its edit over it: now written
        if not edits:
            edits.append(1)
            _hand_edit(path, "conv1", kernel_size=7)
        return dumps(graph)

    monkeypatch.setattr(projects, "dumps_graph", dumps_graph)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)  # the hand edit: not written over
    assert _kernels(tab.graph) == (7, 5)
    said = [n.text for n in tab.take_notices()]
    assert any(text.startswith("This design's file (graph.json) was changed outside LayerLoom "
                               "since this tab saved it; your edit is laid over those changes")
               for text in said), said


def _after_writing(monkeypatch, path, name: str) -> None:
    """A hand edit of ``path`` as soon as the project's function ``name`` (a write) returns
    the first time for the save under way (once only)."""
    real = getattr(projects, name)

    def write(target, *args, **kwargs):
        real(target, *args, **kwargs)
        if target == path or target.name == "saves.jsonl":
            monkeypatch.setattr(projects, name, real)
            _hand_edit(path, "conv1", kernel_size=7)

    monkeypatch.setattr(projects, name, write)


def test_a_hand_edit_made_just_after_a_save_wrote_is_seen_by_every_tab(tmp_path, monkeypatch):
    """Between the save's write and the digest it writes down: taken for the save's own
    bytes, it was seen by no tab, the design shown and edited no longer the file."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    other = DesignerState.open(store, tab.project_id)
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    _after_writing(monkeypatch, path, "_append_line")  # the save's line in the log
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)  # the file
    for each in (tab, other):
        each.catch_up()
        assert _kernels(each.graph) == (7, 5)
    assert [line["edit"]["source"] for line in store.save_log(tab.project_id)[-2:]] == \
        ["inspector", "outside"]


def test_a_hand_edit_made_as_a_save_wrote_leaves_the_edit_saved_and_undoable(tmp_path,
                                                                            monkeypatch):
    """Between the save's write and its check that the file reads back as written: the save
    was refused ('does not read back as it was written'), the tab told its edit was not saved
    and its design unchanged, while the file held the edit; the tab then took the edit for a
    change made outside LayerLoom, and Undo had nothing to take back."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    _after_writing(monkeypatch, path, "_write_atomic")
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert tab.take_notices() == []  # saved, as it was
    assert [line["edit"]["source"] for line in store.save_log(tab.project_id)] == \
        ["create", "inspector"]
    tab.catch_up()
    assert _kernels(tab.graph) == (7, 5)
    said = [(n.text, n.details) for n in tab.take_notices()]
    assert [details for _, details in said] == [("conv1: kernel_size 3 → 7",)], said
    assert tab.undo()
    assert _kernels(store.load(tab.project_id).graph) == (7, 3)


def test_an_editors_write_caught_half_way_by_a_save_is_waited_for_not_written_over(
        tmp_path, monkeypatch):
    """An editor that empties the file and then writes it (a script's open('w'), a shell's
    '>'), caught by a save in between: the empty file was set aside, the design written over
    it, and the editor's write went to the file replaced: the hand edit lost, an empty file
    kept in its place. A file that does not read is looked at again a moment later."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] = 7
    editor = path.open("w")  # emptied; its text comes a moment later
    real_sleep = projects.time.sleep

    def sleep(seconds):  # that moment
        if not editor.closed:
            editor.write(json.dumps(data, indent=2))
            editor.close()
        real_sleep(seconds)

    monkeypatch.setattr(projects.time, "sleep", sleep)
    try:
        assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    finally:
        editor.close()
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)
    assert _kernels(tab.graph) == (7, 5)
    assert not (path.parent / "unreadable").exists()  # nothing set aside: it read
