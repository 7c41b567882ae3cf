"""Edits are transactions: no widget default, stale callback, merged rerun or replayed canvas
event writes to a design, every canvas event is applied once and in order, and every save is
checked against its edit and logged (``saves.jsonl``). AppTest with the fake canvas
(``home``/``canvas`` fixtures in tests/ui/conftest.py), and the state without Streamlit."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import fields, savelog
from layerloom.ui.projects import ProjectStore, SaveRefused
from layerloom.ui.savelog import Edit
from layerloom.ui.state import CANVAS_STALE, DesignerState
from layerloom.ui.testing import app_test, widget


def on_disk(home, pid: str) -> dict:
    return json.loads((home / "projects" / pid / "graph.json").read_text())


def save_log(home, pid: str) -> list[dict]:
    return savelog.read_log(home / "projects" / pid / "saves.jsonl")


def node(graph: dict, node_id: str) -> dict:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    canvas.send("select", selected=["conv2"])
    at.run()
    assert not at.exception, at.exception
    return at


# -- the stale-callback path (issue: conv2 saved with its widgets' built-in defaults) ----------

def test_a_recreated_widget_reports_what_it_showed_so_its_callback_changes_nothing(app, home):
    """After an interrupted rerun the browser can re-create the inspector's widgets and report
    each one's built-in default (the proto's ``default``): a text box's, a toggle's, a number
    box's. Those defaults are now the values shown, so nothing is written."""
    pid = app.query_params["project"]
    before, saves = on_disk(home, pid), len(save_log(home, pid))
    boxes = [widget(app.text_input, "kernel_size"), widget(app.text_input, "Id"),
             widget(app.toggle, "bias"), widget(app.toggle, "Trainable"),
             widget(app.number_input, "repeat"),
             widget(app.number_input, "groups")]
    for box in boxes:
        assert box.proto.default == (box.value if not isinstance(box.value, int)
                                     or isinstance(box.value, bool) else float(box.value)), \
            box.label
    for box in boxes:
        default = box.proto.default
        box.set_value(int(default) if isinstance(box.value, int) and
                      not isinstance(box.value, bool) else default)
    app.run()
    assert not app.exception
    assert on_disk(home, pid) == before
    assert node(before, "conv2")["params"] == {"out_channels": "=round(64*width)",
                                               "kernel_size": 3}
    assert len(save_log(home, pid)) == saves  # no save: nothing changed
    assert "id '' is not allowed" not in "\n".join(e.value for e in app.error)


def test_a_callback_made_on_an_older_version_is_refused_and_the_design_on_disk_unchanged(
        app, home):
    """conv2's form is drawn with kernel_size 3; before its callback runs, the design changes
    (another event applied first, as after an interrupted rerun); the callback then fires with
    the text box's built-in default (empty): refused, with a toast, and nothing written."""
    pid = app.query_params["project"]
    state = app.session_state["layerloom"]
    state.apply(edit.set_param, (), "conv2", "kernel_size", 5)  # applied before the callback
    before, saves = on_disk(home, pid), len(save_log(home, pid))
    assert node(before, "conv2")["params"]["kernel_size"] == 5
    widget(app.text_input, "kernel_size").set_value("").run()  # drawn as "3", now ""
    assert not app.exception
    assert on_disk(home, pid) == before
    assert len(save_log(home, pid)) == saves
    assert [t.value for t in app.toast] == [fields.STALE]
    # the form now shows what is stored, and an edit of it applies
    widget(app.text_input, "kernel_size").set_value("4").run()
    assert node(on_disk(home, pid), "conv2")["params"]["kernel_size"] == 4
    assert save_log(home, pid)[-1]["edit"]["scope"] == ["param", [], "conv2", "kernel_size"]
    assert save_log(home, pid)[-1]["changes"] == ["nodes.conv2.params.kernel_size"]


