"""The design file edited by hand (or by another program) while tabs show the design is seen
the next time a tab's page runs, not only at its next save: a hand edit advances no save
count, and the tab went on showing the old design, the user editing a design that was no
longer the file. The page now shows it at once and says what changed, each tab alike; an edit
the tab makes at that moment, or one the disk refused that it still holds, is laid over it.
AppTest sessions on one project (the whole app, the fake canvas), the file rewritten between
their runs."""

from __future__ import annotations

import errno
import json

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY, DesignerState
from layerloom.ui.testing import app_test, shown, widget


def _file(home, pid: str):
    return home / "projects" / pid / "graph.json"


def _hand_edit(home, pid: str, node_id: str, **params) -> None:
    """Set ``params`` of ``node_id`` in the project's graph.json (under the folder ``home``),
    as an editor would."""
    path = _file(home, pid)
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == node_id).setdefault("params", {}).update(params)
    path.write_text(json.dumps(data, indent=2))


def _params(graph: dict, node_id: str) -> dict:
    return next(n for n in graph["nodes"] if n["id"] == node_id).get("params", {})


def _tab(pid: str | None = None):
    at = app_test()
    if pid is not None:
        at.query_params["project"] = pid
    at.run()
    assert not at.exception, at.exception
    return at


def _banners(at) -> list[str]:
    return [shown(e.value) for kind in (at.info, at.warning, at.error) for e in kind]


def test_every_tab_shows_a_hand_edit_at_its_next_run_and_says_what_changed(home, canvas):
    a = _tab()
    pid = a.query_params["project"]
    b = _tab(pid)
    _hand_edit(home, pid, "conv2", kernel_size=5)
    a.run()  # no edit: the page runs (a click, the canvas's next event)
    assert not a.exception, a.exception
    assert _params(canvas.last["graph"], "conv2")["kernel_size"] == 5  # the canvas shows it
    assert _params(a.session_state[SESSION_KEY].graph.to_dict(), "conv2")["kernel_size"] == 5
    [said] = [t for t in _banners(a) if "changed outside LayerLoom" in t]
    assert said.startswith("This design's file (graph.json) was changed outside LayerLoom")
    assert "- conv2: kernel_size 3 → 5" in said
    canvas.send("select", selected=["conv2"])
    a.run()
    assert widget(a.text_input, "kernel_size").value == "5"  # the inspector too
    b.run()  # the other tab, without a save in between, alike
    assert _params(canvas.last["graph"], "conv2")["kernel_size"] == 5
    assert any("- conv2: kernel_size 3 → 5" in t for t in _banners(b))
    # taken in as a save: its line in the log, told once, the file as edited
    line = ProjectStore(home).save_log(pid)[-1]
    assert line["edit"]["source"] == "outside" and line["changes"] == \
        ["nodes.conv2.params.kernel_size"]
    a.run()
    assert len([t for t in _banners(a) if "changed outside LayerLoom" in t]) == 1
    assert _params(json.loads(_file(home, pid).read_text()), "conv2")["kernel_size"] == 5


def test_an_edit_made_as_the_hand_edit_arrives_is_laid_over_it_and_what_changed_said(home,
                                                                                      canvas):
    a = _tab()
    pid = a.query_params["project"]
    canvas.send("select", selected=["conv2"])
    a.run()
    widget(a.text_input, "kernel_size").set_value("5")  # typed on the design shown
    _hand_edit(home, pid, "conv1", out_channels=12)  # meanwhile, in an editor
    a.run()  # Enter: the edit reaches the server with the page's next run
    assert not a.exception, a.exception
    saved = json.loads(_file(home, pid).read_text())
    assert _params(saved, "conv2")["kernel_size"] == 5 and \
        _params(saved, "conv1")["out_channels"] == 12  # both
    assert canvas.last["graph"]["nodes"] == saved["nodes"]  # shown as saved
    said = [t for t in _banners(a) if "changed outside LayerLoom" in t]
    assert len(said) == 1 and "your edit is laid over those changes" in said[0]
    assert "- conv1: out_channels =round(32*width) → 12" in said[0]


def test_an_edit_the_disk_refused_is_laid_over_a_hand_edit_seen_since(home, canvas,
                                                                       monkeypatch):
    a = _tab()
    pid = a.query_params["project"]
    canvas.send("select", selected=["conv2"])
    a.run()
    widget(a.text_input, "kernel_size").set_value("5")
    with monkeypatch.context() as patched:
        patched.setattr(projects, "_write_atomic", _refusing)
        a.run()
    assert any(t.startswith("Your last edit (conv2.kernel_size) was not saved")
               for t in _banners(a))
    _hand_edit(home, pid, "conv1", out_channels=12)
    a.run()
    assert not a.exception, a.exception
    assert _params(canvas.last["graph"], "conv1")["out_channels"] == 12  # seen, the kept
    assert _params(canvas.last["graph"], "conv2")["kernel_size"] == 3  # edit still unsaved
    next(b for b in a.button if b.label == "Save it again").click().run()
    assert not a.exception, a.exception
    saved = json.loads(_file(home, pid).read_text())
    assert _params(saved, "conv2")["kernel_size"] == 5 and \
        _params(saved, "conv1")["out_channels"] == 12


