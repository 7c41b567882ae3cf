"""Projects in the designer: new from a template, snapshots, download, two tabs, bad links,
and the store itself (the ``home`` and ``canvas`` fixtures are in tests/ui/conftest.py)."""

from __future__ import annotations

import json
import re

import pytest

from layerloom.graph import GraphError, edit, load_graph, parse_graph
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectError, ProjectStore, read_upload
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import FakeCanvas, app_test, shown, toasted


def node_ids(canvas: FakeCanvas) -> list[str]:
    return [n["id"] for n in canvas.last["graph"]["nodes"]]


def started(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def test_new_design_from_a_template(home, canvas):
    at = started(home, canvas)
    first = at.query_params["project"]
    level = canvas.last["graph"]
    level["nodes"].append({"id": "in_first_only", "type": "ReLU", "position": [0, 400]})
    canvas.send("change", level)  # the canvas keeps returning this event after the switch
    at.run()
    next(b for b in at.button if b.label == "New").click().run()
    next(s for s in at.selectbox if s.label == "Template").set_value("resnet-mini")
    next(b for b in at.button if b.label == "Create").click().run()
    assert not at.exception
    assert at.query_params["project"].startswith("resnet-mini-")
    assert "stage1" in node_ids(canvas) and "in_first_only" not in node_ids(canvas)
    assert "**174,970** params" in "\n".join(m.value for m in at.markdown)
    assert {p.id for p in ProjectStore().list()} == {first, at.query_params["project"]}


def test_snapshot_and_restore(home, canvas):
    at = started(home, canvas)
    next(w for w in at.text_input if w.label == "Name").set_value("before")
    next(b for b in at.button if b.label == "Save").click().run()
    # said in the Snapshots menu, not in a toast over it
    assert any("Saved snapshot “before”" in shown(c.value) for c in at.caption)
    assert not toasted(at) and not at.success
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    canvas.send("change", level)
    at.run()
    assert "relu1" not in node_ids(canvas)
    # the design changed since: the snapshot no longer holds it, and is not marked saved
    assert not any("Saved snapshot" in shown(c.value) for c in at.caption)
    assert not any("saved" in shown(m.value) for m in at.markdown if "before" in m.value)
    next(b for b in at.button if b.label == "Restore").click().run()
    assert "relu1" in node_ids(canvas)
    canvas.send("undo")  # a restore is undoable
    at.run()
    assert "relu1" not in node_ids(canvas)


UNDO_RESTORE = "Undo: back to the design before"


def _restored(home, canvas):
    """seed-cnn saved as the snapshot “before”, then relu1 deleted (conv1 wired to pool1) and
    conv1's kernel set to 5 (a canvas change and an inspector edit), then “before”
    restored."""
    at = started(home, canvas)
    next(w for w in at.text_input if w.label == "Name").set_value("before")
    next(b for b in at.button if b.label == "Save").click().run()
    level = canvas.last["graph"]
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "relu1"]
    level["edges"] = [e for e in level["edges"] if "relu1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "conv1", "target": "pool1"})
    canvas.send("change", level)
    at.run()
    at.session_state["layerloom"].apply(edit.set_param, (), "conv1", "kernel_size", 5)
    at.run()
    next(b for b in at.button if b.label == "Restore").click().run()
    assert not at.exception, at.exception
    return at


def test_a_restored_snapshot_says_what_changed_on_the_canvas_and_offers_undo(home, canvas):
    """The canvas changes under the user: a banner above it (not a toast in the window's
    corner, gone in seconds) says what the restore changed and offers to undo it."""
    at = _restored(home, canvas)
    assert "relu1" in node_ids(canvas)
    banner = "\n".join(shown(b.value) for b in at.success)
    assert "Restored snapshot “before”" in banner, banner
    assert "conv1: kernel_size 5 → 3" in banner and "added relu1 (ReLU)" in banner, banner
    assert "wired conv1 → relu1" in banner and "unwired conv1 → pool1" in banner, banner
    assert not any("Restored" in t for t in toasted(at))
    next(b for b in at.button if b.label == UNDO_RESTORE).click().run()
    assert "relu1" not in node_ids(canvas)
    assert at.session_state["layerloom"].graph.node("conv1").params["kernel_size"] == 5
    assert not any("Restored" in shown(b.value) for b in at.success)  # its banner went too


def test_the_restore_is_offered_to_undo_only_while_it_is_the_last_edit(home, canvas):
    at = _restored(home, canvas)
    at.session_state["layerloom"].apply(edit.set_param, (), "conv1", "out_channels", 8)
    at.run()
    assert any("Restored snapshot “before”" in shown(b.value) for b in at.success)
    assert not [b for b in at.button if b.label == UNDO_RESTORE]  # it would undo conv1's edit


def test_download_gives_the_design(home, canvas):
    at = started(home, canvas)
    download = next(b for b in at.get("download_button"))
    assert download.proto.label == "JSON"


def test_two_tabs_keep_their_own_designs(home, canvas):
    store = ProjectStore()
    a = store.create(load_template("seed-cnn"))
    b = store.create(load_template("mlp-tabular"))
    tab_a, tab_b = app_test(), app_test()
    tab_a.query_params["project"] = a
    tab_b.query_params["project"] = b
    tab_a.run()
    ids_a = node_ids(canvas)
    tab_b.run()
    ids_b = node_ids(canvas)
    assert ids_a != ids_b
    level = canvas.last["graph"]
    level["nodes"].append({"id": "only_b", "type": "ReLU", "position": [0, 500]})
    canvas.send("change", level)
    tab_b.run()
    canvas.event = None
    tab_a.run()
    assert "only_b" not in node_ids(canvas)
    assert tab_a.query_params["project"] == a
    assert [n.id for n in store.load(b).graph.nodes][-1] == "only_b"
    assert "only_b" not in [n.id for n in store.load(a).graph.nodes]


def test_an_unknown_project_in_the_link_falls_back_with_a_warning(home, canvas):
    at = app_test()
    at.query_params["project"] = "../../etc"
    at.run()
    assert not at.exception
    warnings = [shown(w.value) for w in at.warning]
    # said once, by the panel that offers the project's snapshots (not again in a banner)
    assert [w.startswith("There is no project “../../etc” on this server") for w in warnings] \
        == [True]
    at.run()  # and kept at the next run
    assert [shown(w.value) for w in at.warning] == warnings
    assert at.query_params["project"].startswith("seed-cnn-")


def test_a_link_to_a_missing_project_says_so_what_is_shown_and_offers_the_projects(home, canvas):
    """?project=untitled (a design's name, not a project's id) opened a fresh seed-cnn under
    'Project untitled could not be opened', with nothing saying that the design shown was a new
    one nor where the user's projects were: as if their work were gone."""
    store = ProjectStore()
    mine = store.create(load_template("lenet5"))
    blank = load_template("lenet5")
    blank.name = "untitled"
    named = store.create(blank)
    at = app_test()
    at.query_params["project"] = "untitled"
    at.run()
    assert not at.exception
    assert [shown(w.value) for w in at.warning] == [
        "There is no project “untitled” on this server: the link names none (its id mistyped, "
        "or the project deleted). No project was changed."]
    assert any(m.value == "Shown below instead: a new design, a fresh copy of the seed-cnn "
                          "template." for m in at.markdown)
    fresh = at.query_params["project"]
    assert fresh.startswith("seed-cnn-")
    picker = next(s for s in at.selectbox if s.label == "Projects on this server (2)")
    assert picker.options[0].startswith(f"untitled (?project={named}, changed ")  # its name
    assert picker.options[1].startswith(f"lenet5 (?project={mine}, changed ")
    picker.set_value(mine)
    next(b for b in at.button if b.label == "Open" and b.key.startswith("unopened:")).click()
    at.run()
    assert not at.exception and at.query_params["project"] == mine
    assert not any("There is no project" in shown(w.value) for w in at.warning)


def test_model_graph_view(home, canvas):
    at = started(home, canvas)
    at.segmented_control[0].set_value("model").run()
    assert not at.exception
    assert any("10 layers with blocks unrolled" in c.value for c in at.caption)
    assert len(canvas.calls) == 1  # the canvas is not drawn in this view


# -- the store and the state without Streamlit -------------------------------------------------

def test_store_saves_atomically_and_keeps_snapshots(tmp_path):
    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    assert re.fullmatch(r"seed-cnn-[0-9a-f]{6}", pid)
    graph = store.load(pid).graph
    graph.nodes.pop(1)
    store.save(pid, graph, {"path": [], "selected": ["relu1"]})
    assert store.load(pid).view == {"path": [], "selected": ["relu1"]}
    assert not list((tmp_path / "projects" / pid).glob(".*.tmp"))
    snap = store.snapshot(pid, "", graph)
    assert [s.id for s in store.snapshots(pid)] == [snap.id]
    assert len(store.load_snapshot(pid, snap.id).nodes) == 9
    with pytest.raises(ProjectError, match="'../x' is not a project id"):
        store.save("../x", graph)
    with pytest.raises(ProjectError, match="there is no project 'nope-1'"):
        store.load("nope-1")
    with pytest.raises(ProjectError, match="no snapshot '../../a'"):
        store.load_snapshot(pid, "../../a")


def test_read_upload_names_the_problem():
    with pytest.raises(GraphError, match=r"x.json: line 1, column 2: invalid JSON"):
        read_upload("x.json", b"{oops")
    with pytest.raises(GraphError, match=r"x.json: line 1, column 2: not UTF-8 text"):
        read_upload("x.json", b"{\xff}")
    with pytest.raises(GraphError, match=r"x.json: this is UTF-16 text, not a graph file"):
        read_upload("x.json", b"\xff\xfe")
    graph = read_upload("ok.json", json.dumps(load_template("lenet5").to_dict()).encode())
    assert graph.name == "lenet5"


def test_read_upload_refuses_node_ids_the_canvas_could_not_tell_apart():
    graph = load_template("lenet5").to_dict()
    graph["nodes"][2]["id"] = graph["nodes"][1]["id"]
    with pytest.raises(GraphError) as err:
        read_upload("dup.json", json.dumps(graph).encode())
    assert str(err.value) == (
        f"dup.json: node id '{graph['nodes'][1]['id']}' is used by 2 nodes: the canvas shows one "
        f"block per id, so the others could not be seen or fixed here; give each node its own "
        f"id and open the file again")


def test_state_undo_keeps_at_least_fifty_steps(tmp_path):
    state = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    from layerloom.graph import edit

    for i in range(60):
        state.apply(edit.set_param, (), "fc", "out_features", i + 1)
    assert state.graph.node("fc").params["out_features"] == 60
    for _ in range(55):
        assert state.undo()
    assert state.graph.node("fc").params["out_features"] == 5
    assert state.redo()
    assert state.graph.node("fc").params["out_features"] == 6
    saved = load_graph(tmp_path / "projects" / state.project_id / "graph.json")
    assert saved.node("fc").params["out_features"] == 6


def test_state_ignores_old_events_and_reports_bad_edits(tmp_path):
    state = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    assert state.handle_event({"seq": 5, "event": "select", "graph": {}, "selected": ["fc"]})
    assert state.selected == ["fc"]
    assert not state.handle_event({"seq": 5, "event": "select", "graph": {}, "selected": []})
    assert not state.handle_event({"seq": 4, "event": "undo", "graph": {}, "selected": []})
    assert state.selected == ["fc"]
    state.handle_event({"seq": 6, "event": "group", "graph": {}, "selected": [],
                        "ids": ["image", "conv1"]})
    [notice] = state.take_notices()
    assert notice.kind == "error"
    assert notice.text.startswith("image: image is an Input: a block's inputs and output")
    assert state.graph.blocks == {}


def test_late_callbacks_and_no_ops_leave_no_trace(tmp_path):
    from layerloom.graph import edit
    from layerloom.ui import inspector

    state = DesignerState.new(ProjectStore(tmp_path), load_template("seed-cnn"))
    state.apply(edit.set_param, (), "fc", "out_features", "=classes")  # the value it has
    assert state.undo_stack == [] and state.revision == 0
    state.apply(edit.rename_node, (), "fc", "head")
    inspector.set_param(state, "fc", "out_features", 3)  # fc's widget, after the rename
    inspector.rename(state, "fc", "head")
    assert state.take_notices() == []
    assert len(state.undo_stack) == 1
    assert state.graph.node("head").params == {"out_features": "=classes"}


def test_a_widget_callback_with_the_value_it_was_drawn_with_changes_nothing(monkeypatch):
    from layerloom.ui import fields

    applied = []
    monkeypatch.setattr(fields.st, "session_state", {"k": "1", "j": "2"})
    fields.changed("k", "1", int, applied.append)  # a late call: the value as drawn
    fields.changed("j", "1", int, applied.append)  # the user's edit
    assert applied == [2]


def test_two_tabs_on_one_project_never_drop_each_others_work(tmp_path):
    """Edits of different things in two tabs are both kept in the design saved; the same
    thing edited differently keeps the other tab's version as a snapshot."""
    store = ProjectStore(tmp_path)
    first = DesignerState.new(store, load_template("seed-cnn"))
    pid = first.project_id
    second = DesignerState.open(store, pid)  # the same project in another tab
    first.apply(_relabel, "conv1", "from the first tab")
    first.apply(_relabel, "conv2", "first again")  # its own saves never conflict
    assert store.snapshots(pid) == [] and first.take_notices() == []

    second.apply(_relabel, "fc", "from the second tab")  # based on the version before
    assert store.snapshots(pid) == []  # nothing to keep apart: both are in the design
    saved = store.load(pid).graph
    labels = {n.id: n.label for n in saved.nodes}
    assert (labels["conv1"], labels["conv2"], labels["fc"]) == \
        ("from the first tab", "first again", "from the second tab")
    assert second.graph.to_dict() == saved.to_dict()  # the second tab shows both
    (notice,) = second.take_notices()
    assert notice.kind == "note" and "both changes are kept" in notice.text  # a toast

    first.apply(_relabel, "fc", "first, on fc")  # the same field, changed differently
    (kept,) = store.snapshots(pid)
    assert kept.name.startswith("changed in another tab, kept at ")
    theirs = store.load_snapshot(pid, kept.id)
    assert {n.id: n.label for n in theirs.nodes}["fc"] == "from the second tab"
    assert store.load(pid).graph.to_dict() == first.graph.to_dict()
    (notice,) = first.take_notices()
    assert notice.kind == "warning" and f"kept as the snapshot “{kept.name}”" in notice.text

    second.select(["conv1"])  # a selection writes the view only: the design on disk stays
    assert store.load(pid).graph.to_dict() == first.graph.to_dict()
    assert store.load(pid).view["selected"] == ["conv1"]
    first.apply(_relabel, "fc", "first, again")  # up to date now: no new snapshot
    assert len(store.snapshots(pid)) == 1


def test_a_stale_tab_s_param_edit_is_laid_over_the_other_tab_s(tmp_path):
    """Tab A sets conv1.out_channels, tab B (still showing the old value) sets
    conv1.kernel_size: the design has both, B shows both, and B's undo takes back only its
    own edit."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "conv1", "out_channels", 12)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)

    def conv1(graph):
        return next(n for n in graph.nodes if n.id == "conv1").params

    assert conv1(store.load(pid).graph) == {"out_channels": 12, "kernel_size": 5}
    assert conv1(b.graph) == {"out_channels": 12, "kernel_size": 5}
    assert store.snapshots(pid) == []
    a.apply(_add_dropout)  # A is stale now: laid over too
    saved = store.load(pid).graph
    assert conv1(saved) == {"out_channels": 12, "kernel_size": 5}
    assert any(n.type == "Dropout" for n in saved.nodes) and store.snapshots(pid) == []

    assert b.undo()  # B's kernel_size goes; A's out_channels and Dropout stay
    saved = store.load(pid).graph
    assert conv1(saved) == {"out_channels": 12, "kernel_size": 3}
    assert any(n.type == "Dropout" for n in saved.nodes)


def test_a_collision_keeps_the_other_tab_s_other_edits(tmp_path):
    """Tab A adds a Dropout and sets conv1.stride 2; tab B, behind both, sets conv1.stride 3:
    B's stride is saved (its edit is the latest), A's Dropout stays in the design, and A's
    stride is kept in a snapshot that the notice names with the field both changed."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(_add_dropout)
    a.apply(edit.set_param, (), "conv1", "stride", 2)
    b.apply(edit.set_param, (), "conv1", "stride", 3)
    saved = store.load(pid).graph
    assert saved.node("conv1").params["stride"] == 3
    assert any(n.type == "Dropout" for n in saved.nodes)  # A's other edit: not dropped
    assert b.graph.to_dict() == saved.to_dict()
    (kept,) = store.snapshots(pid)
    assert store.load_snapshot(pid, kept.id).node("conv1").params["stride"] == 2
    (notice,) = b.take_notices()
    assert notice.kind == "warning" and "Its other changes are kept" in notice.text
    assert "(conv1.params.stride)" in notice.text and f"“{kept.name}”" in notice.text


def test_edits_that_together_break_the_design_are_kept_apart(tmp_path):
    """Two tabs each wiring another block into the same single input: laid together the
    design would have an error neither made. The first save stays whole; the second tab's
    edit is not applied, it is told why, and its version is kept as a snapshot."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(_rewire, "relu1", "flat")
    saved = store.load(pid).graph.to_dict()
    assert b.apply(_rewire, "conv2", "flat") is None
    assert store.load(pid).graph.to_dict() == saved == b.graph.to_dict()  # a's work stays
    (kept,) = store.snapshots(pid)
    assert kept.name.startswith("this tab's edit, not applied")
    assert store.load_snapshot(pid, kept.id).to_dict() == \
        _rewire(load_template("seed-cnn"), "conv2", "flat").to_dict()
    (notice,) = [n for n in b.take_notices() if n.kind == "warning"]
    assert notice.text.startswith("Your last edit (_rewire) was not applied: another tab or "
                                  "window changed this design meanwhile, and together they "
                                  "would give this error: ")
    assert f"the snapshot “{kept.name}”" in notice.text
    assert [line["version"] for line in store.save_log(pid)] == [1, 2]  # nothing written


def test_eight_tabs_editing_one_design_never_drop_each_others_saves(tmp_path):
    """Eight tabs, each behind the others' saves, each adding its own block and setting its
    own param: every save either holds every earlier save's work or is refused with a notice
    to the tab that made it; no tab's saved work is ever dropped by another's."""
    store = ProjectStore(tmp_path)
    first = DesignerState.new(store, load_template("seed-cnn"))
    pid = first.project_id
    tabs = [first] + [DesignerState.open(store, pid) for _ in range(7)]
    fields = [("conv1", "out_channels"), ("conv2", "out_channels"), ("fc", "out_features"),
              ("conv1", "kernel_size"), ("conv2", "kernel_size"), ("pool1", "kernel_size"),
              ("pool2", "kernel_size"), ("conv1", "stride")]
    values = {"out_channels": [8, 16, 24], "out_features": [10, 12], "kernel_size": [2, 3, 5],
              "stride": [1, 2]}
    landed: dict = {}  # what each tab saved last, that must stay
    for round_ in range(6):
        for i, tab in enumerate(tabs):  # never caught up: each is behind the others
            node, param = fields[i]
            value = values[param][(round_ + i) % len(values[param])]
            if tab.apply(edit.set_param, (), node, param, value) is not None:
                landed[(node, param)] = value
            if round_ % 2 == 0:
                if tab.apply(_add_node, f"round {round_}", i) is not None:
                    landed[(f"round {round_} tab {i}", None)] = True
            saved = store.load(pid).graph
            assert len({n.id for n in saved.nodes}) == len(saved.nodes)
            for (node_id, what), value in landed.items():
                if what is None:
                    assert any(n.label == node_id for n in saved.nodes), node_id
                else:
                    assert saved.node(node_id).params.get(what) == value, (node_id, what)
    refused = [n for tab in tabs for n in tab.take_notices() if n.kind == "warning"
               and n.text.startswith("Your last edit")]
    assert refused  # some did not join, and those tabs were told


def _add_node(graph, label: str, tab: int):
    """A Tanh dropped on the canvas: the next id free in this tab's design, as the canvas
    picks it (tabs behind each other pick the same one)."""
    out = graph.to_dict()
    node_id = edit.fresh_id((n["id"] for n in out["nodes"]), "tanh")
    out["nodes"].append({"id": node_id, "type": "Tanh", "label": f"{label} tab {tab}",
                         "position": [tab * 10, 0]})
    return parse_graph(out)


def _add_dropout(graph):
    out = graph.to_dict()
    out["nodes"].append({"id": "drop9", "type": "Dropout", "position": [0, 0]})
    return parse_graph(out)


def _rewire(graph, source: str, target: str):
    """``target``'s input edge replaced by one from ``source``."""
    out = graph.to_dict()
    out["edges"] = [e for e in out["edges"] if e["target"] != target] + \
        [{"source": source, "target": target}]
    return parse_graph(out)


def test_saves_count_and_old_projects_start_from_zero(tmp_path):
    store = ProjectStore(tmp_path)
    pid = store.create(load_template("mlp-tabular"))
    assert store.load(pid).edits == 1
    meta = tmp_path / "projects" / pid / "meta.json"
    old = json.loads(meta.read_text())
    del old["edits"]  # a project saved before the count existed
    meta.write_text(json.dumps(old))
    state = DesignerState.open(store, pid)
    assert state.saved_edits == 0
    state.apply(_relabel, "features", "x")
    assert store.load(pid).edits == 1 and store.snapshots(pid) == []


def _relabel(graph, node_id: str, label: str):
    out = graph.copy()
    out.node(node_id).label = label
    return out


def test_a_load_beside_saves_reads_one_saves_design_and_count(tmp_path):
    """A tab reading the project while another saves gets the design and the save count of
    one save: a design of one save with the count of the next would let that tab's next save
    pass as up to date and write over the save it never saw."""
    import threading

    from layerloom.ui import savelog

    store = ProjectStore(tmp_path)
    pid = store.create(load_template("seed-cnn"))
    stop, seen, torn = threading.Event(), [], []

    def reader():
        while not stop.is_set():
            project = store.load(pid)
            logged = {line["version"]: line["digest"] for line in store.save_log(pid)}
            seen.append(project.edits)
            if logged.get(project.edits) != savelog.digest(project.graph.to_dict()):
                torn.append(project.edits)

    thread = threading.Thread(target=reader)
    thread.start()
    graph = store.load(pid).graph
    try:
        for i in range(150):
            graph = edit.set_param(graph, (), "fc", "out_features", 11 + i)
            store.save(pid, graph)
    finally:
        stop.set()
        thread.join()
    assert len(set(seen)) > 10 and torn == []
