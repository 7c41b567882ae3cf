"""A command line argparse refuses with "unrecognized arguments" says the slip behind it, on the
same one line and with the same exit code 2: a path with spaces left unquoted (``--dataset my
data.csv`` said only "unrecognized arguments: data.csv"), or a NAME=VALUE option given as two
words (``--set features 4`` said "unrecognized arguments: 4")."""

from __future__ import annotations

import pytest

from layerloom.cli import main


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()[-1]


def test_an_unquoted_path_with_spaces_is_said(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my data.csv").write_text("a,label\n1,0\n2,1\n")
    assert _refused(["train", "mlp-tabular", "--dataset", "my", "data.csv", "--epochs", "1"],
                    capsys) == (
        "layerloom: error: unrecognized arguments: data.csv; 'my data.csv' is one path with "
        "spaces in its name: put it in quotes (--dataset 'my data.csv')")
    (tmp_path / "my new design.json").write_text("{}")
    assert _refused(["validate", "my", "new", "design.json"], capsys) == (
        "layerloom: error: unrecognized arguments: new design.json; 'my new design.json' is one "
        "path with spaces in its name: put it in quotes ('my new design.json')")


@pytest.mark.parametrize("argv, hint", [
    (["train", "mlp-tabular", "-d", "iris", "--set", "features", "4"],
     "unrecognized arguments: 4; --set takes NAME=VALUE as one word: --set features=4"),
    (["train", "mlp-tabular", "-d", "iris", "--cfg", "lr", "0.1"],
     "unrecognized arguments: 0.1; --cfg takes FIELD=VALUE as one word: --cfg lr=0.1"),
    (["sweep", "mlp-tabular", "-d", "iris", "--param", "lr", "1e-4:1e-1:log"],
     "unrecognized arguments: 1e-4:1e-1:log; --param takes NAME=SPEC as one word: --param "
     "lr=1e-4:1e-1:log"),
])
def test_a_name_value_option_given_two_words_is_said(capsys, argv, hint):
    assert _refused(argv, capsys) == f"layerloom: error: {hint}"


def test_other_extra_arguments_are_refused_as_before(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert _refused(["validate", "cnn.json", "extra"], capsys) == (
        "layerloom: error: unrecognized arguments: extra")