def test_a_callback_of_a_widget_a_completed_run_no_longer_drew(monkeypatch):
    applied = []
    monkeypatch.setattr(fields, "refuse", lambda text: applied.append(("toast", text)))
    monkeypatch.setattr(fields.st, "session_state", {
        "conv2:bias:bool:x": False, fields._DRAWN: {"relu1:label:text:y"}})
    # without the stored value to compare with: refused (its form is gone), and said
    fields.changed("conv2:bias:bool:x", True, bool, applied.append)
    assert applied == [("toast", fields.STALE)]
    # with it: the browser still showed the form the user typed in, and the field is
    # untouched since it was drawn: the user's edit, applied
    fields.changed("conv2:bias:bool:x", True, bool, applied.append, True, lambda: True)
    assert applied[1:] == [False]
    # ... but not over a value that changed since
    fields.changed("conv2:bias:bool:x", True, bool, applied.append, True, lambda: False)
    assert applied[2:] == [("toast", fields.STALE)]
    monkeypatch.setattr(fields.st, "session_state", {
        "conv2:bias:bool:x": False, fields._DRAWN: {"conv2:bias:bool:x"}})
    fields.changed("conv2:bias:bool:x", True, bool, applied.append)  # drawn: the user's edit
    assert applied[3:] == [False]


def test_an_edit_of_a_field_that_changed_since_it_was_drawn_is_refused(monkeypatch):
    applied = []
    monkeypatch.setattr(fields.st, "session_state", {"k": "7"})
    monkeypatch.setattr(fields, "refuse", applied.append)
    fields.changed("k", "3", int, applied.append, 3, lambda: 5)  # stored 5, drawn 3
    assert applied == [fields.STALE]
    fields.changed("k", "3", int, applied.append, 3, lambda: 3)  # untouched since: applied
    assert applied == [fields.STALE, 7]


def test_an_input_shape_field_shows_what_is_stored_and_typing_it_stores_it(app, canvas, home):
    pid = app.query_params["project"]
    level = canvas.last["graph"]
    level["nodes"].append({"id": "input1", "type": "Input", "position": [0, 700]})
    canvas.send("change", level, selected=["input1"])
    app.run()
    box = widget(app.text_input, "shape")
    assert box.value == ""  # nothing stored: empty, the default only as a placeholder
    assert box.proto.placeholder == "1, 28, 28"
    assert "params" not in node(on_disk(home, pid), "input1")
    box.set_value("1, 28, 28").run()
    assert node(on_disk(home, pid), "input1")["params"] == {"shape": [1, 28, 28]}
    assert widget(app.text_input, "shape").value == "1, 28, 28"


# -- the canvas queue ------------------------------------------------------------------------

def _state(tmp_path) -> DesignerState:
    return DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))


def _with(state: DesignerState, *nodes: dict) -> dict:
    level = state.level()
    return {"nodes": level["nodes"] + list(nodes), "edges": level["edges"]}


def test_a_batch_of_queued_events_is_applied_in_order_and_acknowledged(tmp_path):
    state = _state(tmp_path)
    base = state.canvas_version()
    drop = {"id": "relu9", "type": "ReLU", "position": [900, 0]}
    batch = {"events": [  # a drop, then a quick click on conv2, delivered by one rerun
        {"seq": 11, "event": "select", "selected": ["conv2"]},
        {"seq": 10, "event": "change", "graph": _with(state, drop), "base": base,
         "selected": ["relu9"]},
    ]}
    assert state.handle_events(batch)
    assert state.last_seq == 11
    assert state.node("relu9") is not None  # the change was not replaced by the select
    assert state.selected == ["conv2"]  # and the select came after it
    saved = ProjectStore(tmp_path).load(state.project_id).graph
    assert "relu9" in [n.id for n in saved.nodes]
    log = ProjectStore(tmp_path).save_log(state.project_id)
    assert [line["edit"]["source"] for line in log] == ["create", "canvas"]
    assert log[-1]["edit"]["seq"] == 10 and log[-1]["changes"] == ["nodes.relu9+"]


