"""A file of texts and their labels without a header line (one sentence a line, a tab, its
label) is refused as a file of numbers without one is; its first sentence became the text
column's name and its first label the label column's, the sample lost without a word."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset

SENTENCES = ["the film was great fun", "a dull and slow plot", "I loved every minute of it",
             "boring and far too long"]


def _lines(n: int = 30) -> list[str]:
    return [f"{text} number {i}\t{'pos' if j % 2 == 0 else 'neg'}"
            for i in range(n) for j, text in enumerate(SENTENCES)]


def test_texts_and_labels_without_a_header_are_refused(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes(("\r\n".join(_lines()) + "\r\n").encode())
    with pytest.raises(DataError, match=r"reviews\.txt, line 1: looks like data, not column "
                       r"names \('the film was great fun number 0', 'pos'\): add a header row "
                       r"that names the columns"):
        load_dataset(path)


def test_with_its_header_every_sample_is_read(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes(("\r\n".join(["sentence\tlabel"] + _lines()) + "\r\n").encode())
    ds = load_dataset(path, val_fraction=0.0, test_fraction=0.0)
    assert (ds.meta["text_column"], ds.meta["label_column"]) == ("sentence", "label")
    assert len(ds.y_train) == 120 and ds.classes == ["neg", "pos"]


def test_a_question_as_a_column_name_is_a_name(tmp_path):
    path = tmp_path / "survey.csv"
    rows = [line.replace("\t", ",") for line in _lines()]
    path.write_text("\n".join(["What did you think of the film,pos or neg"] + rows) + "\n")
    ds = load_dataset(path, val_fraction=0.0, test_fraction=0.0)
    assert ds.meta["text_column"] == "What did you think of the film"
    assert len(ds.y_train) == 120
