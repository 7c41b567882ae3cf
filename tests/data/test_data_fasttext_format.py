"""A text file in fastText's format (``__label__pos great movie`` on each line, as text
classification sets such as Amazon's reviews come) is refused saying what it is and how to save
it as a table, where it read as a table split at its texts' commas ('line 4: 1 value, but the
header has 2 columns; so do 34 more rows')."""

from __future__ import annotations

import csv

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset

TEXTS = ["boring, too long", "great movie", "hated it", "loved it, really"]


def fasttext(tmp_path, name="reviews.txt"):
    path = tmp_path / name
    path.write_text("\n".join(f"__label__{'pos' if i % 2 else 'neg'} {TEXTS[i % 4]}"
                              for i in range(40)) + "\n", encoding="utf-8")
    return path


SAID = ("line 1: holds fastText's format (a label written __label__neg before each text), which "
        "is not read as a table: save it as a CSV of two columns, text and label, one row per "
        "line (\"boring, too long\",neg for its first line), and load that")


@pytest.mark.parametrize("name", ["reviews.txt", "reviews.csv"])
def test_fasttext_lines_are_named_with_how_to_save_them(tmp_path, name):
    path = fasttext(tmp_path, name)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert str(info.value) == f"{name}, {SAID}"


def test_the_cli_says_it(tmp_path, capsys):
    path = fasttext(tmp_path)
    assert main(["train", "mlp-tabular", "-d", str(path), "--no-record"]) == 1
    assert capsys.readouterr().err == f"error: {path.name}, {SAID}\n"


def test_a_table_with_a_few_such_texts_is_read(tmp_path):
    path = tmp_path / "notes.csv"
    rows = [["text", "label"]] + [[("__label__x " if i == 0 else "") + TEXTS[i % 4], str(i % 2)]
                                  for i in range(40)]
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert load_dataset(path, kind="text").classes == ["0", "1"]
