"""Undo and redo take back only what is still this tab's: a value this tab set that another
tab has since set again is left as that tab set it (said), while the rest of the step and the
other steps still undo. Tab A set conv1's out_channels to 64, tab B then set it to 128, and A's
Undo put A's old value back over B's 128."""

from __future__ import annotations

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _saved(store: ProjectStore, pid: str, node: str, param: str):
    return store.load(pid).graph.node(node).params.get(param)


def _warnings(tab: DesignerState) -> list[str]:
    return [n.text for n in tab.take_notices() if n.kind == "warning"]


def _a_then_b(store: ProjectStore) -> tuple[DesignerState, DesignerState]:
    """A sets conv2's kernel_size to 5, then conv1's out_channels to 64; B sets out_channels
    to 128."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    a.apply(edit.set_param, (), "conv1", "out_channels", 64)
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    return a, b


def test_undo_leaves_a_value_another_tab_set_since(tmp_path):
    store = ProjectStore(tmp_path)
    a, _ = _a_then_b(store)
    a.catch_up()
    a.take_notices()  # 'your 64 was replaced by 128' (told as before)
    # the out_channels step: B's 128 is no longer A's to take back, and the step did nothing
    # else; the step before still takes back its own edit
    assert len(a.undo_stack) == 1
    assert a.undo()
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 3
    assert not a.undo_stack


def test_the_skip_is_said_when_the_tab_catches_up(tmp_path):
    """With the value another tab replaced, said once (the value A had set is told as
    replaced, as before)."""
    store = ProjectStore(tmp_path)
    a, _ = _a_then_b(store)
    a.catch_up()
    (told,) = _warnings(a)
    assert told.endswith(" Undo and redo leave it as saved: they never put your value back "
                         "over a newer one from another tab.")


def test_the_skip_is_said_when_the_tab_comes_back_to_the_project(tmp_path):
    """A set out_channels, opened another design and came back after B's save: its undo is
    laid over that save as it comes back."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv1", "out_channels", 64)
    first = a.project_id
    a = a.switch(DesignerState.new(store, load_template("lenet5")))
    b = DesignerState.open(store, first)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    a = a.switch(DesignerState.open(store, first))
    assert _warnings(a) == [
        "Undo leaves conv1.out_channels as another tab or window set it since (128): undo and "
        "redo never put your value back over a newer one from another tab. Nothing else is "
        "left to undo."]
    assert not a.undo_stack


def test_undo_pressed_before_the_tab_caught_up_leaves_the_other_value(tmp_path):
    """A button's callback (the banner's Undo) runs before the page catches up with the
    other tab's save."""
    store = ProjectStore(tmp_path)
    a, _ = _a_then_b(store)
    assert not a.undo()  # this press is told what Undo takes back now, and does no more
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    (told,) = _warnings(a)
    assert told.endswith("Undo and redo leave it as saved: they never put your value back "
                         "over a newer one from another tab.")
    assert not [s for s in store.snapshots(a.project_id) if "another tab" in s.name]
    assert a.undo()
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 3
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128


def test_the_rest_of_a_step_still_undoes(tmp_path):
    """One step set two params of conv1 (a canvas change of the level); B set one of them."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    graph = edit.set_param(a.graph, (), "conv1", "out_channels", 64)
    graph = edit.set_param(graph, (), "conv1", "kernel_size", 5)
    a.commit(graph)
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    a.catch_up()
    a.take_notices()  # shown
    assert a.undo()
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert _saved(store, a.project_id, "conv1", "kernel_size") == 3


def test_redo_leaves_a_value_another_tab_set_since(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv1", "out_channels", 64)
    a.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert a.undo() and a.undo()
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    a.catch_up()
    (told,) = _warnings(a)  # A's value (the one its undo set) told as replaced
    assert told.endswith("Undo and redo leave it as saved: they never put your value back "
                         "over a newer one from another tab.")
    assert len(a.redo_stack) == 1  # the out_channels step did nothing else
    assert a.redo()
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 5
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert not a.redo_stack


def test_undo_of_a_block_added_that_another_tab_changed_since_is_skipped(tmp_path):
    """A added a Dropout; B set its p: taking the block away would take B's edit with it."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    level = a.level()
    level["nodes"].append({"id": "drop9", "type": "Dropout", "params": {"p": 0.5},
                           "position": [900, 900]})
    a.commit(edit.set_level(a.graph, (), level))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "drop9", "p", 0.2)
    a.catch_up()
    told = [t for t in _warnings(a) if t.startswith("Undo")]
    assert len(told) == 1 and "it removes drop9, which the other tab changed since" in told[0]
    assert not a.undo_stack
    assert _saved(store, a.project_id, "drop9", "p") == 0.2


