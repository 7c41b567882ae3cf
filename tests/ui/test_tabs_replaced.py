"""Two tabs on one project: the tab whose value another tab's later edit replaced is told
(the field, both values, the snapshot keeping its version), shows the saved design, and can
put its values back (the ``home`` and ``canvas`` fixtures are in tests/ui/conftest.py)."""

from __future__ import annotations

from layerloom.graph import edit, parse_graph
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import app_test, shown, widget


def with_dropout():
    """seed-cnn with a Dropout ``dropout1`` (p 0.5) between ``flat`` and ``fc``."""
    design = load_template("seed-cnn").to_dict()
    design["nodes"].insert(-2, {"id": "dropout1", "type": "Dropout", "params": {"p": 0.5},
                                "position": [0, 0]})
    design["edges"] = [e for e in design["edges"] if e["source"] != "flat"] + \
        [{"source": "flat", "target": "dropout1"}, {"source": "dropout1", "target": "fc"}]
    return parse_graph(design)


def p_of(graph) -> float:
    return graph.node("dropout1").params["p"]


def test_the_tab_whose_value_was_replaced_is_told_and_shows_the_saved_one(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)  # loaded before A's edit
    a.apply(edit.set_param, (), "dropout1", "p", 0.2)
    b.apply(edit.set_param, (), "dropout1", "p", 0.6)  # contested: B's later edit wins
    assert "(dropout1.params.p)" in b.take_notices()[0].text
    assert p_of(store.load(pid).graph) == 0.6

    assert a.catch_up()  # A's next run
    assert p_of(a.graph) == 0.6  # the card and the inspector show what is saved
    (notice,) = a.take_notices()
    assert notice.kind == "warning"
    assert notice.details == ("dropout1.p: your 0.2 was replaced by 0.6 from another tab",)
    (kept,) = store.snapshots(pid)  # the one B's save kept: A's version
    assert f"snapshot “{kept.name}”" in notice.text
    assert p_of(store.load_snapshot(pid, kept.id)) == 0.2
    assert notice.put_back == (("nodes.dropout1.params.p", 0.2),)
    assert not a.catch_up()  # told once

    a.apply(edit.set_param, (), "conv1", "kernel_size", 5)  # A's next edit: 0.6 stays, said
    assert p_of(store.load(pid).graph) == 0.6 and a.take_notices() == []
    assert a.put_back(notice.put_back)  # A takes its value back: one undoable edit
    saved = store.load(pid).graph
    assert p_of(saved) == 0.2 and saved.node("conv1").params["kernel_size"] == 5
    assert a.undo() and p_of(store.load(pid).graph) == 0.6


def test_another_tab_s_edit_of_something_else_is_shown_without_a_warning(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    b.apply(edit.set_param, (), "dropout1", "p", 0.6)
    b.take_notices()
    assert a.catch_up()
    assert p_of(a.graph) == 0.6 and a.graph.node("conv1").params["kernel_size"] == 5
    assert a.take_notices() == [] and store.snapshots(pid) == []
    assert a.undo()  # A's undo still takes back only its own edit
    saved = store.load(pid).graph
    assert saved.node("conv1").params["kernel_size"] == 3 and p_of(saved) == 0.6


def test_a_stale_tab_s_next_edit_says_which_of_its_values_the_other_tab_replaced(tmp_path):
    """No run in between (the edit's callback runs first): the save laid over the other tab's
    says so too, and keeps this tab's version."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    a.apply(edit.set_param, (), "dropout1", "p", 0.2)
    b.apply(edit.set_param, (), "dropout1", "p", 0.6)
    b.take_notices()
    a.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    assert p_of(a.graph) == 0.6
    warning = next(n for n in a.take_notices() if n.kind == "warning")
    assert warning.details == ("dropout1.p: your 0.2 was replaced by 0.6 from another tab",)


def test_two_app_sessions_the_earlier_edit_s_tab_is_told_on_its_next_run(home, canvas):
    store = ProjectStore()
    pid = store.create(with_dropout())
    tab_a, tab_b = app_test(), app_test()
    for tab in (tab_b, tab_a):  # B loaded first, with dropout1 selected
        tab.query_params["project"] = pid
        canvas.send("select", selected=["dropout1"])
        tab.run()
        assert not tab.exception, tab.exception
    canvas.event = None
    widget(tab_a.number_input, "p").set_value(0.2).run()
    widget(tab_b.number_input, "p").set_value(0.6).run()  # B's contested edit
    assert any("dropout1.params.p" in shown(w.value) for w in tab_b.warning)
    assert p_of(store.load(pid).graph) == 0.6

    tab_a.run()  # A's next interaction
    assert not tab_a.exception, tab_a.exception
    told = [shown(w.value) for w in tab_a.warning]
    assert any("dropout1.p: your 0.2 was replaced by 0.6 from another tab" in t for t in told)
    assert widget(tab_a.number_input, "p").value == 0.6
    assert canvas.last["graph"]["nodes"][-3]["params"]["p"] == 0.6
    snaps = store.snapshots(pid)
    assert any(p_of(store.load_snapshot(pid, s.id)) == 0.2 for s in snaps)
    next(b for b in tab_a.button if b.label == "Put back this tab's values").click().run()
    assert p_of(store.load(pid).graph) == 0.2
    assert widget(tab_a.number_input, "p").value == 0.2
    tab_a.run()
    assert not any("replaced by" in shown(w.value) for w in tab_a.warning)


def test_a_snapshot_restored_in_a_tab_behind_another_tabs_edit_is_restored(tmp_path):
    """Tab B restores the snapshot it shows the design of, after tab A's edit and before B's
    run has caught up with it (a restore is a button's callback, taken before the run): the
    design saved is the snapshot's, and A is told its value was replaced. It said 'It is the
    design shown already: nothing changed', and A's edit stayed in the design restored."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    snap = store.snapshot(pid, "before the sweep", b.graph)
    a.apply(edit.set_param, (), "dropout1", "p", 0.2)
    assert b.replace_design(store.load_snapshot(pid, snap.id), "Restored snapshot.")
    assert store.load(pid).graph.to_dict() == store.load_snapshot(pid, snap.id).to_dict()
    assert p_of(b.graph) == 0.5
    (restored,) = [n for n in b.take_notices() if n.kind == "success"]
    assert "dropout1" in "\n".join(restored.details) and "nothing changed" not in restored.text
    assert a.catch_up()
    (told,) = a.take_notices()
    assert told.details == ("dropout1.p: your 0.2 was replaced by 0.5 from another tab",)


def test_a_value_whose_block_another_tab_deleted_is_told(tmp_path):
    """B set dropout1's p; A, not yet showing it, deleted dropout1 on its canvas (its delete
    wins, B's version kept as a snapshot). B was told only that an undo step no longer fits,
    nothing of its value."""
    import copy

    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, with_dropout())
    pid = a.project_id
    b = DesignerState.open(store, pid)
    b.apply(edit.set_param, (), "dropout1", "p", 0.3)
    level = copy.deepcopy(a.level())
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "dropout1"]
    level["edges"] = [e for e in level["edges"] if "dropout1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "flat", "target": "fc"})
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": level, "selected": []}]})
    assert "dropout1" not in {n.id for n in store.load(pid).graph.nodes}
    assert b.catch_up()
    told = [n for n in b.take_notices() if n.details]
    assert [n.details for n in told] == [("dropout1.p: your 0.3 was removed from another tab",)]
    kept = told[0].text.split("“")[1].split("”")[0]
    snap = next(s for s in store.snapshots(pid) if s.name == kept)
    assert p_of(store.load_snapshot(pid, snap.id)) == 0.3
