"""The design file written outside LayerLoom (an editor, a script) in the very instant a save
moves its own file in: after the save's last look at the file, before the move. The project's
lock keeps other tabs and servers out, not an editor, and the move replaced the hand edit
unsaid: the file lost it, no tab ever saw it. The move now captures exactly what it replaced
(the two files exchanged in one step, else the file hard-linked aside first, else read just
before, on a file system without hard links); what is not what the save read is put back and
the save starts again from it, the edit laid over it and said, as for a hand edit seen
earlier. Each test writes in that instant (the save's new file staged, not yet moved)."""

from __future__ import annotations

import errno
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


def _in_place(path, text: str) -> None:  # a script's open('w'), a shell's '>'
    path.write_text(text)


def _renamed_over(path, text: str) -> None:  # most editors: a new file moved over the old
    new = path.with_name("graph.json.editor-tmp")
    new.write_text(text)
    os.replace(new, path)


def _as_moved(monkeypatch, path, write, text_of) -> None:
    """``write`` the text ``text_of(path)`` to ``path`` once a save has staged its new design
    file and before it is moved into place (once only)."""
    staged = projects._staged

    def staging(target, text):
        tmp = staged(target, text)
        if target == path:
            monkeypatch.setattr(projects, "_staged", staged)
            write(path, text_of(path))
        return tmp

    monkeypatch.setattr(projects, "_staged", staging)


def _kernels(graph) -> tuple:
    return graph.node("conv1").params["kernel_size"], graph.node("conv2").params["kernel_size"]


def _said(tab) -> list[str]:
    return [n.text for n in tab.take_notices()]


def _no_exchange(monkeypatch) -> None:
    monkeypatch.setattr(projects, "_exchange", lambda source, path: False, raising=False)


def _no_hard_links(monkeypatch) -> None:
    def link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(projects.os, "link", link)


@pytest.mark.parametrize("system", ["exchange", "hard link", "no hard links"])
@pytest.mark.parametrize("write", [_in_place, _renamed_over], ids=["in place", "renamed over"])
def test_a_hand_edit_landing_as_the_save_moves_its_file_in_is_kept_and_said(
        tmp_path, monkeypatch, write, system):
    if system == "hard link" and write is _renamed_over:
        pytest.skip("a rename between the check of the link and the move is not seen there")
    if system == "no hard links" and write is _renamed_over:
        pytest.skip("a rename between the read and the move is not seen there")
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    if system != "exchange":
        _no_exchange(monkeypatch)
    if system == "no hard links":
        _no_hard_links(monkeypatch)
    _as_moved(monkeypatch, path, write, lambda p: _hand_edited(p, "conv1", kernel_size=7))
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)  # the hand edit: not replaced
    assert _kernels(tab.graph) == (7, 5)
    said = _said(tab)
    assert any(text.startswith("This design's file (graph.json) was changed outside LayerLoom "
                               "since this tab saved it; your edit is laid over those changes")
               for text in said), said
    assert [line["edit"]["source"] for line in store.save_log(tab.project_id)] == \
        ["create", "inspector"]
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".graph")) == []
    assert tab.undo()  # the edit alone is taken back, the hand edit stays
    assert _kernels(store.load(tab.project_id).graph) == (7, 3)


