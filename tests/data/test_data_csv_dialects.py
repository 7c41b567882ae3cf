"""CSV files as spreadsheets and other programs write them (runtime/data/csvfile.py): decimal
commas and thousands separators read as the numbers they are, text that is not UTF-8, Excel's
UTF-16 "Unicode Text", a workbook renamed .csv, rows without a label, a file without a header.
Each is read as meant and said in the dataset's notes, or refused in words that name the file,
the line or column, and what to do; never misread without a word."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.csvfile import read_header, read_table

ROWS = 40


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def numeric(ds, name: str) -> dict:
    [column] = [c for c in ds.meta["columns"] if c["name"] == name]
    return column


def test_decimal_commas_in_a_semicolon_file_are_numbers_and_said(tmp_path):
    lines = ["length;width;label"] + [f"{i},5;-0,{i % 10}{5};{'ab'[i % 2]}" for i in range(ROWS)]
    path = write(tmp_path / "eu.csv", "\n".join(lines))
    table = read_table(path)
    assert table.rows[3][:2] == ["3.5", "-0.35"]
    ds = load_dataset(path)
    assert ds.input_shape == (2,)
    assert numeric(ds, "length") == {"name": "length", "kind": "numeric",
                                     "written": {"decimal": ","}}
    assert ds.meta["notes"] == ["length, width: numbers written with a decimal comma, read as "
                                "numbers (0,5 as 0.5)"]


@pytest.mark.parametrize(("header", "first", "read", "form", "said"), [
    ("income,age,label", '"1,234,000",30,a', "1234000", {"thousands": ","},
     "income: numbers written with ',' between thousands, read as numbers (1,234,000 as "
     "1234000)"),
    ("income;age;label", "1.234.000,5;30;a", "1234000.5", {"decimal": ",", "thousands": "."},
     "income: numbers written with '.' between thousands and a decimal comma, read as numbers "
     "(1.234.000,5 as 1234000.5)"),
    ("income;age;label", "1 234 000;30;a", "1234000", {"thousands": " "},
     "income: numbers written with a space between thousands, read as numbers (1 234 000 as "
     "1234000)"),
    ("income\tage\tlabel", "1'234'000.5\t30\ta", "1234000.5", {"thousands": "'"},
     "income: numbers written with an apostrophe between thousands, read as numbers "
     "(1'234'000.5 as 1234000.5)"),
], ids=["comma", "dot-and-decimal-comma", "space", "apostrophe"])
def test_thousands_separators_are_numbers_not_categories(tmp_path, header, first, read, form,
                                                         said):
    """``"77,600"`` was read as text: 40 incomes became 40 one-hot categories."""
    delimiter = header[6]
    rows = [first] + [delimiter.join([str(100 * i), str(i), "ab"[i % 2]]) for i in range(ROWS)]
    path = write(tmp_path / "money.csv", header + "\n" + "\n".join(rows))
    assert read_table(path).rows[0][0] == read
    ds = load_dataset(path)
    assert ds.input_shape == (2,)  # income and age, both numbers
    assert numeric(ds, "income")["written"] == form
    assert ds.meta["notes"] == [said]


def test_a_stray_word_among_grouped_numbers_is_named_not_turned_into_categories(tmp_path):
    rows = [f'"{1000 * (i + 1):,}",{"ab"[i % 2]}' for i in range(ROWS)]
    rows[7] = '"about 9,000",b'
    path = write(tmp_path / "money.csv", "income,label\n" + "\n".join(rows))
    with pytest.raises(DataError, match=r"money\.csv, line 9, column 'income': 'about 9,000' is "
                                        r"not a number"):
        load_dataset(path)


def test_a_quoted_decimal_comma_in_a_comma_file_is_not_taken_for_thousands(tmp_path):
    """``"0,125"`` cannot be a thousands group (none starts with 0): left as it is."""
    rows = [f'"0,{100 + i}",{"ab"[i % 2]}' for i in range(ROWS)]
    table = read_table(write(tmp_path / "odd.csv", "share,label\n" + "\n".join(rows)))
    assert table.rows[0][0] == "0,100" and not table.written


def test_windows_1252_text_is_read_with_a_note(tmp_path):
    """Excel on Windows saves "CSV" in its code page: 'Besançon' was refused as not UTF-8 (and
    the Data page offered no columns)."""
    cities = ["Besançon", "Orléans", "Nîmes", "Köln"]
    rows = [f"{cities[i % 4]};{i};{'ab'[i % 2]}" for i in range(ROWS)]
    path = write(tmp_path / "villes.csv", "ville;taille;étiquette\r\n" + "\r\n".join(rows),
                 "cp1252")
    assert read_header(path) == ["ville", "taille", "étiquette"]
    ds = load_dataset(path)
    assert numeric(ds, "ville")["categories"] == ["Besançon", "Köln", "Nîmes", "Orléans"]
    assert ds.classes == ["a", "b"]
    assert ds.meta["notes"][0] == (
        "not UTF-8 text: read as Windows-1252 (Western European, as Excel saves a CSV on "
        "Windows) from line 1 on; if accented letters look wrong, save the file as CSV UTF-8")


def test_excel_unicode_text_utf16_with_tabs_is_read(tmp_path):
    rows = [f"{i}\t{i * 0.5}\t{'ab'[i % 2]}" for i in range(ROWS)]
    path = tmp_path / "export.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + ("größe\tgewicht\tlabel\r\n" + "\r\n".join(rows))
                     .encode("utf-16-le"))
    assert read_header(path) == ["größe", "gewicht", "label"]
    ds = load_dataset(path)
    assert [c["name"] for c in ds.meta["columns"]] == ["größe", "gewicht"]
    assert "notes" not in ds.meta


@pytest.mark.parametrize(("magic", "what"), [
    (b"PK\x03\x04", "is an Excel workbook (.xlsx) or another zip file, not CSV text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "is an Excel 97-2003 workbook (.xls), not CSV text"),
])
def test_a_workbook_saved_as_csv_is_named_for_what_it_is(tmp_path, magic, what):
    path = tmp_path / "sales.csv"
    path.write_bytes(magic + bytes(range(256)) * 4)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (f"sales.csv: {what}; save it as CSV (CSV UTF-8 in Excel's "
                                 f"Save As) and load that file")


def test_bom_crlf_and_quoted_newlines_keep_names_values_and_lines(tmp_path):
    rows = [f'"note {i}, with a comma\r\nand a second line",{i}.5,{"ab"[i % 2]}'
            for i in range(ROWS)]
    path = write(tmp_path / "notes.csv", "\ufeff note , size ,label\r\n" + "\r\n".join(rows))
    table = read_table(path)
    assert table.header == ["note", "size", "label"]  # no BOM glued to 'note', no spaces
    assert table.rows[1] == ["note 1, with a comma\r\nand a second line", "1.5", "b"]
    assert table.lines[:3] == [3, 5, 7]  # where each row ends, as csv counts lines
    assert not table.notes and not table.written


def test_rows_without_a_label_are_left_out_and_their_lines_named(tmp_path):
    rows = [f"{i},{i % 3},{'ab'[i % 2]}" for i in range(ROWS)]
    for i in (4, 17):
        rows[i] = f"{i},1,"
    rows[30] = "30,1,NA"
    ds = load_dataset(write(tmp_path / "part.csv", "a,b,label\n" + "\n".join(rows)))
    assert ds.meta["notes"] == ["3 rows with no 'label' (lines 6, 19, 32) left out: a sample "
                                "needs its label"]
    assert sum(part["size"] for part in ds.describe()["splits"].values()) == ROWS - 3
    # texts too
    texts = [f'"this was a {"good" if i % 2 else "bad"} film, truly {i}",{"pn"[i % 2]}'
             for i in range(ROWS)]
    texts[5] = '"no label on this one at all",'
    ds = load_dataset(write(tmp_path / "reviews.csv", "review,label\n" + "\n".join(texts)))
    assert ds.dtype == "int64" and ds.classes == ["n", "p"]
    assert ds.meta["notes"] == ["1 row with no 'label' (line 7) left out: a sample needs its "
                                "label"]


def test_a_label_column_blank_on_every_row_is_refused(tmp_path):
    path = write(tmp_path / "x.csv", "a,label\n" + "\n".join(f"{i}," for i in range(ROWS)))
    with pytest.raises(DataError, match=r"x\.csv, column 'label': is blank on every row; choose "
                                        r"the column that holds the labels with target=NAME"):
        load_dataset(path)


def test_one_class_says_what_to_do(tmp_path):
    path = write(tmp_path / "one.csv", "a,label\n" + "\n".join(f"{i},yes" for i in range(ROWS)))
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == ("one.csv, column 'label': only one class ('yes'); "
                                 "classification needs at least 2: add samples of another "
                                 "class, or choose another column to predict with target=NAME")


def test_a_duplicate_column_name_says_which_columns_and_what_to_do(tmp_path):
    path = write(tmp_path / "dup.csv", "x,y,x,label\n" + "\n".join(
        f"{i},{i},{i},{i % 2}" for i in range(ROWS)))
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == ("dup.csv, line 1: column 'x' appears twice in the header "
                                 "(columns 1 and 3); rename one of them so that each column "
                                 "has a name of its own")


def test_a_headerless_file_of_decimal_commas_is_refused_not_read_as_names(tmp_path):
    """``7,76;3,79;0`` was taken for column names: a sample lost, and names that are data."""
    rows = [f"{i},{i % 10};{i % 7},5;{i % 2}" for i in range(ROWS)]
    path = write(tmp_path / "raw.csv", "\n".join(rows))
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == ("raw.csv, line 1: looks like data, not column names ('0,0', "
                                 "'0,5', '0'): add a header row that names the columns")


def test_a_camel_case_id_column_is_named_as_an_id(tmp_path):
    """Titanic's ``PassengerId``: unique whole numbers, used as a feature without a word."""
    rows = [f"{1000 + i},{i % 5}.5,{'ab'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "t.csv", "PassengerId,fare,label\n" + "\n".join(rows)))
    assert ds.meta["notes"] == [
        "PassengerId: a different whole number on every row, named like an id: as a feature "
        "it only adds noise; drop it with drop=['PassengerId'] unless its value means "
        "something"]
    assert load_dataset(tmp_path / "t.csv", drop=["PassengerId"]).input_shape == (1,)
    values = np.array([float(r[1]) for r in read_table(tmp_path / "t.csv").rows])
    assert values[:3].tolist() == [0.5, 1.5, 2.5]


def test_names_with_commas_in_a_semicolon_file_split_at_the_semicolons(tmp_path):
    """``Höhe, cm;Breite, cm;Art`` unquoted: the header's 2 commas tied its 2 semicolons and
    ',' won: columns 'Höhe', 'cm;Breite', 'cm;Art', the target values like '25;b'."""
    rows = [f"{i % 9},5;-{i % 4},25;{'ab'[i % 2]}" for i in range(ROWS)]
    path = write(tmp_path / "maße.csv", "Höhe, cm;Breite, cm;Art\n" + "\n".join(rows))
    assert read_header(path) == ["Höhe, cm", "Breite, cm", "Art"]
    assert read_table(path).rows[1] == ["1.5", "-1.25", "b"]
    ds = load_dataset(path)
    assert ds.classes == ["a", "b"] and ds.input_shape == (2,)
    assert ds.meta["notes"] == ["'Höhe, cm', 'Breite, cm': numbers written with a decimal "
                                "comma, read as numbers (0,5 as 0.5)"]


def test_excels_sep_line_names_the_separator_and_is_no_header(tmp_path):
    rows = [f"{i},5;{i % 4};{'ab'[i % 2]}" for i in range(ROWS)]
    path = write(tmp_path / "excel.csv", "sep=;\r\nlength;width;label\r\n" + "\r\n".join(rows))
    assert read_header(path) == ["length", "width", "label"]
    table = read_table(path)
    assert table.header == ["length", "width", "label"] and table.lines[0] == 3
    assert table.rows[2] == ["2.5", "2", "a"]


def test_a_decimal_comma_in_a_comma_file_is_told_how_to_save_it(tmp_path):
    path = write(tmp_path / "mixed.csv", "a,b,label\n3,14,2,5,x\n")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "mixed.csv, line 2: 5 values, but the header has 3 columns; where numbers are written "
        "with a decimal comma (3,14), save the file with ';' between the values, or put those "
        "numbers in quotes")