def test_a_replayed_or_old_event_is_ignored(tmp_path):
    state = _state(tmp_path)
    drop = {"id": "relu9", "type": "ReLU", "position": [900, 0]}
    first = {"seq": 10, "event": "change", "graph": _with(state, drop),
             "base": state.canvas_version(), "selected": []}
    assert state.handle_events({"events": [first]})
    revision, saves = state.revision, state.saved_edits
    assert not state.handle_events({"events": [first]})  # the same value again (a rerun)
    old_undo = {"seq": 9, "event": "undo", "selected": []}
    assert not state.handle_events({"events": [old_undo, first]})
    assert not state.handle_event({**first, "seq": 3})  # an old single event
    assert (state.revision, state.saved_edits) == (revision, saves)
    assert state.node("relu9") is not None and state.undo_stack


def test_a_change_made_before_an_inspector_edit_is_rebased_and_keeps_that_edit(tmp_path):
    state = _state(tmp_path)
    base = state.canvas_version()
    level = _with(state, {"id": "relu9", "type": "ReLU", "position": [900, 0]})
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)  # the inspector, meanwhile
    state.handle_events({"events": [{"seq": 5, "event": "change", "graph": level,
                                     "base": base, "selected": []}]})
    assert state.node("relu9") is not None
    assert state.node("conv2").params["out_channels"] == 25  # not reverted by the canvas
    log = ProjectStore(tmp_path).save_log(state.project_id)
    assert log[-1]["edit"]["rebased"] is True and log[-1]["changes"] == ["nodes.relu9+"]
    assert ProjectStore(tmp_path).load(state.project_id).graph.node(
        "conv2").params["out_channels"] == 25


def test_a_change_made_before_an_undo_is_replayed_on_it(tmp_path):
    """The user dropped a, pressed Ctrl+Z and dropped b before the canvas showed the undo's
    answer: b's change still holds a. Replayed as what it changed (b added) on the design now,
    the undo stays undone and b is added — no refusal for a drop the user made."""
    state = _state(tmp_path)
    state.handle_events({"events": [{"seq": 1, "event": "change", "base": state.canvas_version(),
                                     "graph": _with(state, {"id": "a", "type": "ReLU"}),
                                     "selected": []}]})
    base = state.canvas_version()
    late = _with(state, {"id": "b", "type": "ReLU", "position": [40, 40]})
    state.undo()  # Python's structure changed since the canvas's base
    state.handle_events({"events": [{"seq": 2, "event": "change", "graph": late, "base": base,
                                     "selected": []}]})
    assert state.last_seq == 2
    assert state.node("a") is None and state.node("b") is not None
    assert state.take_notices() == []
    log = ProjectStore(tmp_path).save_log(state.project_id)
    assert log[-1]["edit"]["source"] == "canvas" and log[-1]["changes"] == ["nodes.b+"]
    assert log[-1]["edit"]["rebased"] is True
    saved = ProjectStore(tmp_path).load(state.project_id).graph
    assert [n.id for n in saved.nodes if n.id in ("a", "b")] == ["b"]


def test_a_replayed_change_never_brings_back_what_an_undo_removed(tmp_path):
    """The canvas dropped a (applied), the user pressed Ctrl+Z, then dropped b, all before the
    canvas took a graph from Python: b's change holds a and b. Replayed from what the canvas
    showed (its own last change, with a), it adds b only: a stays undone."""
    state = _state(tmp_path)
    base = state.canvas_version()
    with_a = _with(state, {"id": "a", "type": "ReLU"})
    state.handle_events({"events": [{"seq": 10, "event": "change", "base": base, "baseSeq": 0,
                                     "graph": with_a, "selected": []}]})
    state.handle_events({"events": [{"seq": 11, "event": "undo", "selected": []}]})
    assert state.node("a") is None
    with_b = {"nodes": with_a["nodes"] + [{"id": "b", "type": "ReLU"}], "edges": with_a["edges"]}
    state.handle_events({"events": [{"seq": 12, "event": "change", "base": base, "baseSeq": 0,
                                     "graph": with_b, "selected": []}]})
    assert state.node("a") is None and state.node("b") is not None
    assert state.take_notices() == []
    log = ProjectStore(tmp_path).save_log(state.project_id)
    assert [line["changes"] for line in log[1:]] == [["nodes.a+"], ["nodes.a-"], ["nodes.b+"]]


