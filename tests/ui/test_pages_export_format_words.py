"""The Export page says of each format, in plain words, what the file is, what opens it and the
line of code (or the program) that loads it. It said "the graph itself (no weights)", "the
weights, keyed as the compiled graph's" and "ONNX (opset 17, dynamic batch …), checked with
onnxruntime": words a newcomer could not act on."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.graph.export import FORMAT_NAMES

# per format: what the file is, what opens it, how it is loaded
SAID = {
    "json": ("Your design as a text file, without its weights",
             "LayerLoom opens it again (Open → Open a design (JSON))",
             '`layerloom.graph.load_graph("model.json")`'),
    "python": ("PyTorch code you can read and change", "not LayerLoom",
               '`model.load_state_dict(safetensors.torch.load_file("model.safetensors"))`'),
    "torchscript": ("The model and its weights in one file",
                    "PyTorch runs without LayerLoom or the model's code",
                    '`model = torch.jit.load("model.pt")` in Python'),
    "onnx": ("The model and its weights in ONNX", "ONNX Runtime opens it",
             '`onnxruntime.InferenceSession("model.onnx")`'),
    "safetensors": ("Only the weights", "LayerLoom (Open → Weights for this design)",
                    '`model.load_state_dict(safetensors.torch.load_file("model.safetensors"))`'),
    "bundle": ("Everything to use or share the model, in one zip", "needs no LayerLoom",
               "`python predict.py my_input.csv`"),
}
JARGON = ("keyed as the compiled graph", "the graph itself", "dynamic batch", "checked with")


@pytest.fixture()
def at(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))

    def script():
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import export
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
        export.render(st.session_state.app)

    return AppTest.from_function(script, default_timeout=120).run()


def test_every_format_is_described_for_a_newcomer(at):
    assert not at.exception and not at.error
    captions = [c.value for c in at.caption]
    assert set(SAID) == set(FORMAT_NAMES)
    for fmt in FORMAT_NAMES:
        said = [c for c in captions if c.startswith(SAID[fmt][0])]
        assert len(said) == 1, (fmt, captions)
        for words in SAID[fmt][1:]:
            assert words in said[0], (fmt, said[0])
        assert not any(j in said[0] for j in JARGON), (fmt, said[0])