def test_the_index_pandas_writes_first_is_named_as_counting_the_rows(tmp_path):
    """``df.to_csv(path)`` without ``index=False``: a first column with no name, 0, 1, 2, …,
    read as a feature without a word."""
    rows = [f"{i},{i % 5}.5,{'ab'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "df.csv", ",fare,label\n" + "\n".join(rows)))
    assert ds.meta["notes"] == [
        "column 1: counts the rows (0, 1, 2, …; an index, as pandas' to_csv writes one): as a "
        "feature it only adds noise; drop it with drop=['column 1']"]
    assert load_dataset(tmp_path / "df.csv", drop=["column 1"]).input_shape == (1,)
    # a named column of the same numbers is the user's own (x in y = 2x + 1): no word
    named = write(tmp_path / "line.csv", "x,y\n" + "\n".join(f"{i},{2 * i + 1}"
                                                             for i in range(ROWS)))
    assert "notes" not in load_dataset(named).meta


def test_excels_text_files_are_tables(tmp_path):
    """Excel's "Text (Tab delimited)" and "Unicode Text" save .txt: refused as a file type."""
    rows = [f"{i}\t{i % 4},5\t{'ab'[i % 2]}" for i in range(ROWS)]
    path = tmp_path / "export.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + ("n\tsize\tlabel\r\n" + "\r\n".join(rows))
                     .encode("utf-16-le"))
    assert read_header(path) == ["n", "size", "label"]
    ds = load_dataset(path)
    assert ds.classes == ["a", "b"] and ds.input_shape == (2,)
    assert read_table(path).rows[1] == ["1", "1.5", "b"]