def test_no_word_when_the_other_tab_changed_other_things(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv1", "out_channels", 64)
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 7)
    a.catch_up()
    assert _warnings(a) == []
    assert a.undo()
    assert _saved(store, a.project_id, "conv1", "out_channels") == "=round(32*width)"
    assert _saved(store, a.project_id, "conv1", "kernel_size") == 7


def test_undo_leaves_a_rename_another_tab_made_since_and_says_so(tmp_path):
    """A renamed conv1 enc; B, still showing conv1, renamed it feat (its save wins): A's Undo
    no longer renames it back to conv1."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    a.apply(edit.rename_node, (), "conv1", "enc")
    b.apply(edit.rename_node, (), "conv1", "feat")
    a.catch_up()
    assert [t for t in _warnings(a) if t.startswith("Undo")] == [
        "Undo leaves the id of enc as another tab or window set it since (feat): undo and redo "
        "never put your value back over a newer one from another tab. Nothing else is left to "
        "undo."]
    assert not a.undo()
    assert "feat" in {n.id for n in store.load(a.project_id).graph.nodes}


def test_an_undo_saved_over_a_save_it_had_not_seen_leaves_that_save_s_value(tmp_path,
                                                                           monkeypatch):
    """Another server saves between the tab's catching up and its undo's save (the tab's
    catch-up made a no-op here): the store lays the undo over that save with its values kept,
    and Redo does not put this tab's value back over it either."""
    store = ProjectStore(tmp_path)
    a, _ = _a_then_b(store)
    monkeypatch.setattr(a, "catch_up", lambda: False)
    assert a.undo()
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 5
    told = [t for t in _warnings(a) if t.startswith("Undo")]
    assert told == ["Undo leaves conv1.out_channels as another tab or window set it since "
                    "(128): undo and redo never put your value back over a newer one from "
                    "another tab. Your other changes still undo."]
    assert not [s for s in store.snapshots(a.project_id) if "another tab" in s.name]
    assert a.redo()
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert a.undo() and a.undo()  # conv2's kernel_size: still A's to take back
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 3
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128


