"""The designer's status bar checks the design against the chosen data (AppTest, the whole app
with a fake canvas): a badge says whether it fits, and each problem names its node with the
fix, with a button that selects the node."""

from __future__ import annotations


import pytest

from layerloom.graph import Edge
from layerloom.ui.pagestate import DataChoice, PagesState
from layerloom.ui.state import SESSION_KEY
from layerloom.ui.testing import app_test, popovers, shown


ADVICE = "Fix: add Flatten (or global pooling) before fc."


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def app(home, canvas):
    at = app_test()
    at.run()
    assert not at.exception, at.exception
    return at


def remove_flatten(state) -> None:
    graph = state.graph.copy()
    graph.nodes = [n for n in graph.nodes if n.id != "flat"]
    graph.edges = [e for e in graph.edges if "flat" not in (e.source, e.target)]
    graph.edges.append(Edge("pool2", "fc"))
    state.commit(graph)


def named_loaded() -> None:
    """Wait (30 s at most) for the template's mnist-5k, which the designer loads on a thread of
    its own (datafit.named_data), so that the next run checks the design against it."""
    import time

    from layerloom.ui import cache

    choice = DataChoice("mnist-5k", {}, "mnist-5k")
    cache.load_ahead(choice)
    deadline = time.monotonic() + 30
    while cache.loaded(choice) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.loaded(choice) is not None


def test_no_data_chosen_no_badge(app):
    named_loaded()  # the data seed-cnn names: a design that fits it says nothing of it
    app.run()
    assert "fits" not in markdown(app)
    assert not app.warning and not app.error
    assert ":green-badge[:material/check_circle: valid]" in markdown(app)


def test_with_no_data_chosen_a_template_without_flatten_is_an_error_with_its_data(app,
                                                                                   canvas):
    """seed-cnn names mnist-5k, which the Train page trains on while no data is chosen: its
    Flatten deleted, the designer said 'valid' (a warning) until the Data page was visited,
    and only the Train page refused."""
    named_loaded()
    remove_flatten(app.session_state[SESSION_KEY])
    app.run()
    assert not app.exception
    text = markdown(app)
    assert ":green-badge[:material/check_circle: valid]" not in text
    assert any(label.startswith(":red-badge[:material/error: 1 error with mnist-5k]")
               for label in popovers(app)), list(popovers(app))
    assert (":red-badge[:material/dataset: does not fit mnist-5k] :gray[the data this design "
            "was made for, which training uses until other data is chosen on the Data page]"
            ) in text
    assert canvas.last["annotations"]["nodes"]["fc"]["errors"][0].startswith(
        "does not fit mnist-5k: a Linear acts on the last dimension only")
    assert app.session_state[SESSION_KEY].pages.get("runs") is None \
        or app.session_state[SESSION_KEY].pages["runs"].data is None  # nothing chosen for them


def test_the_status_says_the_design_fits_the_chosen_data_then_names_the_flatten_fix(app, canvas):
    state = app.session_state[SESSION_KEY]
    state.pages["runs"] = PagesState(data=DataChoice("mnist-5k", {}, "mnist-5k"))
    app.run()
    assert ":green-badge[:material/dataset: fits mnist-5k]" in markdown(app)
    assert ":green-badge[:material/check_circle: valid]" in markdown(app)
    assert not canvas.last["annotations"]["nodes"]["fc"]["errors"]
    assert not app.warning

    remove_flatten(app.session_state[SESSION_KEY])
    app.run()
    assert not app.exception
    text = markdown(app)
    # valid as a graph (a Linear on a map is what PyTorch computes), but not for mnist: the
    # verdict says so, not "valid", and the canvas marks fc as it marks a design error
    assert ":green-badge[:material/check_circle: valid]" not in text
    # the verdict opens the list of problems where the user is looking (the list under the
    # bar is below the window's edge): the fit's problem, once. The design's own warning on
    # fc says the same ("add Flatten … before fc"): the error restates it, so it is neither
    # counted ("1 error with mnist-5k, 1 warning" read as two problems) nor listed again
    verdict = popovers(app)[":red-badge[:material/error: 1 error with mnist-5k]"]
    inside = [b.label for b in verdict.button] + [m.value for m in verdict.error]
    assert inside[0] == "Select fc" and len(inside) == 2
    assert shown(inside[1]).startswith("**fc**: a Linear acts on the last dimension only")
    assert "warning" not in text
    assert not any(b.label.startswith("fc: a Linear acts") for b in app.button)
    assert ":red-badge[:material/dataset: does not fit mnist-5k]" in text
    fc = canvas.last["annotations"]["nodes"]["fc"]
    assert fc["errors"] == [
        "does not fit mnist-5k: a Linear acts on the last dimension only: fed pool2's "
        "[64, 5, 5] feature map, the design gives [64, 5, 10] per sample, but mnist-5k has 10 "
        "classes, so the output must be [10]. Fix: add Flatten (or global pooling) before fc."]
    assert not canvas.last["annotations"]["nodes"]["pool2"]["errors"]
    assert not fc.get("warnings")  # the canvas's badge and the inspector say it once
    # an error, as the bar counts it: under the bar, and in the verdict's list
    [warning] = {shown(e.value) for e in app.error if "**Fix:**" in e.value}
    assert not app.warning
    assert warning.startswith("**fc**: a Linear acts on the last dimension only: fed pool2's "
                              "[64, 5, 5] feature map, the design gives [64, 5, 10] per sample")
    assert warning.endswith("**Fix:** add Flatten (or global pooling) before fc.")
    select = next(b for b in app.button if b.label == "Select fc")
    select.click().run()
    assert app.session_state[SESSION_KEY].selected == ["fc"]
    # the inspector of fc says it too, with the fix
    assert any(shown(e.value).startswith("does not fit mnist-5k: a Linear acts on the last")
               and ADVICE in shown(e.value) for e in app.error)
    assert not app.warning