@pytest.mark.parametrize(("cells", "read", "form", "said"), [
    (['"$1,250.50"', '"$12.00"'], ["1250.50", "12.00"], {"thousands": ",", "unit": "$"},
     "price: numbers written with a '$' sign and ',' between thousands, read as numbers "
     "($1,250.50 as 1250.50)"),
    (["12 %", "5%"], ["0.12", "0.05"], {"unit": "%"},  # the fractions a workbook stores
     "price: numbers written with a '%' sign, read as the fractions they mean, as a workbook "
     "stores a percentage (12 % as 0.12)"),
    (['"1.250,50 €"', '"12,00 €"'], ["1250.50", "12.00"],
     {"decimal": ",", "thousands": ".", "unit": "€"}, None),
], ids=["dollars", "percent", "euros"])
def test_currency_and_percent_signs_are_taken_off_numbers(tmp_path, cells, read, form, said):
    """``$1,250.50`` was a category: a price column became one-hot columns without a word."""
    delimiter = ";" if "€" in cells[0] else ","
    rows = [delimiter.join([cells[i % 2], str(i), "ab"[i % 2]]) for i in range(ROWS)]
    path = write(tmp_path / "shop.csv", delimiter.join(["price", "n", "label"]) + "\n"
                 + "\n".join(rows))
    assert [row[0] for row in read_table(path).rows[:2]] == read
    ds = load_dataset(path)
    assert ds.input_shape == (2,) and numeric(ds, "price")["written"] == form
    if said:
        assert ds.meta["notes"] == [said]


