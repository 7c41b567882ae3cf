"""Starting a design (AppTest, whole app, fake canvas): New → Blank design, rename and describe,
names that never repeat, template descriptions without figures that could go stale."""

from __future__ import annotations

import re

from layerloom.graph.templates import list_templates, load_template
from layerloom.ui.project_panel import project_label, unique_name
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY
from layerloom.ui.testing import app_test, shown, toasted


def started():
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def test_new_blank_design_opens_an_empty_canvas(home, canvas):
    at = started()
    first = at.query_params["project"]
    next(b for b in at.button if b.label == "New").click().run()
    template = next(s for s in at.selectbox if s.label == "Template")
    assert template.options[0] == "Blank design" and template.value == "Blank design"
    next(b for b in at.button if b.label == "Create").click().run()
    assert not at.exception
    pid = at.query_params["project"]
    assert pid != first and pid.startswith("untitled-")
    assert canvas.last["graph"]["nodes"] == [] and canvas.last["graph"]["edges"] == []
    state = at.session_state[SESSION_KEY]
    assert state.graph.name == "untitled" and state.graph.description is None
    # a toast: a banner that went at the next edit moved the canvas under the user's pointer
    assert any("New blank design “untitled”" in t for t in toasted(at)) and not at.success
    # a second blank design is told apart by its name
    next(b for b in at.button if b.label == "New").click().run()
    next(b for b in at.button if b.label == "Create").click().run()
    assert at.session_state[SESSION_KEY].graph.name == "untitled (2)"


def test_rename_and_describe_the_design(home, canvas):
    at = started()
    next(w for w in at.text_input if w.label == "Design name").set_value("digits v2")
    next(w for w in at.text_area if w.label == "Description").set_value("my first CNN")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    state = at.session_state[SESSION_KEY]
    assert (state.graph.name, state.graph.description) == ("digits v2", "my first CNN")
    saved = ProjectStore().load(state.project_id).graph
    assert (saved.name, saved.description) == ("digits v2", "my first CNN")
    assert [p.name for p in ProjectStore().list()] == ["digits v2"]  # the switcher's name
    assert len(state.undo_stack) == 1  # undoable like any other change


def test_a_rename_to_another_projects_name_takes_a_suffix(home, canvas):
    store = ProjectStore()
    store.create(load_template("mlp-tabular"))
    at = started()  # a new seed-cnn project
    next(w for w in at.text_input if w.label == "Design name").set_value("mlp-tabular")
    next(b for b in at.button if b.label == "Apply").click().run()
    state = at.session_state[SESSION_KEY]
    assert state.graph.name == "mlp-tabular (2)"
    said = "Another project is called “mlp-tabular”: this one is now “mlp-tabular (2)”"
    assert any(said in shown(w.value) for w in at.warning)
    # kept through the next, unrelated edit (unread, it would be lost; gone, the canvas moves)
    next(w for w in at.text_area if w.label == "Description").set_value("renamed")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert at.session_state[SESSION_KEY].graph.description == "renamed"
    assert [said in shown(w.value) for w in at.warning].count(True) == 1
    # until its close button
    next(b for b in at.button if b.key and b.key.startswith("dismiss-")).click().run()
    assert not any(said in shown(w.value) for w in at.warning)
    at.run()
    assert not any(said in shown(w.value) for w in at.warning)


def test_unique_names_and_labels_for_projects_that_share_a_name(home):
    store = ProjectStore()
    a = store.create(load_template("seed-cnn"))
    assert unique_name(store, "seed-cnn") == "seed-cnn (2)"
    assert unique_name(store, "seed-cnn", exclude=a) == "seed-cnn"
    b = store.create(load_template("seed-cnn"))  # two of one name, from before
    assert unique_name(store, "seed-cnn (2)") == "seed-cnn (2)"
    names = {p.id: p.name for p in store.list()}
    assert project_label(a, names) == f"seed-cnn · {a.rsplit('-', 1)[-1]}"
    assert project_label(b, names) != project_label(a, names)
    assert project_label(a, {a: "seed-cnn", "x-1": "other"}) == "seed-cnn"


def test_template_descriptions_carry_no_derived_figures():
    for entry in list_templates():
        text = entry["description"]
        assert not re.search(r"\d{1,3}(,\d{3})+", text), (entry["name"], text)
        assert "parameters" not in text.lower() or "param" not in text, entry["name"]


def test_a_tab_behind_another_tabs_save_keeps_its_rename_and_snapshot(home, canvas):
    """Another tab saved the design after this page was drawn: the Design form's Apply and the
    Snapshots form's Save from this tab are still taken (they were dropped with the form
    that the other tab's save redrew), and the other tab's change stays."""
    from layerloom.graph import edit
    from layerloom.ui.state import DesignerState

    at = started()
    pid = at.query_params["project"]
    other = DesignerState.open(ProjectStore(), pid)
    other.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    next(w for w in at.text_area if w.label == "Description").set_value("behind, kept")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    saved = ProjectStore().load(pid).graph
    assert saved.description == "behind, kept"
    assert saved.node("conv2").params["kernel_size"] == 5
    other.apply(edit.set_param, (), "conv2", "kernel_size", 3)
    next(w for w in at.text_input if w.label == "Name").set_value("alice snap")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert [s.name for s in ProjectStore().snapshots(pid)] == ["alice snap"]
    # listed in the Snapshots menu; not marked "saved", since the design shown now has the
    # other tab's edit, which the snapshot (this tab's design) does not hold (f9b03cb)
    assert any(shown(m.value).startswith("alice snap") for m in at.markdown)
    assert not any("Saved snapshot" in shown(c.value) for c in at.caption)
    snap = ProjectStore().snapshots(pid)[0]
    held = ProjectStore().load_snapshot(pid, snap.id).node("conv2").params["kernel_size"]
    assert (held, ProjectStore().load(pid).graph.node("conv2").params["kernel_size"]) == (5, 3)


def test_the_switcher_finds_a_project_by_a_label_that_changed():
    """The switcher may hand back an option's old label instead of its id after a rename:
    a project is found by its label now; a label that names none switches nowhere."""
    import tempfile

    from layerloom.ui.project_panel import chosen_project

    store = ProjectStore(tempfile.mkdtemp())
    a = store.create(load_template("seed-cnn"))
    b = store.create(load_template("seed-cnn"))
    c = store.create(load_template("lenet5"))
    names = {p.id: p.name for p in store.list()}
    assert chosen_project(store, a) == a
    assert chosen_project(store, project_label(b, names)) == b  # "seed-cnn · <id part>"
    assert chosen_project(store, "lenet5") == c
    assert chosen_project(store, "seed-cnn") is None  # two of that name: not guessed
    assert chosen_project(store, "seed-cnn · 000000") is None