def test_a_block_dropped_under_an_id_another_tab_took_since_gets_the_next_id(tmp_path):
    """Two tabs each drop a Tanh on the canvas, both as ``tanh1`` (each canvas picks the next
    free id in what it shows). The second, replayed on the design that holds the first, keeps
    its block under ``tanh2``, wired as it was drawn: both blocks are kept, nothing refused."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": _with(a, {"id": "tanh1", "type": "Tanh",
                                                    "position": [0, 0]}), "selected": []}]})
    base = b.canvas_version()
    drawn = _with(b, {"id": "tanh1", "type": "Tanh", "position": [500, 500]},
                  {"id": "relu1x", "type": "ReLU", "position": [600, 500]})
    drawn["edges"] = drawn["edges"] + [{"source": "tanh1", "target": "relu1x"}]
    b.catch_up()  # the next run of b's page takes a's save: b's canvas event is now stale
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": drawn,
                                 "selected": []}]})
    saved = store.load(a.project_id).graph
    tanhs = {n.id: n.position for n in saved.nodes if n.type == "Tanh"}
    assert tanhs == {"tanh1": [0, 0], "tanh2": [500, 500]}
    assert {(e.source, e.target) for e in saved.edges} >= {("tanh2", "relu1x")}
    assert [n.kind for n in b.take_notices()] == []


def test_a_change_that_does_not_fit_what_happened_since_is_refused_visibly(tmp_path):
    """Replayed, the change would wire a block the undo removed, or it was made on a design
    no longer remembered: refused with the toast, nothing written."""
    state = _state(tmp_path)
    state.handle_events({"events": [{"seq": 1, "event": "change", "base": state.canvas_version(),
                                     "graph": _with(state, {"id": "a", "type": "ReLU"}),
                                     "selected": []}]})
    base = state.canvas_version()
    wired = _with(state, {"id": "b", "type": "ReLU"})
    wired["edges"] = wired["edges"] + [{"source": "a", "target": "b"}]
    state.undo()
    on_disk = ProjectStore(tmp_path).load(state.project_id).graph.to_dict()
    state.handle_events({"events": [{"seq": 2, "event": "change", "graph": wired, "base": base,
                                     "selected": []}]})
    assert state.node("a") is None and state.node("b") is None
    assert ProjectStore(tmp_path).load(state.project_id).graph.to_dict() == on_disk
    assert [(n.kind, n.text.startswith(CANVAS_STALE), "kept as the snapshot “" in n.text)
            for n in state.take_notices()] == [("toast", True, True)]
    for hostile in ({"nodes": [{"id": ["a"], "type": "ReLU"}], "edges": []},
                    {"nodes": wired["nodes"], "edges": [{"source": {"x": 1}, "target": "b"}]},
                    {"nodes": "not a list", "edges": 7}):
        state.handle_events({"events": [{"seq": state.last_seq + 1, "event": "change",
                                         "graph": hostile, "base": base, "selected": []}]})
        assert ProjectStore(tmp_path).load(state.project_id).graph.to_dict() == on_disk
        assert [n.kind for n in state.take_notices()] in (["toast"], ["error"]), hostile
    state.designs.clear()  # made on a design no longer remembered
    state.handle_events({"events": [{"seq": state.last_seq + 1, "event": "change", "base": base,
                                     "graph": _with(state, {"id": "c", "type": "ReLU"}),
                                     "selected": []}]})
    assert state.node("c") is None
    assert [(n.kind, n.text.startswith(CANVAS_STALE), "kept as the snapshot “" in n.text)
            for n in state.take_notices()] == [("toast", True, True)]


def test_a_change_made_on_another_level_or_project_is_refused(tmp_path):
    state = _state(tmp_path)
    level = _with(state, {"id": "b", "type": "ReLU"})
    for base in (f"other-1||{state.revision}", f"{state.project_id}|Block|{state.revision}",
                 f"{state.project_id}||{state.revision + 5}"):
        state.handle_event({"seq": state.last_seq + 1, "event": "change", "graph": level,
                            "base": base, "selected": []})
        assert state.node("b") is None, base
    assert len(ProjectStore(tmp_path).save_log(state.project_id)) == 1  # the creation only


def test_the_canvas_wrapper_returns_the_queue(monkeypatch):
    import layerloom.ui.canvas as canvas_module

    sent = {}

    def fake_component(**kwargs):
        sent.update(kwargs)
        return {"events": [{"seq": 4, "event": "select", "selected": []},
                           {"seq": 3, "event": "change", "graph": {}, "selected": []}]}

    monkeypatch.setattr(canvas_module, "_component", fake_component)
    value = canvas_module.canvas({"nodes": [], "edges": []}, [], {}, ack=2, version="p||7")
    assert sent["version"] == "p||7"
    assert value["seq"] == 4 and [e["seq"] for e in value["events"]] == [3, 4]
    assert canvas_module.events(None) == [] and canvas_module.events({"seq": 1}) == [{"seq": 1}]


# -- the save log and its invariant ------------------------------------------------------------

def test_every_save_is_logged_and_an_unchanged_design_is_not_saved(tmp_path):
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    pid = state.project_id
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)  # the same: no save
    state.handle_event({"seq": 1, "event": "change", "graph": state.level(),
                        "base": state.canvas_version(), "selected": []})  # nothing changed
    state.select(["fc"])  # the view only
    state.undo()
    state.redo()
    log = store.save_log(pid)
    assert [line["version"] for line in log] == [1, 2, 3, 4]
    assert [line["edit"]["source"] for line in log] == ["create", "inspector", "undo", "redo"]
    meta = json.loads((tmp_path / "projects" / pid / "meta.json").read_text())
    assert meta["edits"] == len(log) == state.saved_edits
    assert log[-1]["digest"] == savelog.digest(store.load(pid).graph.to_dict())


def test_a_save_that_changes_more_than_its_edit_is_refused_and_not_written(tmp_path):
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    pid = state.project_id
    before = store.load(pid).graph.to_dict()

    def corrupt(graph, *args):  # sets out_channels, and also drops kernel_size
        g = edit.set_param(graph, (), "conv2", "out_channels", 25)
        return edit.set_param(g, (), "conv2", "kernel_size")

    result = state.apply(corrupt, as_edit=Edit("inspector", "conv2.out_channels",
                                               scope=("param", (), "conv2", "out_channels")))
    assert result is None
    [notice] = state.take_notices()
    assert notice.kind == "error"
    assert "would also change nodes.conv2.params.kernel_size" in notice.text
    assert store.load(pid).graph.to_dict() == before == state.graph.to_dict()
    assert len(store.save_log(pid)) == 1 and state.undo_stack == []
    # a canvas change may not alter an existing node's params either
    graph = edit.set_param(state.graph, (), "conv1", "kernel_size", 7)
    with pytest.raises(SaveRefused, match="nodes.conv1.params.kernel_size"):
        store.save(pid, graph, edit=Edit("canvas", scope=("level", ())),
                   previous=state.graph)
    assert store.load(pid).graph.to_dict() == before


def test_diff_and_scopes():
    old = load_template("seed-cnn").to_dict()
    new = json.loads(json.dumps(old))
    node(new, "conv2")["position"] = [1, 2]
    new["nodes"].append({"id": "x", "type": "ReLU"})
    new["edges"].append({"source": "relu2", "target": "x"})
    changes = savelog.diff(old, new)
    assert changes == ["edges", "nodes.conv2.position", "nodes.x+"]
    assert savelog.outside(changes, ("level", ())) == []
    assert savelog.outside(changes, ("param", (), "conv2", "position")) == changes
    node(new, "fc")["label"] = "head"
    assert savelog.outside(savelog.diff(old, new), ("level", ())) == ["nodes.fc.label"]
    assert savelog.outside(["variables.width"], ("variable", "width")) == []
    assert savelog.structure(old) == savelog.structure(
        {**old, "variables": {}, "nodes": [{**n, "params": {}} for n in old["nodes"]]})


def test_a_design_file_changed_outside_the_app_is_kept_before_the_next_save(tmp_path):
    """A hand edit of the same field the tab's next edit sets: the tab's value is saved, the
    file's version kept as a snapshot, and the tab is told it was changed outside the app."""
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / state.project_id / "graph.json"
    data = json.loads(path.read_text())
    node(data, "conv2")["params"]["out_channels"] = 3  # a hand edit (or a corruption)
    node(data, "fc")["params"]["out_features"] = 3
    path.write_text(json.dumps(data))
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)
    [snap] = store.snapshots(state.project_id)
    assert snap.name.startswith("changed outside the app")
    assert store.load_snapshot(state.project_id, snap.id).node("conv2").params[
        "out_channels"] == 3
    assert store.save_log(state.project_id)[-1]["kept"] == snap.id
    saved = store.load(state.project_id).graph
    assert (saved.node("conv2").params["out_channels"], saved.node("fc").params["out_features"]) \
        == (25, 3)
    [notice] = state.take_notices()
    assert notice.kind == "warning" and notice.text.startswith(
        "This design's file (graph.json) was changed outside LayerLoom since this tab saved it")


