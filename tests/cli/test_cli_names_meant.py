"""A name typed at the shell that begins several templates or datasets names them all: ``resnet``
said "did you mean 'resnet18'?" only, though ``resnet-mini`` is one too; and a dataset named in
capitals (``MNIST``) got no suggestion at all."""

from __future__ import annotations

from layerloom.cli import main
from layerloom.graph.suggest import did_you_mean, meant

TEMPLATES = ("cnn1d-sequence, conv-autoencoder, efficientnet-b0, lenet5, lstm-text, mlp-tabular, "
             "resnet-mini, resnet18, seed-cnn, transformer-text")


def test_a_template_name_that_begins_two_names_both(tmp_path, capsys):
    assert main(["new", "--template", "resnet", "-o", str(tmp_path / "r.json")]) == 1
    assert capsys.readouterr().err == (
        f"error: no template 'resnet' (did you mean 'resnet-mini' or 'resnet18'?); the templates "
        f"are: {TEMPLATES}\n")
    assert main(["validate", "resnet"]) == 1
    assert capsys.readouterr().err == (
        f"error: resnet: no such file, nor a template of that name (did you mean 'resnet-mini' "
        f"or 'resnet18'?); the templates are: {TEMPLATES}\n")
    assert not (tmp_path / "r.json").exists()


def test_a_dataset_named_in_capitals_is_found(capsys):
    assert main(["validate", "seed-cnn", "--dataset", "MNIST"]) == 1
    assert ("error: no built-in dataset 'MNIST' and no such file (did you mean 'mnist-5k'?); "
            in capsys.readouterr().err)


def test_meant_takes_prefixes_first_then_the_closest_spelling():
    assert meant("res", ["resnet18", "resnet-mini", "lenet5"]) == ["resnet18", "resnet-mini"]
    assert meant("seed_cnn", ["seed-cnn", "lenet5"]) == ["seed-cnn"]
    assert meant("", ["a"]) == [] and did_you_mean("qqqq", ["seed-cnn"]) == ""
    assert did_you_mean("m", ["moons", "mnist-5k", "mlp", "mx"]) == (
        " (did you mean 'moons', 'mnist-5k' or 'mlp'?)")


def test_a_mistyped_variable_names_the_one_meant(capsys):
    assert main(["validate", "mlp-tabular", "--set", "feature=4"]) == 1
    assert capsys.readouterr().err == (
        "error: graph.feature: no variable 'feature' to set (did you mean 'features'? the graph "
        "has features, classes, hidden, depth, dropout)\n")
