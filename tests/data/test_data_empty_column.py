"""A column left blank on every row (a field a form never filled, Excel's empty column with a
header): left out, said as one that tells the model nothing, and no numpy warning on the way.
It was '30 missing values in notes filled with 0: no training row has a value', and the
command line printed numpy's 'Mean of empty slice' with its file path; then it was kept as a
feature of zeros, with a note to drop it (tests/data/test_data_blank_named_column.py)."""

from __future__ import annotations

import warnings

from layerloom.cli import main
from layerloom.runtime.data import load_dataset


def blank(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text("age,score,label\n" + "".join(f"{20 + i},,{'xy'[i % 2]}\n"
                                                  for i in range(30)))
    return path


def test_a_column_blank_on_every_row_is_left_out_and_said(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning fails the test
        ds = load_dataset(blank(tmp_path))
    assert ds.meta["notes"] == ["score: empty on every row, left out: it tells the model "
                                "nothing"]
    assert ds.input_shape == (1,)
    assert load_dataset(blank(tmp_path), drop=["score"]).input_shape == (1,)


def test_the_command_line_says_it_in_its_words_and_nothing_else(tmp_path, capfd):
    assert main(["validate", "mlp-tabular", "--dataset", str(blank(tmp_path)), "--set",
                 "features=1", "--set", "classes=2"]) == 0
    err = capfd.readouterr().err
    assert err == "note: score: empty on every row, left out: it tells the model nothing\n"