def test_a_hand_edit_of_the_design_file_is_kept_in_the_design_by_the_next_edit(tmp_path):
    """A hand edit on disk (fc's classes) and the tab's next edit (conv2's channels) touch
    different things: the design saved has both, as for another tab's save; the tab's edit
    used to write the file's version over (into a snapshot), reverting the hand edit."""
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / state.project_id / "graph.json"
    data = json.loads(path.read_text())
    node(data, "fc")["params"]["out_features"] = 3
    path.write_text(json.dumps(data))
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)
    for design in (store.load(state.project_id).graph, state.graph):
        assert (design.node("conv2").params["out_channels"],
                design.node("fc").params["out_features"]) == (25, 3)
    assert store.snapshots(state.project_id) == []  # nothing to keep aside: both are in
    [notice] = state.take_notices()
    assert notice.text == ("This design's file (graph.json) was changed outside LayerLoom since "
                           "this tab saved it; your edit is laid over those changes (the design "
                           "here now shows them too). What changed there:")
    assert notice.details == ("fc: out_features =classes → 3",)
    state.undo()  # takes back the tab's edit, not the hand edit
    assert store.load(state.project_id).graph.node("fc").params["out_features"] == 3
    assert store.load(state.project_id).graph.node("conv2").params["out_channels"] == \
        "=round(64*width)"