def test_a_hand_edit_landing_as_the_last_try_moves_its_file_in_is_kept_as_a_snapshot(
        tmp_path, monkeypatch):
    """The save's last try (an editor that wrote the file throughout its earlier tries) does
    not start again: the version written there is kept as a snapshot and said."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    monkeypatch.setattr(projects, "SAVE_WAITS", ())
    _as_moved(monkeypatch, path, _in_place, lambda p: _hand_edited(p, "conv1", kernel_size=7))
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (3, 5)
    [said] = [t for t in _said(tab) if "written outside LayerLoom again and again" in t]
    name = said.split("“")[1].split("”")[0]
    assert name.startswith("changed outside the app as it was saved, kept at ")
    [snap] = [s for s in store.snapshots(tab.project_id) if s.name == name]
    assert _kernels(store.load_snapshot(tab.project_id, snap.id)) == (7, 3)


def test_a_hand_edit_that_does_not_read_landing_as_the_last_try_moves_in_is_kept_as_it_was(
        tmp_path, monkeypatch):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    monkeypatch.setattr(projects, "SAVE_WAITS", ())
    half = '{"nodes": [ half written'
    _as_moved(monkeypatch, path, _in_place, lambda p: half)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (3, 5)
    [said] = [t for t in _said(tab) if "written outside LayerLoom again and again" in t]
    [kept] = list((path.parent / "unreadable").iterdir())
    assert kept.read_text() == half and str(kept) in said


def test_a_save_moves_its_file_in_where_nothing_else_writes_it(tmp_path, monkeypatch):
    """Without the exchange, or hard links too: saved as before, nothing left beside it."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    for degrade in (_no_exchange, _no_hard_links):
        degrade(monkeypatch)
        before = tab.saved_edits
        assert tab.apply(edit.set_param, (), "conv2", "kernel_size", before + 4) is not None
        assert tab.take_notices() == []
        assert _kernels(store.load(tab.project_id).graph) == (3, before + 4)
        assert tab.saved_edits == before + 1
    assert sorted(p.name for p in path.parent.iterdir()) == \
        [".lock", "graph.json", "meta.json", "saves.jsonl", "snapshots"]


def test_a_second_hand_edit_landing_as_the_first_is_put_back_is_the_one_kept(tmp_path,
                                                                             monkeypatch):
    """Written again in the instant the first hand edit is put back: the newer stands."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    staged = projects._staged
    writes = [7, 9]

    def staging(target, text):
        tmp = staged(target, text)
        if target == path and writes:
            path.write_text(_hand_edited(path, "conv1", kernel_size=writes.pop(0)))
        return tmp

    monkeypatch.setattr(projects, "_staged", staging)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (9, 5)
    assert _kernels(tab.graph) == (9, 5)


def test_a_slow_writer_caught_with_the_file_half_written_at_the_last_try_is_kept(
        tmp_path, monkeypatch):
    """A script or editor that emptied the file and writes it in place more slowly than the
    save's tries wait: the half-written file is set aside and replaced, and the writer's text
    then went to the file replaced, gone. It is kept (its last version) and said."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    text = _hand_edited(path, "conv1", kernel_size=7)
    monkeypatch.setattr(projects, "SAVE_WAITS", ())
    writer = path.open("w")  # emptied; written once the save has moved its file in
    append = projects._append_line

    def after_the_move(target, line):
        append(target, line)
        if not writer.closed:
            writer.write(text)
            writer.close()

    monkeypatch.setattr(projects, "_append_line", after_the_move)
    try:
        assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    finally:
        writer.close()
    assert _kernels(store.load(tab.project_id).graph) == (3, 5)
    said = [t for t in _said(tab) if "written outside LayerLoom again and again" in t]
    assert len(said) == 1, said
    name = said[0].split("“")[1].split("”")[0]
    [snap] = [s for s in store.snapshots(tab.project_id) if s.name == name]
    assert _kernels(store.load_snapshot(tab.project_id, snap.id)) == (7, 3)


def test_a_rename_landing_after_the_hard_link_is_seen_where_there_is_no_exchange(
        tmp_path, monkeypatch):
    """Without the exchange (not Linux, or a file system without it: NFS, macOS, Windows),
    the file is hard-linked aside before the move: an editor's new file renamed over it right
    after the link was replaced unseen, the link holding the file before it. The link is
    taken again where the file there is no longer the one linked."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / tab.project_id / "graph.json"
    _no_exchange(monkeypatch)
    link = os.link

    def linking(source, target, *args, **kwargs):
        link(source, target, *args, **kwargs)
        if str(target).endswith(".replaced") and str(source) == str(path):
            monkeypatch.setattr(projects.os, "link", link)
            _renamed_over(path, _hand_edited(path, "conv1", kernel_size=7))

    monkeypatch.setattr(projects.os, "link", linking)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert _kernels(store.load(tab.project_id).graph) == (7, 5)
    assert _kernels(tab.graph) == (7, 5)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".graph")) == []
