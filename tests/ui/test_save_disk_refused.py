"""A save the disk refuses (no space left, a project folder made read-only): the page says what
failed, in words, never with a traceback; the design shown stays the one on disk; the edit is
kept in the banner, which saves it again once the disk takes it (laid over what was saved
since) or downloads it. A snapshot or a rename the disk refuses is said, never "Saved". AppTest
with the fake canvas (``home``/``canvas`` fixtures in tests/ui/conftest.py), and the state
without Streamlit."""

from __future__ import annotations

import errno
import json
import tempfile

import pytest

from layerloom.graph import edit, loads_graph
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY, DesignerState
from layerloom.ui.testing import app_test, shown, toasted, widget


def refusing(error: int, text: str):
    def write(path, data, expect=None):
        raise OSError(error, text, str(path))
    return write


def on_disk(home, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def node(graph: dict, node_id: str) -> dict:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    canvas.send("select", selected=["conv2"])
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_inspector_edit_the_full_disk_refuses_is_said_kept_and_saved_again(app, home,
                                                                               monkeypatch):
    pid = app.session_state[SESSION_KEY].project_id
    widget(app.text_input, "kernel_size").set_value("5")
    with monkeypatch.context() as patched:
        patched.setattr(projects, "_write_atomic",
                        refusing(errno.ENOSPC, "No space left on device"))
        app.run()
    assert not app.exception, app.exception  # it was a traceback in the browser
    said = [shown(e.value) for e in app.error]
    assert len(said) == 1 and said[0].startswith(
        "Your last edit (conv2.kernel_size) was not saved: the project folder cannot be "
        "written (No space left on device:"), said
    assert "graph.json" in said[0] and "save it again, or download it" in said[0]
    assert node(on_disk(home, pid), "conv2")["params"]["kernel_size"] == 3
    state = app.session_state[SESSION_KEY]
    assert node(state.graph.to_dict(), "conv2")["params"]["kernel_size"] == 3  # as on disk
    # the edit is kept: its design downloads from the banner
    download = next(e for e in app.get("download_button")
                    if e.proto.id and "download_unsaved" in e.proto.id)
    assert download.proto.label == "Download this edit's design"
    # the disk takes it again: one click saves the edit kept
    next(b for b in app.button if b.label == "Save it again").click().run()
    assert not app.exception, app.exception
    assert node(on_disk(home, pid), "conv2")["params"]["kernel_size"] == 5
    assert "Saved the edit that was not saved before." in toasted(app)
    assert not app.error  # its banner is answered
    assert len(app.session_state[SESSION_KEY].undo_stack) == 1  # undoable as any edit


def test_a_canvas_change_a_read_only_folder_refuses_is_kept_and_saved_over_later_edits(
        monkeypatch):
    store = ProjectStore(tempfile.mkdtemp())
    state = DesignerState.new(store, load_template("seed-cnn"))
    level = state.level()
    level["nodes"].append({"id": "drop1", "type": "Dropout", "position": [40, 400]})
    with monkeypatch.context() as patched:
        patched.setattr(projects, "_write_atomic",
                        refusing(errno.EROFS, "Read-only file system"))
        assert state.handle_event({"seq": 1, "event": "change", "graph": level,
                                   "base": state.canvas_version()})
    assert "drop1" not in {n.id for n in store.load(state.project_id).graph.nodes}
    assert "drop1" not in {n.id for n in state.graph.nodes}  # the design shown is the saved one
    notice = state.notices[-1]
    assert notice.kind == "error" and notice.text.startswith(
        "Your last edit on the canvas was not saved: the project folder cannot be written "
        "(Read-only file system:")
    assert "drop1" in {n["id"] for n in notice.unsaved[1]["nodes"]}
    # meanwhile another edit is saved; the kept change is laid over it, not over the old design
    state.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    assert state.save_again(notice)
    saved = store.load(state.project_id).graph.to_dict()
    assert "drop1" in {n["id"] for n in saved["nodes"]}
    assert node(saved, "conv1")["params"]["kernel_size"] == 5


def test_a_kept_edit_that_no_longer_fits_is_said_and_still_kept(monkeypatch):
    store = ProjectStore(tempfile.mkdtemp())
    state = DesignerState.new(store, load_template("seed-cnn"))
    with monkeypatch.context() as patched:
        patched.setattr(projects, "_write_atomic", refusing(errno.ENOSPC, "No space left"))
        state.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    notice = state.notices[-1]
    level = state.level()  # conv2 removed meanwhile (and its wires)
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "conv2"]
    level["edges"] = [e for e in level["edges"] if "conv2" not in (e["source"], e["target"])]
    assert state.handle_event({"seq": 1, "event": "change", "graph": level,
                               "base": state.canvas_version()})
    assert not state.save_again(notice)
    assert state.notices[-1].text == ("Could not save the kept edit: the design has changed "
                                      "since in a way it does not fit. Download it to keep it.")
    assert state.notices[-1].unsaved == notice.unsaved  # still offered for download
    assert node(loads_graph(json.dumps(notice.unsaved[1])).to_dict(), "conv2")["params"][
        "kernel_size"] == 5


