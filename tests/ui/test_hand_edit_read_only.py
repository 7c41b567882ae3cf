"""The design file edited by hand in a project folder LayerLoom cannot write (made read-only,
another user's, a read-only mount): the change cannot be logged as a save, nor any edit
saved there. The tab shows the file as it is and says so once, naming the folder, with a copy
as a new project offered (of the design shown, or of an edit the folder refused), so that
nothing the user made is lost; the folder is left as it is. The folder is made unwritable by
refusing, in this process, new files in it (root, which runs CI's containers, ignores
permissions); its files stay writable, as a folder made read-only leaves them."""

from __future__ import annotations

import errno
import json

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY, DesignerState
from layerloom.ui.testing import app_test, shown


def _hand_edit(folder, node_id: str, **params) -> None:
    path = folder / "graph.json"
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == node_id).setdefault("params", {}).update(params)
    path.write_text(json.dumps(data, indent=2))  # in place: the folder need not take a file


def _no_new_files(monkeypatch, folder) -> None:
    """``folder`` takes no new file (a temporary one to move into place included)."""
    made = projects.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(folder)):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return made(*args, dir=dir, **kwargs)

    monkeypatch.setattr(projects.tempfile, "mkstemp", mkstemp)


def _params(graph, node_id: str) -> dict:
    return graph.node(node_id).params


def test_a_hand_edit_in_a_folder_that_cannot_be_written_is_shown_said_and_never_half_logged(
        tmp_path, monkeypatch, caplog):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    pid, folder = tab.project_id, tmp_path / "projects" / tab.project_id
    log_before = (folder / "saves.jsonl").read_text()
    _no_new_files(monkeypatch, folder)
    _hand_edit(folder, "conv1", kernel_size=7)
    assert tab.catch_up()
    assert _params(tab.graph, "conv1")["kernel_size"] == 7  # the file, as it is, shown
    said = {n.kind: n for n in tab.take_notices()}
    assert said["info"].details == ("conv1: kernel_size 3 → 7",)
    warning = said["warning"]
    assert warning.text.startswith(
        "This design's file (graph.json) was changed outside LayerLoom, and its project folder "
        f"cannot be written (Permission denied: {folder}): LayerLoom cannot record that change "
        "there, nor save any edit of yours. The design here shows the file as it is now. To go "
        "on editing it, save a copy as a new project"), warning.text
    assert warning.offer_copy
    for _ in range(3):  # each run looks again: said once, and nothing half-written
        tab.catch_up()
    assert tab.take_notices() == []
    # and on the server's terminal once, not on every run of the page
    assert sum("could not log the change" in r.getMessage() for r in caplog.records) == 1
    # the folder's save log, whose file could be appended to, took a line on every look that
    # the save count (meta.json, written as a new file) never took
    assert (folder / "saves.jsonl").read_text() == log_before
    assert store.version(pid) == 1
    # an edit there: refused in words naming the folder (not a hidden temporary file), kept,
    # a copy offered
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is None
    [refused] = tab.take_notices()
    assert refused.text.startswith(
        f"Your last edit (conv2.kernel_size) was not saved: the project folder cannot be "
        f"written (Permission denied: {folder}). The design shown is as it was before this "
        f"edit. Your edit is kept here: make the folder writable and save it again, save it as "
        f"a new project"), refused.text
    assert refused.offer_copy and refused.unsaved is not None
    mine = refused.unsaved[1]
    assert next(n for n in mine["nodes"] if n["id"] == "conv1")["params"]["kernel_size"] == 7
    assert next(n for n in mine["nodes"] if n["id"] == "conv2")["params"]["kernel_size"] == 5


def test_the_banner_saves_a_copy_as_a_new_project_the_folder_left_as_it_is(home, canvas,
                                                                          monkeypatch):
    at = app_test()
    at.run()
    pid = at.query_params["project"]
    folder = home / "projects" / pid
    _no_new_files(monkeypatch, folder)
    _hand_edit(folder, "conv1", kernel_size=7)
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    at.run()
    assert not at.exception, at.exception
    [warning] = [shown(w.value) for w in at.warning]
    assert f"its project folder cannot be written (Permission denied: {folder})" in warning
    [copy] = [b for b in at.button if b.label == "Save a copy as a new project"]
    copy.click().run()
    assert not at.exception, at.exception
    state = at.session_state[SESSION_KEY]
    assert state.project_id != pid and state.graph.name == "seed-cnn (2)"
    assert _params(state.graph, "conv1")["kernel_size"] == 7  # the hand edit, in the copy
    assert _params(ProjectStore(home).load(state.project_id).graph, "conv1")["kernel_size"] == 7
    assert not at.warning  # the copy is this tab's: the folder's banner is answered
    assert not [b for b in at.button if b.label == "Save a copy as a new project"]
    assert any(shown(t.value).startswith("Saved a copy as the new project “seed-cnn (2)”")
               for t in at.toast)
    # and its edits are saved there; the folder that could not be written is as it was
    state.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert _params(ProjectStore(home).load(state.project_id).graph, "conv2")["kernel_size"] == 5
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == files


def test_the_folder_writable_again_takes_the_hand_edit_in_and_its_banner_goes(tmp_path,
                                                                              monkeypatch):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    folder = tmp_path / "projects" / tab.project_id
    with monkeypatch.context() as patched:
        _no_new_files(patched, folder)
        _hand_edit(folder, "conv1", kernel_size=7)
        tab.catch_up()
        for notice in tab.take_notices():
            tab.pin(notice)  # as the page shows them, until dismissed
    assert any("cannot be written" in n.text for _, n in tab.banners)
    tab.catch_up()  # the folder can be written again: the change is logged as a save
    assert store.version(tab.project_id) == 2
    assert store.save_log(tab.project_id)[-1]["edit"]["source"] == "outside"
    assert not any("cannot be written" in n.text for _, n in tab.banners)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    saved = store.load(tab.project_id).graph
    assert (_params(saved, "conv1")["kernel_size"], _params(saved, "conv2")["kernel_size"]) \
        == (7, 5)
