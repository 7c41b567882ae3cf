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


def _not_what_it_is_named(folder, kind: str):
    """A data file whose contents are not what its name says, and the start of its error."""
    if kind == "folder":
        for name in ("cat", "dog"):
            (folder / "photos" / name).mkdir(parents=True)
            (folder / "photos" / name / "1.png").write_text("a note, not a picture")
        return folder / "photos", "error: photos, entry 'cat/1.png': cannot be read as an image"
    path = folder / f"data.{kind}"
    if kind == "csv":
        path.write_bytes(b"a,b\n1,\xff\x00\n")
        return path, "error: data.csv, line 2: holds binary data (NUL bytes), not text"
    if kind == "csv-workbook":  # an Excel workbook renamed .csv
        path = folder / "data.csv"
        path.write_bytes(b"PK\x03\x04" + bytes(60))
        return path, "error: data.csv: is an Excel workbook (.xlsx) or another zip file, not CSV"
    path.write_text("some notes, not a dataset\n")
    said = {"npz": "not a valid .npz file", "xlsx": "is not an Excel workbook",
            "zip": "not a valid zip file"}[kind]
    return path, f"error: data.{kind}: {said}"


@pytest.mark.parametrize("kind", ["npz", "xlsx", "zip", "csv", "csv-workbook", "folder"])
def test_a_data_file_that_is_not_what_its_name_says_exits_2(tmp_path, capsys, command, kind):
    """It cannot be read, as a ``.png`` that is no image given to ``explain --input`` cannot:
    exit 2 there too."""
    path, said = _not_what_it_is_named(tmp_path, kind)
    assert main([*command, "--dataset", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1


def test_a_project_export_of_data_that_is_not_what_its_name_says_exits_2(tmp_path, capsys):
    path, said = _not_what_it_is_named(tmp_path, "npz")
    out = tmp_path / "project"
    assert main(["export", "mlp-tabular", "-f", "project", "--data", str(path), "-o",
                 str(out)]) == 2
    assert capsys.readouterr().err.startswith(said)
    assert not out.exists()


def test_a_data_file_of_a_kind_not_read_exits_1(tmp_path, capsys, command):
    table = tmp_path / "table.feather"
    table.write_bytes(b"ARROW1")
    assert main([*command, "--dataset", str(table)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: table.feather: ") and err.count("\n") == 1


def test_help_says_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 success; 1 invalid input" in out
    assert "2 a file that cannot be read (not there, not allowed, or not what its name says" in out