def test_a_snapshot_the_full_disk_refuses_is_said_not_a_traceback(app, monkeypatch):
    form = next(w for w in app.text_input if w.label == "Name" and w.key.startswith("snap:"))
    form.set_value("before the wider head")
    save = next(b for b in app.button if b.label == "Save")  # the snapshot form's
    with monkeypatch.context() as patched:
        for writer in ("_write_atomic", "_write_new"):  # a snapshot is written as a new file
            patched.setattr(projects, writer, refusing(errno.ENOSPC, "No space left on device"))
        save.click().run()
    assert not app.exception, app.exception
    said = [shown(e.value) for e in app.error]
    assert said == ["The snapshot “before the wider head” was not saved: No space left on "
                    "device. The design is unchanged; the JSON button in the project bar "
                    "downloads it to keep a copy."]
    assert ProjectStore().snapshots(app.session_state[SESSION_KEY].project_id) == []


def test_a_rename_the_disk_refuses_is_not_said_saved(app, monkeypatch):
    next(w for w in app.text_input if w.label == "Design name").set_value("digits v2")
    with monkeypatch.context() as patched:
        patched.setattr(projects, "_write_atomic",
                        refusing(errno.ENOSPC, "No space left on device"))
        next(b for b in app.button if b.label == "Apply").click().run()
    assert not app.exception, app.exception
    assert not any("Saved the name" in t for t in toasted(app, icon=None))
    assert any("was not saved" in shown(e.value) for e in app.error)
    state = app.session_state[SESSION_KEY]
    assert state.graph.name == "seed-cnn" == ProjectStore().load(state.project_id).graph.name


def test_a_project_on_a_read_only_folder_opens_and_its_edit_is_said(tmp_path, monkeypatch):
    """A project folder that cannot be written (a read-only mount, a folder made read-only):
    the design still opens (the save lock opened its file for appending, so the project
    could not even be read and the app stopped), and an edit says why it was not saved."""
    import builtins

    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    folder = str(tmp_path / "projects" / pid)
    opened, made = builtins.open, projects.tempfile.mkstemp

    def read_only_open(path, mode="r", *args, **kwargs):
        if str(path).startswith(folder) and any(c in mode for c in "aw+x"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return opened(path, mode, *args, **kwargs)

    def read_only_mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(folder):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return made(*args, dir=dir, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(projects.tempfile, "mkstemp", read_only_mkstemp)
    state = DesignerState.boot(store, pid)
    assert state.project_id == pid and state.notices == []
    state.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    [notice] = state.take_notices()
    assert notice.text.startswith("Your last edit (conv2.kernel_size) was not saved: the "
                                  "project folder cannot be written (Read-only file system:")
    monkeypatch.undo()
    assert store.load(pid).graph.to_dict() == state.graph.to_dict()  # as it was, unchanged
    assert state.save_again(notice)  # the folder writable again
    assert store.load(pid).graph.node("conv2").params["kernel_size"] == 5


def test_fitting_the_design_to_data_the_disk_refuses_is_not_said_done(home, monkeypatch):
    """The Data page's 'Fit the design to wine' with the project folder full: the page says
    the design was not fitted and why; it said 'The design now takes wine and is valid'."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(),
                                                     load_template("mlp-tabular"))
        data.render(st.session_state.app)

    at = AppTest.from_function(script, default_timeout=60).run()
    at.selectbox(key="data.builtin").select("wine").run()
    monkeypatch.setattr(projects, "_write_atomic",
                        refusing(errno.ENOSPC, "No space left on device"))
    at.button(key="data.fit").click().run()
    assert not at.exception, at.exception
    said = [shown(i.value) for i in at.info]
    assert said and said[0].startswith("The design was not fitted to wine. Your last edit "
                                       "was not saved: the project folder cannot be written "
                                       "(No space left on device:"), said
    assert not any("now takes wine" in text for text in said)
    app = at.session_state.app
    assert app.graph.variables["features"] == 4 == \
        ProjectStore().load(app.project_id).graph.variables["features"]


def test_a_new_project_the_full_disk_refuses_is_said_and_leaves_no_folder(app, home,
                                                                        monkeypatch):
    """New (a template, a blank design), an opened file, a snapshot's copy, a run's design:
    with the projects folder full, the page says the project was not created, the design
    open stays, and no half-made project folder is left (it raised out of the callback)."""
    before = sorted(p.name for p in (home / "projects").iterdir())
    pid = app.session_state[SESSION_KEY].project_id
    next(b for b in app.button if b.label == "New").click().run()
    monkeypatch.setattr(projects, "_write_atomic",
                        refusing(errno.ENOSPC, "No space left on device"))
    next(b for b in app.button if b.label == "Create").click().run()
    assert not app.exception, app.exception
    said = [shown(e.value) for e in app.error]
    assert len(said) == 1 and said[0].startswith(
        "The new project “untitled” was not created: the projects folder cannot be "
        "written (No space left on device: "), said
    assert said[0].endswith("The design open here is as it was.")
    assert app.session_state[SESSION_KEY].project_id == pid
    assert sorted(p.name for p in (home / "projects").iterdir()) == before