@pytest.mark.parametrize("date, order, width", [
    ("2024/03/{d:02d}", None, 5), ("3/{d}/2024 2:05 PM", "mdy", 7),
    ("2024-03-{d:02d}T08:00:00+01:00", None, 7), ("{d:02d}.03.2024", "dmy", 5)])
def test_dates_as_spreadsheets_and_logs_write_them_are_read_as_dates(tmp_path, date, order,
                                                                     width):
    """``2024-03-01T08:00:00+01:00`` is seven "words": the table was taken for a text dataset
    of its timestamps; ``2024/03/01`` and ``3/1/2024`` were categories without a word. Each
    is a date (its day and month in the order its values show), made a few numbers."""
    rows = [f"{date.format(d=1 + i % 28)},{i % 5}.5,{'ab'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "log.csv", "when,size,label\n" + "\n".join(rows)),
                      val_fraction=0, test_fraction=0)
    assert ds.dtype == "float32" and ds.input_shape == (width + 1,)  # a table: dates and size
    assert ds.meta["columns"][0] == {"name": "when", "kind": "date", "order": order,
                                     "utc": "+" in date,  # read as UTC times
                                     "origin": "2024-03-01", "time": width == 7}
    assert ds.meta["notes"][0].startswith(f"when → {width} columns: days since 2024-03-01, ")