def test_a_hand_edit_that_breaks_the_design_file_is_kept_as_it_was(tmp_path):
    """A hand edit that leaves graph.json unreadable (a stray comma) while a tab has the
    design open: the tab's next edit is saved, and the broken file is kept, byte for byte,
    under unreadable/ and named; it was written over without a word."""
    store = ProjectStore(tmp_path)
    state = DesignerState.new(store, load_template("seed-cnn"))
    path = tmp_path / "projects" / state.project_id / "graph.json"
    broken = path.read_text().replace('"conv1"', '"conv1",,', 1)
    path.write_text(broken)
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)
    assert store.load(state.project_id).graph.node("conv2").params["out_channels"] == 25
    [kept] = (tmp_path / "projects" / state.project_id / "unreadable").iterdir()
    assert kept.read_text() == broken
    [notice] = state.take_notices()
    assert notice.kind == "warning"
    assert notice.text.startswith("This design's file (graph.json) was changed outside "
                                  "LayerLoom and no longer read as a design (")
    assert "invalid JSON" in notice.text and f"is kept, as it was, at {kept};" in notice.text


def test_the_page_applies_a_queued_drop_and_click_from_one_rerun(app, canvas, home):
    pid = app.query_params["project"]
    level = canvas.last["graph"]
    level["nodes"].append({"id": "relu9", "type": "ReLU", "position": [900, 0]})
    version = canvas.last["version"]
    canvas.event = {"events": [
        {"seq": 100, "event": "change", "graph": level, "base": version, "selected": ["relu9"]},
        {"seq": 101, "event": "select", "selected": ["conv1"]},
    ]}
    app.run()
    assert not app.exception
    assert "relu9" in [n["id"] for n in on_disk(home, pid)["nodes"]]
    assert canvas.last["ack"] == 101  # both answered
    assert widget(app.text_input, "Id").value == "conv1"  # the click came after the drop
    assert [line["edit"]["seq"] for line in save_log(home, pid)
            if line["edit"]["source"] == "canvas"] == [100]


