"""A text holding a comma in a file separated by commas, not in quotes, makes its row one value
too wide; the error names the rows and now says why and what to do, with the text itself."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset


def test_a_text_cut_at_its_comma_is_said_with_the_remedy(tmp_path):
    texts = ["the film was great fun", "a dull and slow plot", "I loved every minute of it",
             "boring, I left early"]
    rows = [f"{text} number {i},{'pos' if j % 2 == 0 else 'neg'}"
            for i in range(10) for j, text in enumerate(texts)]
    (tmp_path / "reviews.csv").write_text("\n".join(["text,label"] + rows) + "\n")
    with pytest.raises(DataError, match=r"reviews\.csv, line 5: 3 values, but the header has "
                       r"2 columns; so do 9 more rows: .*; where a text holds a comma \(boring, "
                       r"I left early number 0\), put the text in quotes \(\"boring, I left "
                       r"early number 0\"\), or save the file with tabs between the values$"):
        load_dataset(tmp_path / "reviews.csv")


def test_numbers_too_many_on_a_row_get_no_such_hint(tmp_path):
    rows = [f"{i},{i % 3},{'ab'[i % 2]}" for i in range(10)] + ["4,5,a,7"]
    (tmp_path / "n.csv").write_text("\n".join(["x,y,label"] + rows) + "\n")
    with pytest.raises(DataError, match=r"n\.csv, line 12: 4 values, but the header has 3 "
                       r"columns$"):
        load_dataset(tmp_path / "n.csv")
