"""Two tabs on one design, one renaming a block while the other edits it: the saved design has
the block under its new id with the other tab's edit, and each tab's undo still takes back its
own edit. A rename was merged as a node removed and another added: the other tab's value went
back, unsaid to it."""

from __future__ import annotations

from layerloom.graph import edit, validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _on_disk(store, pid):
    graph = store.load(pid).graph
    return [n.id for n in graph.nodes], {n.id: n.params for n in graph.nodes}


def test_a_rename_in_one_tab_keeps_the_other_tabs_edit_of_that_block(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 5)
    a.apply(edit.rename_node, (), "conv1", "encoder")  # a's design still has kernel_size 3
    ids, params = _on_disk(store, a.project_id)
    assert ids[:3] == ["image", "encoder", "relu1"]  # in conv1's place, wired as it was
    assert params["encoder"]["kernel_size"] == 5
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]
    assert store.snapshots(a.project_id) == []  # nothing was overwritten: nothing to keep

    b.catch_up()
    assert not [n for n in b.take_notices() if n.kind in ("warning", "error")]
    assert b.node("encoder").params["kernel_size"] == 5
    assert b.undo()  # b's own edit, taken back on the block as renamed
    ids, params = _on_disk(store, a.project_id)
    assert "conv1" not in ids and params["encoder"]["kernel_size"] == 3


def test_an_edit_made_before_another_tabs_rename_lands_on_the_renamed_block(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.apply(edit.rename_node, (), "conv2", "features")
    b.apply(edit.set_param, (), "conv2", "out_channels", 48)  # b still shows conv2
    ids, params = _on_disk(store, a.project_id)
    assert "conv2" not in ids and params["features"]["out_channels"] == 48
    assert b.graph.to_dict() == store.load(a.project_id).graph.to_dict()


def test_a_composite_block_renamed_in_one_tab_keeps_the_other_tabs_edit_inside_it(tmp_path):
    """resnet-mini's Shortcut renamed ResBlock in tab A while tab B set the kernel_size of its
    conv: it was saved with the old kernel_size (B's edit gone, B told nothing)."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("resnet-mini"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, ("Shortcut",), "conv", "kernel_size", 5)
    a.apply(edit.rename_block, "Shortcut", "ResBlock")
    saved = store.load(a.project_id).graph
    assert list(saved.blocks) == ["ResBlock", "BasicBlock"]
    conv = next(n for n in saved.blocks["ResBlock"].nodes if n.id == "conv")
    assert conv.params["kernel_size"] == 5
    assert "Shortcut" not in {n.type for n in saved.blocks["BasicBlock"].nodes}
    assert "ResBlock" in {n.type for n in saved.blocks["BasicBlock"].nodes}
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]
    assert store.snapshots(a.project_id) == []


def _canvas_level(state):
    import copy
    return copy.deepcopy(state.level())


def test_a_canvas_move_of_a_block_another_tab_renamed_since_is_applied(tmp_path):
    """Tab B's canvas still shows conv2 when tab A renames it features; B moves it, then
    deletes it (relu1 → conv2 → relu2 rewired relu1 → relu2). Replayed on the renamed design,
    the move was dropped unsaid, and the delete too, while its new wire was added: relu2 got
    two inputs, a design with an error B never made."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    base = b.canvas_version()
    moved = _canvas_level(b)
    next(n for n in moved["nodes"] if n["id"] == "conv2")["position"] = [999, 111]
    a.apply(edit.rename_node, (), "conv2", "features")
    b.catch_up()  # b's next run takes a's save: its canvas event is now made on an older one
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": moved,
                                 "selected": []}]})
    saved = store.load(a.project_id).graph
    assert next(n for n in saved.nodes if n.id == "features").position == [999, 111]
    assert [n.kind for n in b.take_notices()] == []



def test_a_canvas_delete_of_a_block_another_tab_renamed_since_is_applied(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    base = b.canvas_version()
    deleted = _canvas_level(b)  # conv2 deleted from between pool1 and relu2
    deleted["nodes"] = [n for n in deleted["nodes"] if n["id"] != "conv2"]
    deleted["edges"] = [e for e in deleted["edges"] if "conv2" not in (e["source"], e["target"])]
    deleted["edges"].append({"source": "pool1", "target": "relu2"})
    a.apply(edit.rename_node, (), "conv2", "body")
    b.catch_up()
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": deleted,
                                 "selected": []}]})
    saved = store.load(a.project_id).graph
    assert [n.id for n in saved.nodes if n.type == "Conv2d"] == ["conv1"]
    assert ("pool1", "relu2") in {(e.source, e.target) for e in saved.edges}
    assert validate(saved).ok
    assert [n.kind for n in b.take_notices()] == []


def test_a_canvas_delete_of_a_block_whose_id_another_block_took_since_is_refused(tmp_path):
    """Tab A drops a Tanh (tanh1), which tab B's canvas then shows. A deletes it and drops
    another Tanh elsewhere, which the canvas names tanh1 again. B deletes the tanh1 it shows:
    the new block was deleted, unsaid. Now the change is refused with the toast that says so,
    and the new block stays."""
    from layerloom.ui.state import CANVAS_STALE

    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    level = _canvas_level(a)
    level["nodes"].append({"id": "tanh1", "type": "Tanh", "position": [900, 0]})
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": level, "selected": []}]})
    b = DesignerState.open(store, a.project_id)
    base, shown = b.canvas_version(), _canvas_level(b)
    again = _canvas_level(a)
    again["nodes"] = [n for n in again["nodes"] if n["id"] != "tanh1"] + [
        {"id": "tanh1", "type": "Tanh", "position": [0, 900]}]
    a.handle_events({"events": [{"seq": 2, "event": "change", "base": a.canvas_version(),
                                 "graph": again, "selected": []}]})
    assert store.load(a.project_id).graph.node("tanh1").position == [0, 900]
    b.catch_up()
    b.take_notices()
    shown["nodes"] = [n for n in shown["nodes"] if n["id"] != "tanh1"]
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": shown,
                                 "selected": []}]})
    assert store.load(a.project_id).graph.node("tanh1").position == [0, 900]
    assert [(n.kind, n.text.startswith(CANVAS_STALE), "kept as the snapshot “" in n.text)
            for n in b.take_notices()] == [("toast", True, True)]


