"""A column the header names but no row fills (``a,b,label,notes``, ``notes`` empty on every
row) is no feature and not the label: it is left out, said in a note, and the label is the
last column that holds values, in every kind of table (CSV as Excel saves it, .data, .xlsx,
Parquet, JSON lines). Every such file was refused ("column 'notes': is blank on every row"),
and a blank column elsewhere was kept as a feature of zeros. Naming it as the target is
refused as before; dropping it drops it without a note."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset

from .test_data_messy_tables import predicted_rows, same_rows

NOTE = ("notes: empty on every row, left out: it tells the model nothing (the label is "
        "'label', the last column with values)")
ROWS = [(i, 2 * i + 1, "xy"[i % 2]) for i in range(30)]


def csv_file(tmp_path, sep=",", end="\n"):
    path = tmp_path / "forms.csv"
    lines = [sep.join(["a", "b", "label", "notes"])] + \
        [sep.join([str(a), str(b), label, ""]) for a, b, label in ROWS]
    path.write_bytes(end.join(lines).encode("utf-8-sig") + end.encode())
    return path


def read_as_a_table_of_a_and_b(ds):
    assert ds.input_shape == (2,) and ds.classes == ["x", "y"]
    assert ds.meta["target"] == "label"
    assert [c["name"] for c in ds.meta["columns"]] == ["a", "b"]
    assert NOTE in ds.meta["notes"]
    assert ds.meta["left_out"] == ["notes"]


def test_a_named_empty_last_column_is_left_out_and_said(tmp_path):
    read_as_a_table_of_a_and_b(load_dataset(csv_file(tmp_path)))


def test_so_it_is_in_a_csv_as_excel_saves_it(tmp_path):
    # a byte-order mark, ';' between values and Windows' line ends
    path = csv_file(tmp_path, sep=";", end="\r\n")
    ds = load_dataset(path)
    read_as_a_table_of_a_and_b(ds)
    # the bundle's predict.py reads the same file to the same samples
    assert same_rows(ds, predicted_rows(ds, path))


def test_so_it_is_in_a_data_file(tmp_path):
    path = tmp_path / "forms.data"
    path.write_text("a,b,label,notes\n" + "".join(f"{a},{b},{label},\n" for a, b, label in ROWS))
    read_as_a_table_of_a_and_b(load_dataset(path))


def test_so_it_is_in_a_json_lines_file_whose_notes_are_null(tmp_path):
    path = tmp_path / "forms.jsonl"
    path.write_text("".join(json.dumps({"a": a, "b": b, "label": label, "notes": None}) + "\n"
                            for a, b, label in ROWS))
    read_as_a_table_of_a_and_b(load_dataset(path))


def test_so_it_is_in_a_parquet_file(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "forms.parquet"
    pd.DataFrame({"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS],
                  "label": [r[2] for r in ROWS], "notes": [None] * len(ROWS)}).to_parquet(path)
    read_as_a_table_of_a_and_b(load_dataset(path))


def test_so_it_is_in_a_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["a", "b", "label", "notes"])
    for row in ROWS:
        book.active.append(list(row))
    path = tmp_path / "forms.xlsx"
    book.save(path)
    read_as_a_table_of_a_and_b(load_dataset(path))


def test_a_blank_column_between_others_is_left_out_too(tmp_path):
    path = tmp_path / "form.csv"
    path.write_text("age,score,label\n" + "".join(f"{20 + i},,{'xy'[i % 2]}\n"
                                                  for i in range(30)))
    ds = load_dataset(path)
    assert ds.input_shape == (1,)
    assert ds.meta["notes"] == ["score: empty on every row, left out: it tells the model "
                                "nothing"]


def test_a_text_file_with_a_blank_last_column_reads_its_texts_and_labels(tmp_path):
    path = tmp_path / "reviews.csv"
    words = ["a fine film with a good end", "a dull film that goes on and on"]
    path.write_text("review,label,notes\n" + "".join(f"{words[i % 2]},{'+-'[i % 2]},\n"
                                                     for i in range(30)))
    ds = load_dataset(path)
    assert ds.dtype == "int64" and ds.classes == ["+", "-"]
    assert ds.meta["label_column"] == "label"
    assert NOTE in ds.meta["notes"]


def test_the_blank_column_named_as_the_target_is_refused_in_words(tmp_path):
    with pytest.raises(DataError, match=r"^forms.csv, column 'notes': is blank on every row; "
                                        r"choose the column that holds the labels"):
        load_dataset(csv_file(tmp_path), target="notes")


def test_the_blank_column_dropped_is_dropped_without_a_note(tmp_path):
    ds = load_dataset(csv_file(tmp_path), drop=["notes"])
    assert ds.input_shape == (2,) and ds.meta["left_out"] == ["notes"]
    assert "notes" not in str(ds.meta.get("notes", []))


def test_with_the_label_named_the_note_names_no_label(tmp_path):
    ds = load_dataset(csv_file(tmp_path), target="label")
    assert ds.meta["notes"] == ["notes: empty on every row, left out: it tells the model "
                                "nothing"]


def test_a_table_of_a_column_and_a_blank_label_is_refused_naming_the_label(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,label\n" + "".join(f"{i},\n" for i in range(30)))
    with pytest.raises(DataError, match=r"^x.csv, column 'label': is blank on every row"):
        load_dataset(path)


def test_the_command_line_trains_on_it_and_says_the_column_left_out(tmp_path, capfd):
    assert main(["validate", "mlp-tabular", "--dataset", str(csv_file(tmp_path)), "--set",
                 "features=2", "--set", "classes=2"]) == 0
    assert capfd.readouterr().err == f"note: {NOTE}\n"


def test_rows_that_leave_out_the_blank_last_value_read_as_ones_that_end_with_it(tmp_path):
    """A header naming ``notes`` over rows with no value, and no delimiter, for it: every row
    was refused as one value short."""
    path = tmp_path / "short.csv"
    path.write_text("a,b,label,notes\n" + "".join(f"{a},{b},{label}\n" for a, b, label in ROWS))
    ds = load_dataset(path)
    read_as_a_table_of_a_and_b(ds)
    assert ds.meta["notes"][0] == ("every row holds one value fewer than the header's 4 "
                                   "columns: its last column, 'notes', read as empty on every "
                                   "row")
    assert same_rows(ds, predicted_rows(ds, path))


@pytest.mark.parametrize("rows, line", [("1,2,x\n3,4,y,z\n", 2), ("1,2,x,\n3,4\n", 3),
                                        ("1,2,x,n\n3,4,y\n", 3)])
def test_a_row_short_among_rows_that_fill_the_last_column_is_still_refused(tmp_path, rows,
                                                                           line):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,label,notes\n" + rows)
    with pytest.raises(DataError, match=rf"^ragged\.csv, line {line}: \d values, but the header "
                                        rf"has 4 columns$"):
        load_dataset(path)
