"""A disk that fills in the middle of a save: after the design file was moved in, at the line
of the save log or at meta.json (the save count). The file kept the edit while the tab said
'Your last edit … was not saved … The design shown is as it was before'; at the next run every
tab, this one too, was told the file 'was changed outside LayerLoom (edited by hand)' with this
tab's own edit, the save log took it as an outside change, and Undo had nothing to take back.
Now a save that cannot be logged puts back the design file it replaced (no room needed: the
file is held by a hard link, not copied): nothing is saved, as said, and the edit kept in the
tab is saved once there is room again, as its own edit, undoable."""

from __future__ import annotations

import errno

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _full_for(name: str):
    """``_staged`` refusing the file ``name`` only (the design file's own staging passes)."""
    staged = projects._staged

    def staging(path, text):
        if path.name == name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return staged(path, text)

    return staging


@pytest.mark.parametrize("where", ["save log", "meta.json"])
def test_an_edit_the_disk_refuses_after_the_design_file_moved_in_is_not_saved_as_said(
        tmp_path, monkeypatch, where):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    other = DesignerState.open(store, tab.project_id)
    pid = tab.project_id
    before = (tmp_path / "projects" / pid / "graph.json").read_bytes()
    with monkeypatch.context() as disk:
        if where == "save log":
            disk.setattr(projects, "_append_line", _full)
        else:  # meta.json is written aside before the line is logged: refused there
            disk.setattr(projects, "_staged", _full_for("meta.json"))
        tab.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    [refused] = [n for n in tab.take_notices() if n.unsaved is not None]
    assert refused.text.startswith("Your last edit (conv2.kernel_size) was not saved")
    assert (tmp_path / "projects" / pid / "graph.json").read_bytes() == before  # as said
    assert [line["edit"]["source"] for line in store.save_log(pid)] == ["create"]
    assert tab.graph.node("conv2").params["kernel_size"] == 3
    for each in (tab, other):  # nobody is told of a change made outside LayerLoom
        each.catch_up()
        assert not [n.text for n in each.take_notices() if "outside LayerLoom" in n.text]
        assert each.graph.node("conv2").params["kernel_size"] == 3
    assert tab.save_again(refused)  # room again: saved as the tab's own edit
    assert store.load(pid).graph.node("conv2").params["kernel_size"] == 5
    assert [line["edit"]["source"] for line in store.save_log(pid)] == ["create", "retry"]
    assert tab.undo()
    assert store.load(pid).graph.node("conv2").params["kernel_size"] == 3
    assert sorted(p.name for p in (tmp_path / "projects" / pid).iterdir()
                  if p.name.startswith(".")) == [".lock"]


def test_a_save_log_line_the_disk_did_not_keep_is_taken_out(tmp_path, monkeypatch):
    """A line written but not kept (the disk full when it is flushed to it): it stayed in
    the log, a save of version 2 that never was, beside the one saved next."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    log = tmp_path / "projects" / tab.project_id / "saves.jsonl"
    with monkeypatch.context() as disk:
        disk.setattr(projects.os, "fsync", _full)
        tab.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert [n for n in tab.take_notices() if n.unsaved is not None]
    tab.apply(edit.set_param, (), "conv1", "kernel_size", 7)
    assert [(line["version"], line["edit"]["source"])
            for line in store.save_log(tab.project_id)] == [(1, "create"), (2, "inspector")]
    assert log.read_text().endswith("}\n")