def test_a_hand_edit_that_leaves_no_design_is_said_once_the_design_kept(home, canvas):
    a = _tab()
    pid = a.query_params["project"]
    text = _file(home, pid).read_text()
    _file(home, pid).write_text(text.replace('"nodes": [', '"nodes": [,', 1))
    a.run()
    assert not a.exception, a.exception
    [said] = [t for t in _banners(a) if "no longer reads as a design" in t]
    assert "line" in said and "unreadable/" in said
    assert len(canvas.last["graph"]["nodes"]) == len(json.loads(text)["nodes"])
    a.run()
    assert len([t for t in _banners(a) if "no longer reads as a design" in t]) == 1
    # mended, with a change (or an editor's write caught half-way, then whole): shown, and
    # the banner goes; broken again: told again
    _file(home, pid).write_text(text)
    _hand_edit(home, pid, "conv2", kernel_size=5)
    a.run()
    assert _params(canvas.last["graph"], "conv2")["kernel_size"] == 5
    assert not [t for t in _banners(a) if "no longer reads as a design" in t]
    _file(home, pid).write_text(_file(home, pid).read_text().replace('"nodes": [',
                                                                     '"nodes": [,', 1))
    a.run()
    assert len([t for t in _banners(a) if "no longer reads as a design" in t]) == 1


def test_a_value_of_the_tabs_the_hand_edit_replaced_is_told_and_offered_back(tmp_path):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    pid = tab.project_id
    tab.apply(edit.set_param, (), "fc", "out_features", 5)
    _hand_edit(tmp_path, pid, "fc", out_features=7)
    assert tab.catch_up()  # the page's next run
    assert tab.graph.node("fc").params["out_features"] == 7
    [replaced] = [n for n in tab.take_notices() if n.put_back]
    assert replaced.text.startswith("This design's file (graph.json) was changed outside "
                                    "LayerLoom since, and with it what this tab had set")
    assert replaced.details == ("fc.out_features: your 5 was replaced by 7 in the file, "
                                "changed outside LayerLoom",)
    kept = replaced.text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert store.load_snapshot(pid, snap.id).node("fc").params["out_features"] == 5
    assert tab.put_back(replaced.put_back)
    assert store.load(pid).graph.node("fc").params["out_features"] == 5


def test_undo_after_a_hand_edit_seen_takes_back_the_tabs_edit_only(tmp_path):
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    pid = tab.project_id
    tab.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    _hand_edit(tmp_path, pid, "conv1", out_channels=12)
    other = DesignerState.open(store, pid)  # a tab opened after: the file as edited
    assert tab.catch_up()
    assert tab.undo()
    saved = store.load(pid).graph
    assert saved.node("conv2").params["kernel_size"] == 3
    assert saved.node("conv1").params["out_channels"] == 12  # the hand edit stays
    other.apply(edit.set_param, (), "fc", "out_features", 4)  # and merges as over a save
    saved = store.load(pid).graph
    assert (saved.node("conv2").params["kernel_size"], saved.node("conv1").params[
        "out_channels"], saved.node("fc").params["out_features"]) == (3, 12, 4)


def test_a_hand_edit_another_tab_took_in_first_is_still_said_made_outside(tmp_path):
    """The first to read the file takes the hand edit in (a tab opened after it); a tab that
    had not seen it, its edit refused over it, is told the file changed outside LayerLoom,
    not that another tab changed it."""
    store = ProjectStore(tmp_path)
    tab = DesignerState.new(store, load_template("seed-cnn"))
    pid = tab.project_id
    path = _file(tmp_path, pid)
    data = json.loads(path.read_text())
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "fc"] + [
        {"id": "head", "type": "Linear", "params": {"out_features": 4}, "position": [0, 900]}]
    for e in data["edges"]:
        for end in ("source", "target"):
            if e[end] == "fc":
                e[end] = "head"
    path.write_text(json.dumps(data, indent=2))
    DesignerState.open(store, pid)
    tab.apply(edit.set_param, (), "fc", "out_features", 5)  # a callback, on what it showed
    assert "fc" not in [n.id for n in store.load(pid).graph.nodes]
    [notice] = [n for n in tab.take_notices() if "not applied" in n.text]
    assert "this design's file (graph.json) was changed outside LayerLoom" in notice.text
    assert "it changes fc, which the edit made outside LayerLoom removed" in notice.text


def test_a_hand_edit_and_another_tabs_save_caught_up_together_are_said_both(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    _hand_edit(tmp_path, pid, "conv1", out_channels=12)
    b.catch_up()  # B's page ran first: it took the hand edit in
    b.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert a.catch_up()
    [said] = [n for n in a.take_notices() if "outside LayerLoom" in n.text]
    assert said.text.startswith("This design's file (graph.json) was changed outside "
                                "LayerLoom (edited by hand, or by another program), and in "
                                "another tab or window; the design here now shows it.")
    assert said.details == ("conv1: out_channels =round(32*width) → 12",
                            "conv2: kernel_size 3 → 5")


def _refusing(path, data, expect=None):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))
