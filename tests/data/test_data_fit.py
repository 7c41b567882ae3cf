"""runtime/data/fit.py: the design against the data — structured problems (node, param,
variable, message, fix) and the edits that fix them. Datasets are described, not loaded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from layerloom.graph import Edge, validate
from layerloom.graph.templates import load_template
from layerloom.runtime.data.fit import apply_changes, check_fit


def data(name="mnist-5k", shape=(1, 28, 28), classes=10, dtype="float32", vocab=None,
         target_dim=None):
    return SimpleNamespace(
        name=name, task="classification" if classes else "regression", input_shape=shape,
        dtype=dtype, classes=[str(i) for i in range(classes)] if classes else None,
        target_dim=target_dim, vocab=[f"w{i}" for i in range(vocab)] if vocab else None)


MNIST = data()
IRIS = data("iris", (4,), 3)
TEXT = data("text-sentiment", (32,), 2, "int64", vocab=82)


def rewire(graph, drop: str, source: str, target: str):
    graph.nodes = [n for n in graph.nodes if n.id != drop]
    graph.edges = [e for e in graph.edges if drop not in (e.source, e.target)]
    graph.edges.append(Edge(source, target))
    return graph


def test_templates_fit_the_data_they_are_sized_for():
    assert check_fit(load_template("seed-cnn"), MNIST).ok
    assert check_fit(load_template("lenet5"), MNIST).ok
    assert check_fit(load_template("mlp-tabular"), IRIS).ok
    assert check_fit(load_template("lstm-text"), TEXT).ok
    fit = check_fit(load_template("conv-autoencoder"), MNIST)
    assert fit.ok and fit.task == "reconstruction"


def test_no_flatten_names_the_linear_and_says_add_flatten():
    graph = rewire(load_template("seed-cnn"), "flat", "pool2", "fc")
    assert validate(graph).ok  # the graph alone is valid: output [64, 5, 10]
    fit = check_fit(graph, MNIST)
    assert not fit.ok and not fit.fixable
    [problem] = fit.problems
    assert (problem.node, problem.kind, problem.param) == ("fc", "flatten", None)
    assert problem.fix == "add Flatten (or global pooling) before fc"
    assert "[64, 5, 10]" in problem.message and "must be [10]" in problem.message
    assert str(problem).startswith("fc: a Linear acts on the last dimension only")


def test_the_first_linear_fed_a_map_is_named_when_two_follow_each_other():
    graph = load_template("seed-cnn")
    graph = rewire(graph, "flat", "pool2", "fc")
    graph.edges = [e for e in graph.edges if e.target != "fc"]
    graph.nodes.append(type(graph.nodes[0])("hidden", "Linear", {"out_features": 32}))
    graph.edges += [Edge("pool2", "hidden"), Edge("hidden", "fc")]
    [problem] = check_fit(graph, MNIST).problems
    assert problem.node == "hidden" and problem.fix == "add Flatten (or global pooling) before hidden"


def test_a_feature_map_with_no_linear_gets_flatten_and_a_linear():
    graph = load_template("seed-cnn")
    graph.nodes = [n for n in graph.nodes if n.id not in ("flat", "fc")]
    graph.edges = [e for e in graph.edges if not {"flat", "fc"} & {e.source, e.target}]
    graph.edges.append(Edge("pool2", "probs"))
    [problem] = check_fit(graph, MNIST).problems
    assert problem.node == "pool2"
    assert problem.fix == ("add Flatten (or global pooling) and then a Linear with "
                           "out_features 10 after pool2")


def test_a_text_linear_fed_the_sequence_is_told_to_pool_it():
    graph = load_template("lstm-text")
    graph = rewire(graph, "lstm", "embed", "dropout")
    [problem] = check_fit(graph, TEXT).problems
    assert problem.node == "fc" and problem.fix == "add SequencePool (or Flatten) before fc"


def test_class_count_goes_through_the_variable_and_one_fix_applies_it():
    graph = load_template("seed-cnn")
    fit = check_fit(graph, data("digits-3", (1, 28, 28), 3))
    [problem] = fit.problems
    assert (problem.node, problem.param, problem.variable) == ("fc", "out_features", "classes")
    assert problem.fix == "set the variable classes to 3 (it sets fc's out_features)"
    fixed = apply_changes(graph, problem.changes)
    assert fixed.variables["classes"] == 3 and graph.variables["classes"] == 10
    assert check_fit(fixed, data("digits-3", (1, 28, 28), 3)).ok


def test_the_input_shape_is_named_and_the_output_judged_as_it_will_be():
    graph = load_template("mlp-tabular")
    fit = check_fit(graph, data("wine", (13,), 4))
    assert [p.kind for p in fit.problems] == ["input", "width"]
    assert fit.problems[0].node == "features" and fit.problems[0].variable == "features"
    assert fit.fixable
    fixed = apply_changes(graph, [c for p in fit.problems for c in p.changes])
    assert (fixed.variables["features"], fixed.variables["classes"]) == (13, 4)
    assert check_fit(fixed, data("wine", (13,), 4)).ok


def test_an_input_that_only_a_redesign_fits_stops_at_the_input():
    """No few edits make a CNN take 4 numbers: no one-click change (it would leave errors);
    the fix says what breaks, for a hand edit."""
    fit = check_fit(load_template("seed-cnn"), IRIS)
    [problem] = fit.problems
    assert not problem.fixable and not fit.fixable
    assert problem.fix == (
        "set image's shape to [4], then change the layers that do not work on it in the "
        "Designer (conv1: Conv2d needs a [C, H, W] input, but image gives [4]), or pick data "
        "of the size the design was made for")


DIGITS = data("digits", (1, 8, 8), 10)


def test_a_smaller_image_gets_the_padding_its_pooling_needs_named_in_the_fix():
    """seed-cnn (28×28) on 8×8 digits: the new Input shape alone leaves pool2's 2×2 window on a
    1×1 map; the fix adds the one edit that keeps the design valid, saying why."""
    graph = load_template("seed-cnn")
    fit = check_fit(graph, DIGITS)
    [problem] = fit.problems
    assert fit.fixable and problem.kind == "input"
    assert problem.fix == ("set image's shape to [1, 8, 8], and set conv2's padding to 1 "
                           "(keeps its 3×3 input's size, so that pool2's 2×2 window fits)")
    fixed = apply_changes(graph, problem.changes)
    assert fixed.node("image").params["shape"] == [1, 8, 8]
    assert fixed.node("conv2").params["padding"] == 1
    assert validate(fixed).ok and check_fit(fixed, DIGITS).ok
    assert "padding" not in graph.node("conv2").params  # the design given is left alone


@pytest.mark.parametrize("shape", [(1, 4, 4), (1, 2, 2), (3, 6, 6)])
def test_every_one_click_input_fix_leaves_a_valid_design(shape):
    graph = load_template("seed-cnn")
    fit = check_fit(graph, data("small", shape, 10))
    assert fit.fixable
    fixed = apply_changes(graph, [c for p in fit.problems for c in p.changes])
    assert validate(fixed).ok, [str(p) for p in validate(fixed).errors]


def test_token_ids_need_int64_and_rows_for_every_id():
    fit = check_fit(load_template("mlp-tabular"), TEXT)
    assert [p.kind for p in fit.problems] == ["input", "dtype"]
    assert "feed it to an Embedding" in fit.problems[1].fix
    graph = load_template("lstm-text")
    graph.variables["vocab"] = 50
    [problem] = check_fit(graph, TEXT).problems
    assert (problem.node, problem.param, problem.variable) == ("embed", "num_embeddings", "vocab")
    assert "token ids run from 0 to 81" in problem.message
    assert check_fit(apply_changes(graph, problem.changes), TEXT).ok


def test_regression_and_reconstruction_outputs():
    graph = load_template("mlp-tabular")
    graph.extra["task"] = "regression"
    targets = data("prices", (4,), None, target_dim=1)
    fit = check_fit(graph, targets)
    assert fit.task == "regression"
    assert fit.problems[0].fix == "set the variable classes to 1 (it sets head's out_features)"
    graph.variables["classes"] = 1
    assert check_fit(graph, targets).ok
    auto = load_template("conv-autoencoder")
    [problem] = check_fit(auto, data("small", (1, 8, 8), 10)).problems
    assert problem.kind == "input"
    assert check_fit(load_template("seed-cnn"), MNIST, task="reconstruction").problems[0].fix == \
        "change the last layers (ending at fc) to give [1, 28, 28]"


@pytest.mark.parametrize("task,expected", [("regression", "classification"),
                                           ("classification", "regression")])
def test_a_task_the_data_cannot_train_says_which_to_use(task, expected):
    ds = MNIST if task == "regression" else data("prices", (1, 28, 28), None, target_dim=1)
    [problem] = check_fit(load_template("seed-cnn"), ds, task=task).problems
    assert problem.kind == "task" and f"set the training task to {expected}" in problem.fix


def test_an_invalid_design_is_not_compared():
    graph = load_template("seed-cnn")
    graph.node("conv1").params["kernel_size"] = 99
    fit = check_fit(graph, MNIST)
    assert not fit.design_ok and not fit.ok and fit.problems == []


def test_two_inputs_are_a_problem_of_the_design_as_a_whole():
    graph = load_template("seed-cnn")
    graph.nodes.append(type(graph.nodes[0])("extra", "Input", {"shape": [4]}))
    graph.nodes.append(type(graph.nodes[0])("extra_out", "Output", {}))
    graph.edges.append(Edge("extra", "extra_out"))
    fit = check_fit(graph, MNIST)
    assert fit.problems and fit.problems[0].node is None
    assert "training feeds mnist-5k to one Input, but the design has 2" in fit.problems[0].message


def test_training_a_linear_fed_a_feature_map_fails_at_once_with_the_flatten_fix():
    from layerloom.runtime import TrainConfig
    from layerloom.runtime.errors import TrainError
    from layerloom.runtime.model import prepare_model

    graph = rewire(load_template("seed-cnn"), "flat", "pool2", "fc")
    with pytest.raises(TrainError, match=r"Fix: add Flatten \(or global pooling\) before fc\.$"):
        prepare_model(graph, MNIST, TrainConfig())


def test_a_variable_already_at_its_value_is_not_named_as_the_fix():
    """efficientnet-b0 at resolution 28 on mnist-5k: what differs is the channels (3 against
    1), which no variable sets; the fix must not say 'through the variable resolution = 28'."""
    from layerloom.graph.templates import load_template
    from layerloom.runtime.data import load_dataset
    from layerloom.runtime.data.fit import check_fit

    graph = load_template("efficientnet-b0")
    ds = load_dataset("mnist-5k")
    at_28 = check_fit(graph, ds, variables={"resolution": 28})
    (problem,) = [p for p in at_28.problems if p.kind == "input"]
    assert problem.fix == "set image's shape to [1, 28, 28]"
    at_224 = check_fit(graph, ds)
    (problem,) = [p for p in at_224.problems if p.kind == "input"]
    # the variable sets the size, the Input itself the channels: both named, as --set
    # resolution=28 alone would leave its 3 channels
    assert problem.fix == ('set image\'s shape to [1, 28, 28]: the variable resolution = 28, '
                           'and image\'s shape itself to [1, "=resolution", "=resolution"]')


def _recurrent(shape):
    from layerloom.graph import load_graph

    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "rnn",
        "nodes": [{"id": "seq", "type": "Input", "params": {"shape": shape}},
                  {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 8, "output": "last"}},
                  {"id": "fc", "type": "Linear", "params": {"out_features": 5}},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": "seq", "target": "lstm"}, {"source": "lstm", "target": "fc"},
                  {"source": "fc", "target": "out"}]})


def test_channels_first_signals_fed_straight_to_an_lstm_get_the_permute_it_needs():
    waves = data("waveforms", (1, 128), 5)
    fit = check_fit(_recurrent([50, 6]), waves)
    assert [p.fix for p in fit.problems] == ["set seq's shape to [1, 128]"]
    assert fit.notes == [
        "lstm (LSTM) reads its input as [steps, features], so it sees 1 step of 128 values, but "
        "waveforms gives signals as [channels, length] = [1, 128]: add a Permute block with "
        "dims [1, 0] between seq and lstm, so that it reads 128 steps of 1 value"]
    # with the Permute in place, nothing to say; sequences of vectors [L, D] never get it
    graph = _recurrent([1, 128])
    graph = rewire(graph, "none", "seq", "perm")
    graph.edges = [e for e in graph.edges if (e.source, e.target) != ("seq", "lstm")]
    from layerloom.graph import Node

    graph.nodes.insert(1, Node("perm", "Permute", {"dims": [1, 0]}))
    graph.edges.append(Edge("perm", "lstm"))
    assert check_fit(graph, waves).ok and not check_fit(graph, waves).notes
    assert not check_fit(_recurrent([50, 6]), data("series", (50, 6), 5)).notes


def test_token_ids_in_an_npz_read_as_values_get_the_loader_option_not_a_design_change(tmp_path):
    """An NPZ of whole-number ids is read as float32 values unless told: for a design whose
    Input takes int64 ids (an Embedding after it) the fix is the file's dtype option, never
    a change of the design that would then need its Embedding taken out."""
    import numpy as np

    from layerloom.graph import load_graph
    from layerloom.runtime.data import load_dataset

    rng = np.random.default_rng(0)
    path = tmp_path / "ids.npz"
    np.savez(path, x=rng.integers(1, 50, size=(60, 12)), y=rng.integers(0, 2, size=60))
    graph = load_graph({
        "format": "layerloom-graph", "version": 1, "name": "ids",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [12], "dtype": "int64"}},
                  {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 50,
                                                                "embedding_dim": 4}},
                  {"id": "flat", "type": "Flatten"},
                  {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                  {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in
                  (("x", "emb"), ("emb", "flat"), ("flat", "fc"), ("fc", "out"))]})
    [problem] = check_fit(graph, load_dataset(str(path))).problems
    assert problem.fix == (
        "if ids.npz's x holds token ids, load it with the option dtype=int64 (CLI: "
        "--data-option dtype=int64; Data page: the file's options) and keep the design; if "
        "it holds values, set x's dtype to float32")
    assert not problem.changes
    assert check_fit(graph, load_dataset(str(path), dtype="int64")).ok
    np.savez(path, x=rng.normal(size=(60, 12)), y=rng.integers(0, 2, size=60))
    [problem] = check_fit(graph, load_dataset(str(path))).problems  # values: the old advice
    assert problem.fix.startswith("set x's dtype to float32 (token ids are for text")


def test_a_label_map_per_sample_is_named_as_what_it_is(tmp_path):
    """y of [N, H, W] whole numbers (a class per pixel, segmentation) is neither one class per
    sample nor values: said so, with the option that reads it as numbers."""
    import numpy as np

    from layerloom.runtime.data import DataError, load_dataset

    path = tmp_path / "seg.npz"
    np.savez(path, x=np.zeros((20, 1, 8, 8), np.float32), y=np.zeros((20, 8, 8), np.int64))
    with pytest.raises(DataError) as err:
        load_dataset(str(path))
    assert str(err.value) == (
        "seg.npz: y holds a map of whole numbers per sample ([8, 8]: a class for each pixel, as "
        "for segmentation?); LayerLoom trains one class per sample (y of shape [N]) or "
        "numeric targets. To fit the map's numbers as values, load it with task='regression' "
        "(CLI: --data-option task=regression), or save y as floats")
    assert load_dataset(str(path), task="regression").target_dim == 64


def test_a_shape_half_set_by_a_variable_says_the_shape_itself_changes_too():
    """cnn1d-sequence's Input is [1, "=length"]: 3-channel windows of 64 need length = 64
    and the 1 changed in the Input itself; `--set length=64` alone would leave [1, 64]."""
    graph = load_template("cnn1d-sequence")
    fit = check_fit(graph, data("sensors.npz", (3, 64), graph.variables["classes"]))
    [problem] = fit.problems
    assert problem.fix == ('set signal\'s shape to [3, 64]: the variable length = 64, and '
                           'signal\'s shape itself to [3, "=length"]')
    assert check_fit(apply_changes(graph, problem.changes),
                     data("sensors.npz", (3, 64), graph.variables["classes"])).ok


def test_signals_stored_channels_last_for_a_conv1d_are_told_to_permute():
    """[64 steps, 3 channels] fed to cnn1d-sequence (block1's Conv1d reads [channels,
    length]): a new Input shape alone would make the 64 steps channels; the fix is a Permute,
    and the design with it fits."""
    graph = load_template("cnn1d-sequence")
    sensors = data("sensors.npz", (64, 3), graph.variables["classes"])
    [problem] = check_fit(graph, sensors).problems
    assert problem.node == "signal" and not problem.changes
    assert problem.message == ("sensors.npz gives [64, 3] per sample, 64 steps of 3 channels "
                               "(channels last), but block1/conv (Conv1d) reads [channels, "
                               "length], and the Input is [1, 128].")
    assert problem.fix == ("set signal's shape to [64, 3] and add a Permute block with dims "
                           "[1, 0] between signal and block1 (so that block1/conv reads 3 "
                           "channels of 64 steps), or save sensors.npz's samples as [3, 64]")
    # done as it says
    from layerloom.graph import Node

    graph.node("signal").params["shape"] = [64, 3]
    graph.nodes.append(Node("turn", "Permute", {"dims": [1, 0]}))
    graph.edges = [e for e in graph.edges if e.source != "signal"] + [
        Edge("signal", "turn"), Edge("turn", "block1")]
    assert check_fit(graph, sensors).ok
    # channels first, or a recurrent design, is not told so
    assert not any("channels last" in p.message for p in check_fit(
        load_template("cnn1d-sequence"), data("s.npz", (3, 64), 5)).problems)


def test_a_row_of_readings_for_a_conv1d_is_told_to_reshape_to_one_channel():
    """A CSV of 64 readings a row gives [64]; cnn1d-sequence's Conv1d reads [channels,
    length]: the fix is a Reshape to [1, 64] after the Input, and done so the design fits."""
    from layerloom.graph import Node

    graph = load_template("cnn1d-sequence")
    series = data("series.csv", (64,), graph.variables["classes"])
    [problem] = check_fit(graph, series).problems
    assert problem.fix == ("set signal's shape to [64] and add a Reshape block with shape "
                           "[1, 64] between signal and block1 (so that block1/conv reads 1 "
                           "channel of 64 steps)")
    graph.node("signal").params["shape"] = [64]
    graph.nodes.append(Node("rows", "Reshape", {"shape": [1, 64]}))
    graph.edges = [e for e in graph.edges if e.source != "signal"] + [
        Edge("signal", "rows"), Edge("rows", "block1")]
    assert check_fit(graph, series).ok
