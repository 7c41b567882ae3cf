"""``--dataset`` mistakes exit as the README says, the same in ``validate`` and ``train``: 2 for a
data file that cannot be opened (none at that path, whatever its suffix), 1 for data that is
wrong (a mistyped built-in name, with its suggestion; a file whose contents are no dataset; an
option the dataset does not have)."""

from __future__ import annotations

import pytest

from layerloom.cli import main

COMMANDS = {"validate": ["validate", "mlp-tabular"],
            "train": ["train", "mlp-tabular", "--epochs", "1", "--no-record"]}


@pytest.fixture(params=list(COMMANDS))
def command(request) -> list[str]:
    return COMMANDS[request.param]


@pytest.mark.parametrize("name", ["missing.csv", "missing.data", "missing.dat", "gone/x.npz"])
def test_a_data_file_that_is_not_there_exits_2(tmp_path, monkeypatch, capsys, command, name):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--dataset", name]) == 2
    assert capsys.readouterr().err == f"error: {name}: no such file\n"


def test_a_mistyped_dataset_name_exits_1_with_a_suggestion(capsys, command):
    assert main([*command, "--dataset", "iriss"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no built-in dataset 'iriss' and no such file (did you mean "
                          "'iris'?)") and err.count("\n") == 1


def test_a_file_that_is_no_dataset_exits_1(tmp_path, capsys, command):
    table = tmp_path / "one-class.csv"
    table.write_text("a,b\n1,y\n2,y\n")
    assert main([*command, "--dataset", str(table)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: one-class.csv, column 'b': only one class ('y')")
    assert err.count("\n") == 1
