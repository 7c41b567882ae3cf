"""The Data page with an imported BERT that takes input_ids and an attention_mask, on the
built-in text-sentiment: the problem names attention_mask and its fix, the button's changes say
that padding_mask is fed from input_ids, and one click leaves a valid design of one Input whose
PaddingMask reads the ids, saved with the project. The page said "keep exactly one Input" with
no button, and the model could not be trained on the data."""

from __future__ import annotations

import warnings
from pathlib import Path

from streamlit.testing.v1 import AppTest

from layerloom.graph import validate
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import shown

BERT = Path(__file__).parents[1] / "export" / "transformers_onnx" / "bert_mask_torchscript.onnx"


def test_the_one_click_fit_feeds_the_padding_mask_from_the_ids(home):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph, _, _ = import_onnx(BERT)
    pid = DesignerState.new(ProjectStore(), graph).project_id

    def script(pid: str = ""):
        import streamlit as st

        from layerloom.ui.pages import data
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        data.render(st.session_state.app)

    at = AppTest.from_function(script, kwargs={"pid": pid}, default_timeout=120).run()
    at.selectbox(key="data.builtin").select("text-sentiment").run()
    assert not at.exception, at.exception
    page = " ".join(shown(m.value) for m in [*at.markdown, *at.error, *at.warning])
    assert "attention_mask only marks padding (its zeros, for padding_mask), which the ids " \
           "show themselves: text-sentiment pads with id 0 (<pad>)." in page
    fit = at.button(key="data.fit")
    assert "set padding_mask's input to input_ids (attention_mask, then unused, removed)" \
        in shown(fit.help)
    fit.click().run()
    assert not at.exception, at.exception
    saved = ProjectStore().load(pid).graph
    assert [n.id for n in saved.nodes if n.type == "Input"] == ["input_ids"]
    assert [e.source for e in saved.edges if e.target == "padding_mask"] == ["input_ids"]
    assert validate(saved).ok