def test_a_column_of_uuids_or_urls_does_not_make_a_table_a_text_dataset(tmp_path):
    """``550e8400-e29b-41d4-a716-4466554400NN`` is five tokens: the table was read as a text
    dataset of its ids, its numbers left out without a word."""
    rows = [f"550e8400-e29b-41d4-a716-4466554400{i:02d},https://shop.example/item/{i}/view,"
            f"{i % 5}.5,{'ab'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "orders.csv", "uuid,url,size,label\n" + "\n".join(rows)),
                      drop=["uuid", "url"])
    assert ds.dtype == "float32" and ds.input_shape == (1,)
    texts = [f'"this was a {"good" if i % 2 else "bad"} film, truly",{i},{"pn"[i % 2]}'
             for i in range(ROWS)]  # real free text still makes a text dataset
    assert load_dataset(write(tmp_path / "r.csv", "review,n,label\n" + "\n".join(texts))
                        ).dtype == "int64"


def test_a_dropped_column_of_free_text_leaves_a_table(tmp_path):
    rows = [f'"a long note about order {i}, typed by hand",{i % 5}.5,{i % 3},{"ab"[i % 2]}'
            for i in range(ROWS)]
    path = write(tmp_path / "notes.csv", "note,size,n,label\n" + "\n".join(rows))
    ds = load_dataset(path, drop=["note"])  # it was read as the texts all the same
    assert ds.dtype == "float32" and ds.input_shape == (2,)
    assert "free text" not in " ".join(ds.meta.get("notes", []))  # dropped as asked: no note


def test_columns_left_out_of_a_text_dataset_are_named(tmp_path):
    """A table of numbers with one column of notes, read as texts where asked, names the
    numbers it leaves out."""
    rows = [f'"a long note about order {i}, typed by hand",{i % 5}.5,{i % 3},{"ab"[i % 2]}'
            for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "notes.csv", "note,size,n,label\n" + "\n".join(rows)),
                      kind="text")
    assert ds.dtype == "int64"
    assert ds.meta["notes"] == [
        "read as texts ('note') and their labels ('label'); the other columns (size, n) left "
        "out: to train on them instead, load it with kind=tabular and drop=['note']"]


@pytest.mark.parametrize("text", ["hello\n", "It was a dark night, and it rained.\nThen it "
                                  "stopped.\n"])
def test_a_text_file_of_prose_says_what_training_needs(tmp_path, text):
    with pytest.raises(DataError) as caught:
        load_dataset(write(tmp_path / "story.txt", text))
    assert str(caught.value).startswith("story.txt, line 1: reads as plain text, not a table")
    assert str(caught.value).endswith("for texts, a column of texts and one of labels")
