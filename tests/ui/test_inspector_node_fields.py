"""The inspector's Node fields show where they mean something (AppTest, the whole app with a
fake canvas, seed-cnn): an Output offered 'repeat' (a ×2 badge on it changed no shape and no
model), and a ReLU or a MaxPool2d offered 'Trainable' with no weights to freeze. A value set
before (a design written by hand) is still shown, so that it can be taken back."""

from __future__ import annotations

import json

import pytest

from layerloom.ui.testing import app_test


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def _select(app, canvas, node: str) -> None:
    canvas.send("select", selected=[node])
    app.run()
    assert not app.exception, app.exception


def _fields(app) -> set[str]:
    return {w.label for w in [*app.number_input, *app.text_input, *app.toggle]}


@pytest.mark.parametrize("node", ["image", "probs"])
def test_an_input_or_output_offers_no_repeat(app, canvas, node):
    _select(app, canvas, node)
    assert "repeat" not in _fields(app)
    assert {"Label", "Id"} <= _fields(app)
    assert "Trainable" not in _fields(app)


@pytest.mark.parametrize("node", ["relu1", "pool1", "flat"])
def test_a_block_without_weights_offers_no_trainable(app, canvas, node):
    _select(app, canvas, node)
    assert "Trainable" not in _fields(app)
    assert "repeat" in _fields(app)  # a ReLU can still be repeated


@pytest.mark.parametrize("node", ["conv1", "fc"])
def test_a_block_with_weights_offers_both(app, canvas, node):
    _select(app, canvas, node)
    assert {"repeat", "Trainable"} <= _fields(app)


def test_a_value_set_before_is_shown_and_can_be_taken_back(app, canvas, home):
    from layerloom.ui.state import SESSION_KEY

    state = app.session_state[SESSION_KEY]
    graph = state.graph.copy()
    probs = next(n for n in graph.nodes if n.id == "probs")
    relu = next(n for n in graph.nodes if n.id == "relu1")
    probs.repeat = 2
    relu.extra["trainable"] = False
    state.commit(graph)
    _select(app, canvas, "probs")
    repeat = next(w for w in app.number_input if w.label == "repeat")
    assert repeat.value == 2
    repeat.set_value(1).run()
    assert not app.exception, app.exception
    saved = json.loads((home / "projects" / app.query_params["project"] / "graph.json")
                       .read_text())
    assert "repeat" not in next(n for n in saved["nodes"] if n["id"] == "probs")
    _select(app, canvas, "relu1")
    toggle = next(t for t in app.toggle if t.label == "Trainable")
    assert toggle.value is False


def _captions(app) -> str:
    return " ".join(c.value for c in app.caption)


def test_a_classifier_output_says_it_gives_logits_whatever_its_name(app, canvas):
    """seed-cnn's Output is called probs (the design note's name) and gives logits: the
    inspector says so, and says probabilities once a Softmax feeds it."""
    from layerloom.graph import Edge, Node
    from layerloom.ui.state import SESSION_KEY

    _select(app, canvas, "probs")
    assert "Gives logits: a score per class before softmax, not probabilities" in _captions(app)
    state = app.session_state[SESSION_KEY]
    graph = state.graph.copy()
    graph.nodes.append(Node(id="soft", type="Softmax"))
    graph.edges = [e for e in graph.edges if e.target != "probs"]
    graph.edges += [Edge(source="fc", target="soft"), Edge(source="soft", target="probs")]
    state.commit(graph)
    _select(app, canvas, "probs")
    assert "Gives class probabilities" in _captions(app)
    assert "Gives logits" not in _captions(app)


def test_an_output_outside_classification_says_nothing_of_logits(app, canvas):
    from layerloom.ui.state import SESSION_KEY

    state = app.session_state[SESSION_KEY]
    graph = state.graph.copy()
    graph.extra["task"] = "regression"
    state.commit(graph)
    _select(app, canvas, "probs")
    assert "Gives" not in _captions(app)


def _without_task(app):
    """The design as one built from the palette has it: no task and no dataset named."""
    from layerloom.ui.state import SESSION_KEY

    state = app.session_state[SESSION_KEY]
    graph = state.graph.copy()
    graph.extra.pop("task", None)
    graph.extra.pop("dataset", None)
    state.commit(graph)
    return state


def test_a_design_built_from_the_palette_says_its_output_gives_logits(app, canvas):
    """A design that names no task trains for its data's (the built-in the Data page shows,
    a classification): its Output says it gives logits as seed-cnn's does; it said nothing."""
    _without_task(app)
    _select(app, canvas, "probs")
    assert "Gives logits: a score per class before softmax, not probabilities" in _captions(app)


def test_an_output_trained_for_regression_says_nothing_of_logits(app, canvas):
    from layerloom.ui.pagestate import pages_of

    state = _without_task(app)
    pages_of(state).config["task"] = "regression"
    _select(app, canvas, "probs")
    assert "Gives" not in _captions(app)


def test_an_inferred_param_written_by_hand_is_shown_and_can_be_left_out(app, canvas, home):
    """A design file that sets conv2's in_channels to 16 (its input gives 32) is stopped with
    "in_channels is 16, but the input gives 32; leave in_channels out (it is inferred)". The
    inspector's in_channels box said "unknown until the input is", greyed: the 16 was not
    shown, and nothing there could leave it out."""
    from layerloom.ui.state import SESSION_KEY

    state = app.session_state[SESSION_KEY]
    graph = state.graph.copy()
    next(n for n in graph.nodes if n.id == "conv2").params["in_channels"] = 16
    state.commit(graph)
    _select(app, canvas, "conv2")
    assert any("in_channels is 16, but the input gives 32" in e.value for e in app.error)
    box = next(w for w in app.text_input if w.label == "in_channels")
    assert box.value == "16"
    app.button(key=f"{box.key}:infer").click().run()
    assert not app.exception, app.exception
    saved = json.loads((home / "projects" / app.query_params["project"] / "graph.json")
                       .read_text())
    assert "in_channels" not in next(n for n in saved["nodes"] if n["id"] == "conv2")["params"]
    assert not any("in_channels is 16" in e.value for e in app.error)
    box = next(w for w in app.text_input if w.label == "in_channels")
    assert box.value == "32"  # inferred again
