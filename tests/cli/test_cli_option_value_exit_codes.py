"""An option's value that is not understood (``--set width``, ``--set width=wide``, ``--cfg
foo``, ``--data-option foo``) is a command line not understood: its ``error:`` line and exit 2,
in every command, as ``layerloom --help`` says and as argparse refuses ``--epochs ten``. It
was 1 (2 for validate's ``--data-option``), and ``--set`` raised SystemExit out of ``main``."""

from __future__ import annotations

import pytest

from layerloom.cli import main

SET = "error: --set features: 'four' is not a number\n"


@pytest.mark.parametrize("command", [
    ["validate", "mlp-tabular"], ["summary", "mlp-tabular"], ["codegen", "mlp-tabular"],
    ["train", "mlp-tabular", "-d", "iris", "--no-record"],
    ["lr-find", "mlp-tabular", "-d", "iris"]])
def test_a_set_that_is_no_number(capsys, command):
    assert main([*command, "--set", "features=four"]) == 2
    assert capsys.readouterr().err == SET


def test_a_set_without_a_value(capsys):
    assert main(["validate", "mlp-tabular", "--set", "features"]) == 2
    assert capsys.readouterr().err == "error: --set expects NAME=NUMBER, got 'features'\n"


@pytest.mark.parametrize("option", ["--cfg", "--data-option"])
def test_train_option_without_a_value(tmp_path, capsys, option):
    assert main(["train", "mlp-tabular", "-d", "iris", option, "foo", "--home",
                 str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {option} expects KEY=VALUE, got 'foo'\n"
    assert list(tmp_path.iterdir()) == []