def test_a_change_made_after_the_canvas_took_a_graph_without_its_pending_drop_is_replayed(
        tmp_path):
    """The canvas sent a drop (seq 10); before Python applied it, a rerun's graph (an
    inspector edit) reset the canvas, which dropped the node from its view; a later change
    (seq 11) made on that graph must not delete the drop: it is replayed as what it changed
    (a block moved), and the drop stays."""
    state = _state(tmp_path)
    v0 = state.canvas_version()
    drop = {"seq": 10, "event": "change", "graph": _with(state, {"id": "relu9", "type": "ReLU"}),
            "base": v0, "baseSeq": 0, "selected": []}
    state.apply(edit.set_param, (), "conv2", "out_channels", 25)
    v1 = state.canvas_version()  # the canvas took this graph: it no longer shows relu9
    moved = _with(state)
    moved["nodes"][0] = {**moved["nodes"][0], "position": [5, 5]}
    later = {"seq": 11, "event": "change", "graph": moved, "base": v1, "baseSeq": 10,
             "selected": []}
    state.handle_events({"events": [drop, later]})
    assert state.node("relu9") is not None  # the drop stays
    assert state.node("image").position == [5, 5]  # and the move is made
    assert state.take_notices() == []
    log = ProjectStore(tmp_path).save_log(state.project_id)
    assert log[-1]["changes"] == ["nodes.image.position"]
    # a change sent before the canvas took its base, but made on it, still applies
    v2 = state.canvas_version()
    state.handle_events({"events": [
        {"seq": 12, "event": "change", "graph": _with(state, {"id": "a", "type": "ReLU"}),
         "base": v2, "baseSeq": 11, "selected": []},
        {"seq": 13, "event": "change",
         "graph": _with(state, {"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}),
         "base": v2, "baseSeq": 11, "selected": []}]})
    assert state.node("a") is not None and state.node("b") is not None


def test_a_widget_edited_again_before_its_form_shows_the_first_edit(monkeypatch):
    """The user types 20 (applied), and before the form is redrawn types 21 in the same box,
    which was drawn with 19: the stored 20 is this widget's own edit, so 21 applies; a value
    another source stored meanwhile is still refused."""
    stored = {"v": 19}
    applied = []
    session = {"k": 20}
    monkeypatch.setattr(fields.st, "session_state", session)
    monkeypatch.setattr(fields, "refuse", lambda text: applied.append(("toast", text)))

    def apply(value):
        applied.append(value)
        stored["v"] = value

    fields.changed("k", 19, int, apply, 19, lambda: stored["v"])
    session["k"] = 21
    fields.changed("k", 19, int, apply, 19, lambda: stored["v"])
    assert applied == [20, 21] and stored["v"] == 21
    stored["v"] = 30  # another tab, an undo
    session["k"] = 22
    fields.changed("k", 19, int, apply, 19, lambda: stored["v"])
    assert applied[2:] == [("toast", fields.STALE)] and stored["v"] == 30
