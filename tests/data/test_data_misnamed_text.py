"""Text files whose name says another kind of text: JSON lines saved as .csv and a CSV saved
as .jsonl are refused naming what they hold and the name to give them (one became a table of
columns named '{"a": 0.5', the other 'not valid JSON (Expecting value, at character 1)'); a
.tsv whose values are between commas is read as what it holds (it was one column named
'f1,f2,species', refused as a table of nothing to learn from)."""

from __future__ import annotations

import json

import pytest

from layerloom.runtime import load_dataset
from layerloom.runtime.data import DataError

ROWS = [{"size": i * 0.5, "weight": (i * 7) % 11, "kind": "big" if i % 2 else "small"}
        for i in range(40)]
CSV = "size,weight,kind\n" + "".join(f"{r['size']},{r['weight']},{r['kind']}\n" for r in ROWS)


def test_json_lines_named_csv_are_told_to_be_renamed(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "shop.csv: is JSON lines (one object a line), not CSV text, though its name ends in "
        ".csv: rename it shop.jsonl and load that")
    assert caught.value.unreadable
    renamed = path.rename(tmp_path / "shop.jsonl")
    assert load_dataset(renamed).classes == ["big", "small"]


def test_a_csv_named_jsonl_is_told_to_be_renamed(tmp_path):
    path = tmp_path / "shop.jsonl"
    path.write_text(CSV)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "shop.jsonl: is a table of values between commas or tabs (its first line: "
        "'size,weight,kind'), not JSON lines, though its name ends in .jsonl: rename it "
        "shop.csv and load that")


def test_a_tsv_of_commas_is_read_as_what_it_holds(tmp_path):
    path = tmp_path / "shop.tsv"
    path.write_text(CSV)
    ds = load_dataset(path)
    assert ds.input_shape == (2,) and ds.classes == ["big", "small"]
    tabbed = tmp_path / "tabbed.tsv"
    tabbed.write_text(CSV.replace(",", "\t"))
    assert load_dataset(tabbed).input_shape == (2,)


def test_a_csv_column_of_json_texts_under_a_header_is_still_a_csv(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("note,kind\n" + "".join(f'"{{""a"": {i}}}",{"x" if i % 2 else "y"}\n'
                                            for i in range(40)))
    assert load_dataset(path).classes == ["x", "y"]
