"""Texts with quotes and line breaks inside their fields, as Excel and pandas write them, are
read whole; a quote left open (a field that starts with " and never closes) is refused naming
the line it was opened on. It named the line where the reader gave up, a later one that looked
right ('line 3: not valid CSV (',' expected after '"')' of a file whose line 2 lacked its
closing quote)."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset


def test_quotes_and_line_breaks_inside_fields_are_read_whole(tmp_path):
    path = tmp_path / "avis.csv"
    path.write_text("texte,note\n" + "".join(
        f'"Il a dit ""bonjour"", puis\nest parti {i}. Ça va très bien, naïve façade",'
        f"{'pn'[i % 2]}\n" for i in range(40)), encoding="utf-8")
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert ds.meta["text_column"] == "texte" and ds.meta["mean_tokens"] == 14
    assert {"bonjour", "ça", "naïve", "façade"} <= set(ds.vocab)


@pytest.mark.parametrize("rows, end", [
    ('"good film, really,p\n"bad film",n\n"ok then",p\n', "',' expected after '\"' on line 3"),
    ('"good film, really,p\nbad film,n\nok then,p\n', "unexpected end of data on line 4")])
def test_a_quote_left_open_is_refused_naming_the_line_it_opens_on(tmp_path, rows, end):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + rows)
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    last = end.rsplit(" ", 1)[1]
    assert str(refused.value) == (
        f"reviews.csv, line 2: not valid CSV ({end}): a value quoted here runs on to line "
        f"{last}; close its quote (a quote inside a quoted value is written twice: \"\")")
    assert refused.value.line == 2
