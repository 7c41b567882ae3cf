"""The design and the weights it carries travel together through the designer's undo and redo:
"Replace the head" (Train page) saves the fitted head and its weights as one undoable edit, and
the ordinary undo (Ctrl+Z, the Undo button: a canvas ``undo`` event) and redo switch both, from
weights versions kept on disk beside the project. After every step a fresh session on the same
home (a reload) finds a design whose weights fit it."""

from __future__ import annotations

import pytest
from pretrained_mlp import DESIGN
from pretrained_mlp import weights as pretrained_weights
from safetensors.torch import save as save_tensors
from streamlit.testing.v1 import AppTest

from layerloom.graph import compile_graph, edit, load_graph
from layerloom.graph.import_torch.finetune import load_fitting, read_weights
from layerloom.ui.projects import WEIGHTS_KEPT, ProjectStore
from layerloom.ui.state import DesignerState

TIMEOUT = 120


def script(pid: str = ""):
    import streamlit as st

    from layerloom.ui.pages import train
    from layerloom.ui.pagestate import DataChoice, pages_of
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    if "app" not in st.session_state:
        st.session_state.app = DesignerState.open(ProjectStore(), pid)
        pages_of(st.session_state.app).data = DataChoice("spirals", {"arms": 4, "n_samples": 80},
                                                         "spirals")
    for notice in st.session_state.app.take_notices():
        if notice.kind == "error":
            st.error(notice.text)
        else:
            st.info(notice.text)
    train.render(st.session_state.app)


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A project whose design carries weights (an imported model's): its id and the bytes."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    state = DesignerState.new(ProjectStore(), load_graph(DESIGN))
    data = save_tensors(pretrained_weights())
    state.store.set_weights(state.project_id, data)
    return state.project_id, data


def _page(pid: str) -> AppTest:
    at = AppTest.from_function(script, kwargs={"pid": pid}, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


class Canvas:
    """Sends the designer's ordinary undo and redo, as the canvas does (Ctrl+Z, the buttons)."""

    def __init__(self, at: AppTest):
        self.at, self.seq = at, 100

    def send(self, kind: str) -> None:
        self.seq += 1
        assert self.at.session_state.app.handle_event({"seq": self.seq, "event": kind})
        self.at.run()
        assert not self.at.exception, self.at.exception


def on_disk(pid: str) -> tuple[int, bytes]:
    """The saved design's head size and the weights file's bytes."""
    store = ProjectStore()
    return (store.load(pid).graph.node("fc").params["out_features"],
            store.weights_file(pid).read_bytes())


def reloaded_fits(pid: str, classes: int) -> None:
    """A new session on the same home: the design it opens and the weights file fit (every
    tensor's key and shape, as the weight-loading helper loads them) and the page says so."""
    at = _page(pid)
    state = at.session_state.app
    assert state.graph.node("fc").params["out_features"] == classes
    model = compile_graph(state.graph)
    fresh = load_fitting(model, read_weights(state.store.weights_file(pid)))
    assert fresh == [], f"shape mismatch after a reload: {fresh}"
    model.load_state_dict(read_weights(state.store.weights_file(pid)), strict=True)
    button = at.button(key="train.replace_head")
    if classes == 4:
        assert button.disabled and "already gives 4 outputs" in button.help
    else:
        assert not button.disabled and button.label == f"Replace the head: {classes} → 4 classes"


def replace(at: AppTest) -> None:
    at.button(key="train.replace_head").click().run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("head: Linear 7 → 4 classes") for i in at.info), \
        [i.value for i in at.info]


def test_designer_undo_and_redo_switch_the_weights_with_the_design(project):
    pid, original = project
    at = _page(pid)
    replace(at)
    fitted = on_disk(pid)
    assert fitted[0] == 4 and fitted[1] != original
    reloaded_fits(pid, 4)

    canvas = Canvas(at)
    canvas.send("undo")
    assert on_disk(pid) == (7, original)  # the design and the very bytes it carried
    reloaded_fits(pid, 7)

    canvas.send("redo")
    assert on_disk(pid) == fitted
    reloaded_fits(pid, 4)

    canvas.send("undo")  # and back again, as often as wanted
    assert on_disk(pid) == (7, original)
    reloaded_fits(pid, 7)

    # every save says which weights the design carries from then on
    log = ProjectStore().save_log(pid)
    assert [line["edit"]["source"] for line in log][-4:] == ["designer", "undo", "redo", "undo"]
    assert log[-4]["weights"] == log[-2]["weights"] != log[-3]["weights"] == log[-1]["weights"]


def test_undo_past_another_edit_restores_the_original_pair(project):
    pid, original = project
    at = _page(pid)
    replace(at)
    fitted = on_disk(pid)
    state = at.session_state.app
    assert state.apply(edit.set_param, (), "bn", "momentum", 0.2) is not None  # another edit
    at.run()
    assert on_disk(pid) == fitted  # the weights are left alone by an edit of the design only
    reloaded_fits(pid, 4)

    canvas = Canvas(at)
    canvas.send("undo")  # the momentum
    assert on_disk(pid) == fitted
    assert "momentum" not in ProjectStore().load(pid).graph.node("bn").params
    reloaded_fits(pid, 4)
    canvas.send("undo")  # the head
    assert on_disk(pid) == (7, original)
    reloaded_fits(pid, 7)

    canvas.send("redo")
    canvas.send("redo")
    assert on_disk(pid) == fitted
    assert ProjectStore().load(pid).graph.node("bn").params["momentum"] == 0.2
    reloaded_fits(pid, 4)

    # a new edit after an undo drops the redo steps: the pair on disk stays one that fits
    canvas.send("undo")
    canvas.send("undo")
    assert state.apply(edit.set_param, (), "bn", "eps", 0.001) is not None
    at.run()
    assert on_disk(pid) == (7, original) and not state.redo_stack
    reloaded_fits(pid, 7)


def test_the_train_page_undo_is_the_designer_undo(project):
    pid, original = project
    at = _page(pid)
    replace(at)
    fitted = on_disk(pid)
    state = at.session_state.app
    assert "weights" not in state.pages["train.replace_head"]  # no weights held in memory
    at.button(key="train.replace_head.undo").click().run()
    assert not at.exception
    assert any("undone" in i.value for i in at.info)
    assert on_disk(pid) == (7, original)
    assert "train.replace_head.undo" not in [b.key for b in at.button]
    Canvas(at).send("redo")  # the same undo history: redo gives the fitted pair back
    assert on_disk(pid) == fitted
    reloaded_fits(pid, 4)


def test_an_undo_whose_weights_are_gone_is_refused_in_words(project):
    pid, original = project
    at = _page(pid)
    replace(at)
    fitted = on_disk(pid)
    store = ProjectStore()
    versions = store.projects / pid / "weights"
    for path in versions.glob("*.safetensors"):
        if path.read_bytes() == original:
            path.unlink()  # the version the old design carried, lost
    Canvas(at).send("undo")
    assert on_disk(pid) == fitted  # neither the design nor its weights changed
    assert any("The design is unchanged" in e.value and "no longer kept" in e.value
               for e in at.error), [e.value for e in at.error]
    reloaded_fits(pid, 4)


def test_weights_versions_are_kept_by_content_and_pruned(tmp_path):
    store = ProjectStore(tmp_path)
    pid = store.create(load_graph(DESIGN))
    assert store.weights_version(pid) == ""  # no weights
    store.set_weights(pid, b"first")
    first = store.weights_version(pid)
    assert (store.projects / pid / "weights" / f"{first}.safetensors").read_bytes() == b"first"
    assert store.keep_weights(pid, b"first") == first  # by content: kept once
    digests = [store.keep_weights(pid, f"v{i}".encode()) for i in range(WEIGHTS_KEPT + 3)]
    kept = {p.stem for p in (store.projects / pid / "weights").glob("*.safetensors")}
    assert first in kept  # the weights in use are never pruned
    assert set(digests[-WEIGHTS_KEPT:]) <= kept and len(kept) == WEIGHTS_KEPT + 1
    assert store.weights_file(pid).read_bytes() == b"first"  # keeping switches nothing


def test_weights_stored_before_versions_existed_come_back_on_undo(project):
    """A project whose weights file was written before weights had versions (no ``weights/``
    folder): the first replacement keeps the file in use as a version, so undo finds it."""
    pid, original = project
    store = ProjectStore()
    for path in (store.projects / pid / "weights").glob("*"):
        path.unlink()
    (store.projects / pid / "weights").rmdir()
    (store.projects / pid / "weights.safetensors").write_bytes(original)
    at = _page(pid)
    replace(at)
    fitted = on_disk(pid)
    canvas = Canvas(at)
    canvas.send("undo")
    assert on_disk(pid) == (7, original)
    canvas.send("redo")
    assert on_disk(pid) == fitted
    reloaded_fits(pid, 4)


def test_another_tab_s_edit_is_laid_over_a_replaced_head_and_its_weights(project):
    """Tab A replaces the head; tab B, still showing the design before, edits another param:
    B's edit is laid over A's design, which keeps the weights it carries; A's undo, in turn
    behind B, takes back the head (and its weights) and keeps B's edit."""
    from layerloom.graph.import_torch.finetune import replace_head
    from layerloom.ui.pages.train import fitted_weights
    from layerloom.ui.savelog import Edit

    pid, original = project
    store = ProjectStore()
    tab_a, tab_b = DesignerState.open(store, pid), DesignerState.open(store, pid)
    graph = tab_a.graph.copy()
    replace_head(graph, 4)
    data, _, _ = fitted_weights(graph, original)
    assert tab_a.commit(graph, edit=Edit("designer", "replace head"),
                        weights=store.keep_weights(pid, data))
    assert on_disk(pid) == (4, data)

    assert tab_b.apply(edit.set_param, (), "bn", "momentum", 0.2) is not None
    assert on_disk(pid) == (4, data)
    assert store.load(pid).graph.node("bn").params["momentum"] == 0.2
    assert tab_b.graph.node("fc").params["out_features"] == 4  # B shows A's head now
    assert not store.snapshots(pid) and any("both changes are kept" in n.text
                                            for n in tab_b.notices)
    reloaded_fits(pid, 4)

    assert tab_a.undo()  # A, in turn behind B: its undo's design with its weights
    assert on_disk(pid) == (7, original)
    assert store.load(pid).graph.node("bn").params["momentum"] == 0.2
    reloaded_fits(pid, 7)


def test_a_snapshot_restores_the_weights_it_was_taken_with(project):
    from layerloom.ui.project_panel import _restore

    pid, original = project
    at = _page(pid)
    state = at.session_state.app
    snap = state.store.snapshot(pid, "as imported", state.graph)
    replace(at)
    fitted = on_disk(pid)
    for i in range(12):  # many other versions since: the snapshot's is not pruned
        state.store.keep_weights(pid, f"other {i}".encode())
    _restore(state, snap.id, snap.name)
    assert on_disk(pid) == (7, original)
    reloaded_fits(pid, 7)
    Canvas(at).send("undo")  # the restore is undone as any edit: the fitted pair again
    assert on_disk(pid) == fitted
    reloaded_fits(pid, 4)
