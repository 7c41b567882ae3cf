"""``layerloom validate GRAPH --dataset NAME_OR_FILE``: the design checked against the data, the
node and the right fix named on stderr, exit 1 when they do not fit and 0 when they do."""

from __future__ import annotations

import json

import numpy as np
import pytest

from layerloom.cli import main
from layerloom.graph.templates import template_text


def _write(tmp_path, graph: dict, name: str = "design.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(graph))
    return str(path)


@pytest.fixture
def no_flatten(tmp_path) -> str:
    """seed-cnn with its Flatten removed: pool2 wired straight into the Linear fc."""
    graph = json.loads(template_text("seed-cnn"))
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "flat"]
    graph["edges"] = [e for e in graph["edges"] if "flat" not in (e["source"], e["target"])]
    graph["edges"].append({"source": "pool2", "target": "fc"})
    return _write(tmp_path, graph, "no-flatten.json")


def test_the_seed_cnn_fits_mnist(tmp_path, capsys):
    path = _write(tmp_path, json.loads(template_text("seed-cnn")))
    assert main(["validate", path, "--dataset", "mnist-5k"]) == 0
    captured = capsys.readouterr()
    assert "valid and fits mnist-5k: input [1, 28, 28] float32" in captured.out
    assert "10 classes" in captured.out
    assert captured.err == ""


def test_a_linear_fed_a_feature_map_is_told_to_flatten_not_to_change_out_features(
        no_flatten, capsys):
    assert main(["validate", no_flatten]) == 0  # valid as a graph: the Linear takes the last dim
    capsys.readouterr()
    assert main(["validate", no_flatten, "--dataset", "mnist-5k"]) == 1
    captured = capsys.readouterr()
    assert "error: fc: " in captured.err
    assert "Fix: add Flatten (or global pooling) before fc." in captured.err
    assert "[64, 5, 10]" in captured.err and "must be [10]" in captured.err
    assert "out_features" not in captured.err
    assert "does not fit mnist-5k" in captured.out


def test_a_wrong_class_count_names_the_param_and_the_variable(capsys):
    assert main(["validate", "mlp-tabular", "--dataset", "iris", "--set", "classes=5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: head: the design's output has 5 values per sample but iris "
                          "has 3 classes.")
    assert "Fix: set the variable classes to 3 (it sets head's out_features)." in err


def test_a_wrong_class_count_without_a_variable_names_the_param(tmp_path, capsys):
    graph = json.loads(template_text("mlp-tabular"))
    next(n for n in graph["nodes"] if n["id"] == "head")["params"]["out_features"] = 7
    assert main(["validate", _write(tmp_path, graph), "--dataset", "iris"]) == 1
    assert "Fix: set head's out_features to 3." in capsys.readouterr().err


def test_a_wrong_input_shape_names_the_input_and_the_shape_to_set(capsys):
    assert main(["validate", "seed-cnn", "--dataset", "digits"]) == 1
    err = capsys.readouterr().err
    # and the one edit further down that the smaller image needs (pool2 still has a map)
    assert ("error: image: the Input is [1, 28, 28] but digits gives [1, 8, 8] per sample. "
            "Fix: set image's shape to [1, 8, 8], and set conv2's padding to 1 (keeps its 3×3 "
            "input's size, so that pool2's 2×2 window fits).") in err


def test_token_ids_need_an_int64_input_and_enough_embedding_rows(capsys):
    assert main(["validate", "mlp-tabular", "--dataset", "text-sentiment"]) == 1
    err = capsys.readouterr().err
    assert "features: the Input takes float32 values but text-sentiment gives int64 token ids" \
        in err
    assert "set features's dtype to int64 and feed it to an Embedding" in err

    assert main(["validate", "lstm-text", "--dataset", "text-sentiment", "--set", "vocab=20"]) == 1
    err = capsys.readouterr().err
    assert "error: embed: the Embedding has 20 rows" in err
    assert "Fix: set the variable vocab to " in err


def test_data_options_reach_the_dataset(capsys):
    assert main(["validate", "lstm-text", "--dataset", "text-sentiment",
                 "--data-option", "length=64"]) == 1
    err = capsys.readouterr().err
    assert "tokens: the Input is [32] but text-sentiment gives [64] per sample" in err
    assert "(through the variable length = 64)" in err
    assert main(["validate", "lstm-text", "--dataset", "text-sentiment",
                 "--data-option", "lenght=64"]) == 1  # as train: wrong input, not a file
    assert "text-sentiment has no option 'lenght'" in capsys.readouterr().err


def test_a_regression_file_checks_the_target_width(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "pairs.npz"
    np.savez(data, x=rng.normal(size=(40, 4)).astype(np.float32),
             y=rng.normal(size=(40, 2)).astype(np.float32))
    graph = json.loads(template_text("mlp-tabular"))
    graph["task"] = "regression"
    path = _write(tmp_path, graph)
    assert main(["validate", path, "--dataset", str(data), "--set", "classes=2"]) == 0
    capsys.readouterr()
    assert main(["validate", path, "--dataset", str(data)]) == 1
    err = capsys.readouterr().err
    assert "has 2 target values" in err and "set the variable classes to 2" in err


def test_unknown_data_is_an_error_in_words(capsys):
    assert main(["validate", "seed-cnn", "--dataset", "mnist5k"]) == 1
    err = capsys.readouterr().err
    assert "no built-in dataset 'mnist5k'" in err and "did you mean 'mnist-5k'" in err
    assert "Traceback" not in err
