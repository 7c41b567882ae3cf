"""A column left blank on every row (a field a form never filled, Excel's empty column with a
header): said as one that tells the model nothing, with the drop that leaves it out, and no
numpy warning on the way. It was '30 missing values in notes filled with 0: no training row
has a value', and the command line printed numpy's 'Mean of empty slice' with its file path."""

from __future__ import annotations

import warnings

from layerloom.cli import main
from layerloom.runtime.data import load_dataset


def blank(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text("age,score,label\n" + "".join(f"{20 + i},,{'xy'[i % 2]}\n"
                                                  for i in range(30)))
    return path


def test_a_column_blank_on_every_row_is_said_as_one_to_drop(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning fails the test
        ds = load_dataset(blank(tmp_path))
    assert ds.meta["notes"] == ["score: empty on every row: it tells the model nothing; drop "
                                "it with drop=['score']"]
    assert load_dataset(blank(tmp_path), drop=["score"]).input_shape == (1,)


def test_the_command_line_says_it_in_its_words_and_nothing_else(tmp_path, capfd):
    assert main(["validate", "mlp-tabular", "--dataset", str(blank(tmp_path)), "--set",
                 "features=2", "--set", "classes=2"]) == 0
    err = capfd.readouterr().err
    assert err == ("note: score: empty on every row: it tells the model nothing; drop it with "
                   "--data-option drop=score\n")