def test_a_canvas_move_of_a_block_another_tab_deleted_since_is_said(tmp_path):
    """B's canvas still shows pool1 when A deletes it; B moves it. The move was dropped with
    nothing said (the canvas then showed the block gone, the user's drag undone unseen)."""
    from layerloom.ui.state import CANVAS_STALE

    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    base, moved = b.canvas_version(), _canvas_level(b)
    next(n for n in moved["nodes"] if n["id"] == "pool1")["position"] = [700, 700]
    level = _canvas_level(a)
    level["nodes"] = [n for n in level["nodes"] if n["id"] != "pool1"]
    level["edges"] = [e for e in level["edges"] if "pool1" not in (e["source"], e["target"])]
    level["edges"].append({"source": "relu1", "target": "conv2"})
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": level, "selected": []}]})
    b.catch_up()
    b.take_notices()
    on_disk = store.load(a.project_id).graph.to_dict()
    b.handle_events({"events": [{"seq": 1, "event": "change", "base": base, "graph": moved,
                                 "selected": []}]})
    assert store.load(a.project_id).graph.to_dict() == on_disk
    assert [(n.kind, n.text.startswith(CANVAS_STALE), "kept as the snapshot “" in n.text)
            for n in b.take_notices()] == [("toast", True, True)]


def test_the_block_selected_in_a_tab_stays_selected_when_another_tab_renames_it(tmp_path):
    """B has conv2 open in the inspector; A renames it features. B's inspector closed, as if
    the block were gone (also right after B's own edit of it, laid over the rename)."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    b.select(["conv2"])
    a.apply(edit.rename_node, (), "conv2", "features")
    b.apply(edit.set_param, (), "conv2", "out_channels", 48)  # laid over the rename
    assert store.load(a.project_id).graph.node("features").params["out_channels"] == 48
    assert b.selected == ["features"] and b.selection_for_canvas() == ["features"]
    a.catch_up()
    a.select(["features"])
    b.apply(edit.rename_node, (), "features", "body")
    a.catch_up()  # the next run of A's page
    assert a.selected == ["body"]


def test_a_value_set_in_a_block_another_tab_renamed_is_still_told_when_replaced(tmp_path):
    """B sets conv2's out_channels; A renames conv2 features, then sets its out_channels. B was
    told nothing of its value replaced: it knew its value by the block's old id."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv2", "out_channels", 48)
    a.catch_up()
    a.apply(edit.rename_node, (), "conv2", "features")
    b.catch_up()
    assert not [n for n in b.take_notices() if n.kind == "warning"]
    a.apply(edit.set_param, (), "features", "out_channels", 64)
    b.catch_up()
    told = [n for n in b.take_notices() if n.kind == "warning"]
    assert [n.details for n in told] == [
        ("features.out_channels: your 48 was replaced by 64 from another tab",)]
    assert told[0].put_back == (("nodes.features.params.out_channels", 48),)


def test_an_edit_of_a_block_another_tab_renamed_moved_and_rewired_lands_on_it(tmp_path):
    """Tab A renames conv2 features, moves it and puts a Tanh between it and relu2; tab B, still
    showing conv2, sets its out_channels. The block was no longer told by its wires (one of them
    gone): B's edit was refused as 'it changes conv2, which the other edit removed' and only kept
    as a snapshot."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.apply(edit.rename_node, (), "conv2", "features")
    level = _canvas_level(a)
    next(n for n in level["nodes"] if n["id"] == "features")["position"] = [900, 900]
    level["nodes"].append({"id": "tanh1", "type": "Tanh", "position": [800, 800]})
    level["edges"] = [e for e in level["edges"] if (e["source"], e["target"])
                      != ("features", "relu2")]
    level["edges"] += [{"source": "features", "target": "tanh1"},
                       {"source": "tanh1", "target": "relu2"}]
    a.handle_events({"events": [{"seq": 1, "event": "change", "base": a.canvas_version(),
                                 "graph": level, "selected": []}]})
    made_by_a = store.load(a.project_id).graph.to_dict()

    b.apply(edit.set_param, (), "conv2", "out_channels", 48)
    saved = store.load(a.project_id).graph.to_dict()
    assert [n.text for n in b.take_notices() if n.kind in ("warning", "error")] == []
    assert store.snapshots(a.project_id) == []
    features = next(n for n in saved["nodes"] if n["id"] == "features")
    assert features["params"]["out_channels"] == 48
    assert "conv2" not in {n["id"] for n in saved["nodes"]}
    # nothing else changed: A's move, its Tanh and its wires stay as A made them
    assert features["position"] == [900, 900]
    assert saved["edges"] == made_by_a["edges"]
    assert [n for n in saved["nodes"] if n["id"] != "features"] == \
        [n for n in made_by_a["nodes"] if n["id"] != "features"]
    assert b.graph.to_dict() == saved
