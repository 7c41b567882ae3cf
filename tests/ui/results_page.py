"""The Results page as the page tests open it (AppTest), and the straight designs they train."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph

TIMEOUT = 90


def chain(name, shape, layers, dtype="float32"):
    """Input ``shape`` → each ``(id, type, params)`` of ``layers`` → Output, loaded."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape, "dtype": dtype}}]
    nodes += [{"id": i, "type": t, "params": p} for i, t, p in layers]
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return load_graph({"format": "layerloom-graph", "version": 1, "name": name,
                       "nodes": nodes, "edges": edges})


def tiny_cnn():
    """A [1, 8, 8] image classifier of ten classes (the digits set): Conv2d, ReLU, Flatten,
    Linear."""
    return chain("tiny-cnn", [1, 8, 8], [("conv", "Conv2d", {"out_channels": 4, "padding": 1}),
                                         ("act", "ReLU", {}), ("flat", "Flatten", {}),
                                         ("fc", "Linear", {"out_features": 10})])


def bag_of_words():
    """A text classifier of two classes over 32 token ids: Embedding, SequencePool, Linear."""
    return chain("bag", [32], [("embed", "Embedding", {"num_embeddings": 1000,
                                                      "embedding_dim": 8}),
                               ("pool", "SequencePool", {}),
                               ("fc", "Linear", {"out_features": 2})], dtype="int64")


def results_page(home, monkeypatch, run_id: int, template: str = "seed-cnn",
                 timeout: float = TIMEOUT) -> AppTest:
    """The Results page of run ``run_id`` in ``home``, the designer holding ``template``; run
    once, each run given ``timeout`` seconds."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))

    def script(run: int = 0, template: str = "seed-cnn"):
        import streamlit as st

        from layerloom.graph.templates import load_template
        from layerloom.ui.pages import results
        from layerloom.ui.pagestate import PagesState
        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            app = DesignerState.new(ProjectStore(), load_template(template))
            app.pages["runs"] = PagesState(results_run=run)
            st.session_state.app = app
        results.render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"run": run_id, "template": template},
                                 default_timeout=timeout).run()