def test_a_warning_the_data_does_not_restate_is_still_counted_and_listed(app, canvas):
    """Only the warning a data problem restates goes: another one on the same design stays."""
    state = app.session_state[SESSION_KEY]
    state.pages["runs"] = PagesState(data=DataChoice("mnist-5k", {}, "mnist-5k"))
    remove_flatten(state)
    graph = state.graph.copy()
    from layerloom.graph import Node

    graph.nodes.append(Node(id="stray", type="ReLU"))  # on no path: a warning of its own
    state.commit(graph)
    app.run()
    assert not app.exception
    verdict = popovers(app)[":red-badge[:material/error: 1 error with mnist-5k] "
                            ":orange-badge[:material/warning: 1 warning]"]
    labels = [b.label for b in verdict.button]
    assert [label for label in labels if label.startswith("stray")] != []
    assert not any(label.startswith("fc:") for label in labels)
    assert canvas.last["annotations"]["nodes"]["stray"]["warnings"]


def test_a_wrong_class_count_names_the_variable_in_the_status(app):
    state = app.session_state[SESSION_KEY]
    state.pages["runs"] = PagesState(data=DataChoice("digits", {}, "digits"))
    graph = state.graph.copy()
    graph.node("image").params["shape"] = [1, 8, 8]
    graph.node("pool2").params["kernel_size"] = 1
    graph.variables["classes"] = 7
    state.commit(graph)
    app.run()
    [warning] = {shown(e.value) for e in app.error}
    assert warning == ("**fc**: the design's output has 7 values per sample but digits has 10 "
                       "classes.  \n**Fix:** set the variable classes to 10 (it sets fc's "
                       "out_features).")


def test_a_misfit_marks_the_block_that_holds_it_at_each_level_and_leaves_the_input_alone():
    from layerloom.runtime.data.fit import DataFit, FitProblem
    from layerloom.ui.datafit import Unloadable, annotate_fit

    fit = DataFit("tiny", "classification", [
        FitProblem("head/fc", "gives [4, 3].", "add Flatten before head/fc", "flatten"),
        FitProblem(None, "tiny has classes.", "set the task", "task")])
    top = {"nodes": {"head": {"errors": [], "warnings": ["w"]}, "image": {"errors": []}},
           "edges": {}}
    marked = annotate_fit(top, fit, "", "tiny.csv")
    assert marked["nodes"]["head"]["errors"] == [
        "fc: does not fit tiny.csv: gives [4, 3]. Fix: add Flatten before head/fc."]
    assert marked["nodes"]["head"]["warnings"] == ["w"]
    assert marked["nodes"]["image"]["errors"] == []
    assert top["nodes"]["head"]["errors"] == []  # the cached annotations are not changed
    inside = {"nodes": {"fc": {"errors": []}}, "edges": {}}
    # inside the use head opened (its prefix, as use_levels gives it)
    assert annotate_fit(inside, fit, "head/", "tiny.csv")["nodes"]["fc"]["errors"] == [
        "does not fit tiny.csv: gives [4, 3]. Fix: add Flatten before head/fc."]
    assert annotate_fit(inside, fit, "other/")["nodes"]["fc"]["errors"] == []
    assert annotate_fit(inside, fit, None) is inside  # no level resolved
    assert annotate_fit(top, Unloadable("x.csv", "gone"), "") is top