def test_older_steps_are_laid_over_a_save_this_tab_s_edit_joined(tmp_path):
    """A set conv2's kernel_size; B set conv1's out_channels; A's next edit (a callback, before
    A's page caught up) was laid over B's save. A's second Undo went back to A's design before
    B's save: B's 128 was gone, A told 'both changes are kept'."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    a.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    a.apply(edit.set_param, (), "fc", "bias", False)
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert a.undo() and a.undo()
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 3
    assert _saved(store, a.project_id, "fc", "bias") is None
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128
    assert a.redo() and a.redo()
    assert _saved(store, a.project_id, "conv2", "kernel_size") == 5
    assert _saved(store, a.project_id, "fc", "bias") is False
    assert _saved(store, a.project_id, "conv1", "out_channels") == 128


def test_the_designer_says_what_undo_leaves(home, canvas):
    """The whole app (AppTest, a fake canvas): this tab moves conv2, another tab moves it
    elsewhere; the page says Undo leaves it there, and Undo does not move it back."""
    import copy

    from layerloom.ui.testing import app_test, shown

    at = app_test()
    at.run()
    pid = at.query_params["project"]
    level = canvas.last["graph"]
    next(n for n in level["nodes"] if n["id"] == "conv2")["position"] = [900, 900]
    canvas.send("change", level)
    at.run()
    other = DesignerState.open(ProjectStore(), pid)
    theirs = copy.deepcopy(other.level())
    next(n for n in theirs["nodes"] if n["id"] == "conv2")["position"] = [40, 700]
    other.handle_events({"events": [{"seq": 1, "event": "change",
                                     "base": other.canvas_version(), "graph": theirs,
                                     "selected": []}]})
    at.run()
    assert not at.exception
    said = [shown(w.value) for w in at.warning]
    assert said == ["Undo leaves the place of conv2 on the canvas as another tab or window "
                    "set it since: undo and redo never put your value back over a newer one "
                    "from another tab. Nothing else is left to undo."]
    canvas.send("undo")
    at.run()
    assert ProjectStore().load(pid).graph.node("conv2").position == [40, 700]


def test_a_ctrl_z_sent_with_the_run_that_learns_of_the_other_save_only_says_so(home, canvas):
    """This tab moves conv1, then conv2; another tab moves conv2 elsewhere; this tab's Ctrl+Z
    reaches Python in the run that catches up with that save. The step that moved conv2 is
    no longer this tab's: the page says so and the press undoes nothing else (it took conv1
    back, an edit the user had not asked to undo); the next press does."""
    import copy

    from layerloom.ui.pages.designer import CANVAS_KEY
    from layerloom.ui.testing import app_test, shown

    at = app_test()
    at.run()
    pid = at.query_params["project"]
    start = next(n for n in canvas.last["graph"]["nodes"] if n["id"] == "conv1")["position"]
    for nid, place in (("conv1", [700, 700]), ("conv2", [900, 900])):
        level = canvas.last["graph"]
        next(n for n in level["nodes"] if n["id"] == nid)["position"] = place
        canvas.send("change", level)
        at.run()
    other = DesignerState.open(ProjectStore(), pid)
    theirs = copy.deepcopy(other.level())
    next(n for n in theirs["nodes"] if n["id"] == "conv2")["position"] = [40, 700]
    other.handle_events({"events": [{"seq": 1, "event": "change",
                                     "base": other.canvas_version(), "graph": theirs,
                                     "selected": []}]})
    canvas.send("undo")
    # as the real component's value is: in the session before the run starts, so that the
    # app takes it right after catching up (the fake alone hands it over only when drawn)
    at.session_state[CANVAS_KEY] = {"events": [canvas.event]}
    at.run()
    assert not at.exception
    assert any(shown(w.value).startswith("Undo leaves the place of conv2 on the canvas")
               for w in at.warning)
    saved = ProjectStore().load(pid).graph
    assert saved.node("conv1").position == [700, 700]
    assert saved.node("conv2").position == [40, 700]
    canvas.send("undo")
    at.run()
    saved = ProjectStore().load(pid).graph
    assert saved.node("conv1").position == start
    assert saved.node("conv2").position == [40, 700]


def test_undo_of_a_block_added_that_another_tab_renamed_since_is_skipped(tmp_path):
    """A dropped a Dropout; B renamed it regularise: A's Undo took the block away, B's rename
    with it, unsaid."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    level = a.level()
    level["nodes"].append({"id": "drop9", "type": "Dropout", "params": {"p": 0.5},
                           "position": [900, 900]})
    a.commit(edit.set_level(a.graph, (), level))
    b = DesignerState.open(store, a.project_id)
    b.apply(edit.rename_node, (), "drop9", "regularise")
    a.catch_up()
    told = [t for t in _warnings(a) if t.startswith("Undo")]
    assert len(told) == 1 and "it removes drop9, which the other tab changed since" in told[0]
    assert not a.undo_stack
    assert "regularise" in {n.id for n in store.load(a.project_id).graph.nodes}


def test_several_values_left_are_named_in_one_line(tmp_path):
    """A's tab comes back to the project after B set both params A's one step had set."""
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    graph = edit.set_param(a.graph, (), "conv1", "out_channels", 64)
    a.commit(edit.set_param(graph, (), "conv1", "kernel_size", 5))
    first = a.project_id
    a = a.switch(DesignerState.new(store, load_template("lenet5")))
    b = DesignerState.open(store, first)
    b.apply(edit.set_param, (), "conv1", "out_channels", 128)
    b.apply(edit.set_param, (), "conv1", "kernel_size", 7)
    a = a.switch(DesignerState.open(store, first))
    assert _warnings(a) == [
        "Undo leaves conv1.kernel_size (7) and conv1.out_channels (128) as another tab or "
        "window set them since: undo and redo never put your value back over a newer one from "
        "another tab. Nothing else is left to undo."]
