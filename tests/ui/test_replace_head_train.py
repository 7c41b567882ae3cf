"""The Train page's "Replace the head": for a design that carries weights (an imported model's)
and data with another number of classes than its head gives, one click fits the last Linear to
the classes, keeps every other weight, saves the design and the weights, says what changed,
and can be undone (design and weights)."""

from __future__ import annotations

import pytest
import torch
from pretrained_mlp import DESIGN
from pretrained_mlp import weights as pretrained_weights
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors
from streamlit.testing.v1 import AppTest

from layerloom.graph import compile_graph, load_graph
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

TIMEOUT = 120


def script(pid: str = "", arms: int = 4):
    import streamlit as st

    from layerloom.ui.pages import train
    from layerloom.ui.pagestate import DataChoice, pages_of
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    if "app" not in st.session_state:
        st.session_state.app = DesignerState.open(ProjectStore(), pid)
        pages_of(st.session_state.app).data = DataChoice("spirals", {"arms": arms, "n_samples": 80},
                                                         "spirals")
    train.render(st.session_state.app)


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    state = DesignerState.new(ProjectStore(), load_graph(DESIGN))
    weights = pretrained_weights()
    state.store.set_weights(state.project_id, save_tensors(weights))
    return state.project_id, weights


def _page(pid: str, **kwargs) -> AppTest:
    return AppTest.from_function(script, kwargs={"pid": pid, **kwargs},
                                 default_timeout=TIMEOUT).run()


def test_replace_head_fits_the_head_and_keeps_every_other_weight(project):
    pid, weights = project
    at = _page(pid)
    assert not at.exception
    button = at.button(key="train.replace_head")
    assert not button.disabled and button.label == "Replace the head: 7 → 4 classes"
    button.click().run()
    assert not at.exception
    said = [i.value for i in at.info]
    assert any(s.startswith("head: Linear 7 → 4 classes; 7 other tensors kept (fc.bias, "
                            "fc.weight start fresh). The design and its weights are saved.")
               for s in said), said

    store = ProjectStore()
    saved = store.load(pid).graph  # the saved design
    assert saved.node("fc").params["out_features"] == 4
    assert saved.node("hidden").params == {"out_features": 16}
    stored = load_file(store.weights_file(pid))  # the saved weights
    assert set(stored) == set(weights)
    assert stored["fc.weight"].shape == (4, 16) and stored["fc.bias"].shape == (4,)
    for key, tensor in weights.items():
        if not key.startswith("fc."):
            assert torch.equal(stored[key], tensor), key  # kept bit for bit
    compile_graph(saved).load_state_dict(stored, strict=True)  # the file fits the design

    # the data now fit the head: the button is off, saying why
    button = at.button(key="train.replace_head")
    assert button.disabled and "already gives 4 outputs" in button.help
    assert at.session_state.app.undo_stack  # an undo step, as any edit


def test_replace_head_undo_restores_design_and_weights(project):
    pid, weights = project
    at = _page(pid)
    at.button(key="train.replace_head").click().run()
    at.button(key="train.replace_head.undo").click().run()
    assert not at.exception
    assert any("undone" in i.value for i in at.info)
    store = ProjectStore()
    assert store.load(pid).graph.node("fc").params["out_features"] == 7
    stored = load_file(store.weights_file(pid))
    assert all(torch.equal(stored[k], v) for k, v in weights.items())
    assert not at.button(key="train.replace_head").disabled  # 7 → 4 again


def test_replace_head_is_off_when_the_classes_already_fit(project):
    pid, _ = project
    at = _page(pid, arms=7)
    button = at.button(key="train.replace_head")
    assert button.disabled and "already gives 7 outputs, one per class" in button.help


def test_replace_head_needs_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    pid = DesignerState.new(ProjectStore(), load_graph(DESIGN)).project_id
    at = _page(pid)
    assert not at.exception
    assert "train.replace_head" not in [b.key for b in at.button]
