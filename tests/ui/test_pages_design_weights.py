"""A design that carries weights (an imported model's ``weights.safetensors`` in its project):
the Export page exports them instead of fresh ones, the Train page starts from them, and weights
that do not fit the design are refused in words."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from streamlit.testing.v1 import AppTest

from layerloom.graph import compile_graph
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore

TIMEOUT = 120


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def _weights() -> dict:
    torch.manual_seed(5)
    return {k: v.contiguous() for k, v in compile_graph(load_template("seed-cnn"))
            .state_dict().items()}


def test_project_store_keeps_and_forgets_weights(home):
    store = ProjectStore()
    pid = store.create(load_template("seed-cnn"))
    assert store.weights_file(pid) is None
    store.set_weights(pid, save_tensors(_weights()))
    assert store.weights_file(pid).name == "weights.safetensors"
    store.set_weights(pid, None)
    assert store.weights_file(pid) is None


def test_export_page_exports_the_weights_the_design_carries(home):
    def script(data: bytes = b""):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import export
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
            st.session_state.app.store.set_weights(st.session_state.app.project_id, data)
        export.render(st.session_state.app)

    weights = _weights()
    at = AppTest.from_function(script, kwargs={"data": save_tensors(weights)},
                               default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert any("With the weights the design carries" in c.value for c in at.caption)
    at.button(key="export.build.safetensors").click().run()
    assert not at.error and [b.key for b in at.get("download_button")] == \
        ["export.dl.safetensors"]
    # the bytes behind the download button, built as the page builds them
    from layerloom.graph import dumps_graph
    from layerloom.ui.pages.export import Source, _build

    store = ProjectStore()
    pid = store.list()[0].id
    source = Source("design-test", "seed-cnn", graph_json=dumps_graph(load_template("seed-cnn")),
                    weights=str(store.weights_file(pid)))
    exported = load_tensors(_build(source, "safetensors").data)
    for key, tensor in weights.items():
        assert torch.equal(exported[key], tensor), key


class _Upload:
    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


@pytest.mark.parametrize("data,kind,message", [
    (None, "success", "w.safetensors: 6 tensors stored with this design."),
    (save_tensors({"nope": torch.zeros(2)}), "error",
     "w.safetensors does not fit this design; nothing was stored."),
    (b"junk", "error", "w.safetensors is not a readable safetensors file"),
])
def test_uploaded_weights_are_kept_when_they_fit(home, monkeypatch, data, kind, message):
    from layerloom.ui import project_panel
    from layerloom.ui.pages.train import _design_weights
    from layerloom.ui.state import DesignerState

    state = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
    upload = _Upload("w.safetensors", save_tensors(_weights()) if data is None else data)
    monkeypatch.setattr(project_panel.st, "session_state", {"up": upload})
    said = []
    monkeypatch.setattr(state, "notify", lambda k, text, *rest: said.append((k, text)))
    project_panel._upload_weights(state, "up")
    assert said[0][0] == kind and said[0][1].startswith(message)
    stored = state.store.weights_file(state.project_id)
    assert (stored is not None) == (kind == "success")
    assert _design_weights(state) == stored  # what the Train page starts from
