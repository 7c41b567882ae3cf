"""A newcomer's own table, as people keep them: numbers beside a comment, missing values
written as a dash, empty columns at the end, money in a comma-separated export. Each is read
as meant and said, and a bundle's predict.py reads a new file of the same kind as training
did (the rows it gives are the training rows' features, normalised alike)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layerloom.graph.export import predict_script
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.csvfile import read_header
from layerloom.runtime.data.preprocessing import preprocessing

ROWS = 60
WORDS = "great service slow delivery friendly staff would buy again never late".split()


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def comment(i: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(6))


def predicted_rows(ds, path) -> np.ndarray:
    """The file read by the bundle's predict.py and normalised as it does."""
    prep = preprocessing(ds)
    x = predict_script.read_rows(path, ds.input_shape, prep, [])
    return predict_script.normalize(x, prep["normalization"], "tabular").astype(np.float32)


def same_rows(ds, x: np.ndarray) -> bool:
    """Whether ``x`` holds the dataset's samples (all splits), in any order."""
    every = torch.cat([ds.x_train, ds.x_val, ds.x_test]).numpy()
    ours, theirs = (a[np.lexsort(a.T[::-1])] for a in (every, x))
    return ours.shape == theirs.shape and np.allclose(ours, theirs, atol=1e-5)


# -- a comment beside the numbers ------------------------------------------------------------

def notes_csv(tmp_path, name: str = "notes.csv"):
    rows = [f"{20 + i % 50},{30000 + 97 * i},{comment(i)},{'ab'[i % 3 > 0]}"
            for i in range(ROWS)]
    return write(tmp_path / name, "age,income,comment,label\n" + "\n".join(rows) + "\n")


def test_numbers_beside_a_comment_make_a_table_and_the_comment_is_said_left_out(tmp_path):
    """It was read as a text dataset of the comments, the numbers ignored: a [64] int64 input
    where the user had two columns of numbers."""
    path = notes_csv(tmp_path)
    ds = load_dataset(path)
    assert (ds.dtype, ds.input_shape) == ("float32", (2,))
    assert [c["name"] for c in ds.meta["columns"]] == ["age", "income"]
    assert ds.meta["target"] == "label" and ds.meta["left_out"] == ["comment"]
    assert ds.meta["notes"] == [
        "comment: free text (about 6 words a row), left out: the model learns from the other "
        "columns; to train on the texts instead, load the file with kind=text"]
    texts = load_dataset(path, kind="text")  # the way to the texts, as the note says
    assert texts.dtype == "int64" and texts.meta["text_column"] == "comment"
    assert same_rows(ds, predicted_rows(ds, path))


def test_a_comment_last_leaves_the_column_before_it_the_target(tmp_path):
    rows = [f"{20 + i % 50},{'ab'[i % 3 > 0]},{comment(i)}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "last.csv", "age,label,comment\n" + "\n".join(rows)))
    assert ds.meta["target"] == "label" and ds.classes == ["a", "b"]
    assert ds.input_shape == (1,)


@pytest.mark.parametrize("beside", ["id", "n"])
def test_texts_beside_an_id_or_a_row_number_are_still_texts(tmp_path, beside):
    rows = [f"{i},{comment(i)},{'pn'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "reviews.csv", f"{beside},review,label\n"
                            + "\n".join(rows)))
    assert ds.dtype == "int64" and ds.meta["text_column"] == "review"


# -- missing values written as a dash ----------------------------------------------------------

MARKS = ["", "NA", "N/A", "null", "-", "?"]


def marked_csv(tmp_path):
    rows = [f"{MARKS[i % 6] if i % 4 == 0 else i % 11},{(i * 3) % 17},{['Oslo', 'Rome'][i % 2]},"
            f"{'ab'[i % 3 > 0]}" for i in range(ROWS)]
    return write(tmp_path / "marked.csv", "a,b,city,label\n" + "\n".join(rows) + "\n")


def test_a_dash_among_numbers_is_a_missing_value_and_said(tmp_path):
    """'-' in a column of numbers stopped the file: "'-' is not a number, but nearly all of the
    column's values are"; spreadsheets write it for an empty amount."""
    path = marked_csv(tmp_path)
    ds = load_dataset(path)
    assert ds.input_shape == (4,) and ds.meta["columns"][0] == {"name": "a", "kind": "numeric"}
    notes = ds.meta["notes"]
    assert notes[0].startswith("15 missing values in a (lines ")
    assert " …) filled with the training mean (" in notes[0]
    assert "a: '-' among the numbers read as a missing value (5 cells)" in notes
    assert same_rows(ds, predicted_rows(ds, path))  # predict.py reads '-' as missing too


def test_the_exported_project_reads_a_dash_as_training_did(tmp_path):
    from layerloom.graph.templates import load_template
    from layerloom.runtime.export_project import export_project

    path = marked_csv(tmp_path)
    rows = path.read_text().splitlines()
    rows[5] = rows[5].rsplit(",", 1)[0] + ",-"  # a row whose label is a dash: a label '-'
    path.write_text("\n".join(rows) + "\n")
    graph = load_template("mlp-tabular")
    graph.variables.update(features=4, classes=3, hidden=8)
    result = export_project(graph, str(path), tmp_path / "proj", {"epochs": 1})
    assert result.data == "table" and result.notes == []  # read by data.py, not shipped arrays


def test_a_dash_in_a_numeric_target_leaves_the_row_out_and_a_word_is_refused(tmp_path):
    """A price column with a dash on some rows was taken for classes, one per price, without
    a word."""
    rows = [f"{i % 7},{i % 5},{'-' if i % 10 == 3 else 100 + 3.5 * i}" for i in range(ROWS)]
    path = write(tmp_path / "prices.csv", "a,b,price\n" + "\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.task == "regression" and ds.classes is None
    assert ds.meta["notes"][0].startswith("6 rows with no 'price' (lines 5, 15, 25, ")
    path.write_text(path.read_text().replace(",-\n", ",tbd\n"))
    with pytest.raises(DataError, match=r"prices.csv, line 5, column 'price': 'tbd' is not a "
                                        r"number, but nearly all of the target's values are"):
        load_dataset(path)


def test_plus_and_minus_are_classes_not_missing_labels(tmp_path):
    """UCI's credit file labels its rows '+' and '-'."""
    rows = [f"{i % 7},{'-' if i % 2 else '+'},{'+-'[i % 3 > 0]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "crx.csv", "a,sign,label\n" + "\n".join(rows)))
    assert ds.classes == ["+", "-"] and len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == ROWS
    assert ds.meta["columns"][1] == {"name": "sign", "kind": "categorical",
                                     "categories": ["+", "-"]}


# -- empty columns and rows at the end -------------------------------------------------------

@pytest.mark.parametrize("name", ["wide.csv", "wide.data"])
def test_empty_columns_at_the_end_are_no_columns_and_no_target(tmp_path, name):
    """A sheet saved once wider ends each line with several commas: the second empty column
    became the target, 'column 5: is blank on every row'."""
    rows = [f"{i % 11},{(i * 3) % 17},{'ab'[i % 3 > 0]},," for i in range(ROWS)]
    path = write(tmp_path / name, "a,b,label,,\n" + "\n".join(rows) + "\n,,,,\n,,,,\n\n")
    ds = load_dataset(path)
    assert ds.meta["target"] == "label" and ds.classes == ["a", "b"]
    assert [c["name"] for c in ds.meta["columns"]] == ["a", "b"]
    assert read_header(path) == ["a", "b", "label"]
    assert same_rows(ds, predicted_rows(ds, path))


# -- money and percentages -----------------------------------------------------------------

def euros(x: float) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " €"


def test_money_in_dollars_and_euros_and_percentages_in_a_comma_file_are_numbers(tmp_path):
    """A sheet in German exported with commas between the values quotes "1.037,50 €": it was
    read as categories, one a price (refused past 50 of them, one-hot without a word below)."""
    rows = [f'"${1000 + 37.5 * i:,.2f}","{euros(1000 + 37.5 * i)}",{i % 100}%,'
            f'"{i % 10},5 %",{"ab"[i % 3 > 0]}' for i in range(30)]
    path = write(tmp_path / "money.csv", "usd,eur,rate,share,label\n" + "\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.input_shape == (4,)
    assert [c.get("written") for c in ds.meta["columns"]] == [
        {"thousands": ",", "unit": "$"}, {"decimal": ",", "thousands": ".", "unit": "€"},
        {"unit": "%"}, {"decimal": ",", "unit": "%"}]
    assert "eur: numbers written with a '€' sign and '.' between thousands and a decimal " \
        "comma, read as numbers (1.000,00 € as 1000.00)" in ds.meta["notes"]
    assert same_rows(ds, predicted_rows(ds, path))
    from layerloom.graph.templates import load_template
    from layerloom.runtime.export_project import export_project

    graph = load_template("mlp-tabular")
    graph.variables.update(features=4, classes=2, hidden=8)
    result = export_project(graph, str(path), tmp_path / "proj", {"epochs": 1})
    assert result.data == "table" and result.notes == []


def test_thousands_commas_stay_thousands_where_no_decimal_comma_shows(tmp_path):
    rows = [f'"{77 + i},600",{i % 5},{"ab"[i % 2]}' for i in range(30)]
    ds = load_dataset(write(tmp_path / "n.csv", "n,k,label\n" + "\n".join(rows)))
    assert ds.meta["columns"][0]["written"] == {"thousands": ","}


# -- a target with a few rare classes --------------------------------------------------------

def test_classes_of_one_or_two_rows_are_named_with_the_splits_they_are_in(tmp_path):
    """A class seen once can be neither learned and tested, and it turns stratification off
    for every class: nothing said it."""
    labels = ["rare1" if i == 5 else "rare2" if i in (9, 40) else "ab"[i % 3 > 0]
              for i in range(ROWS)]
    rows = [f"{i % 11},{(i * 3) % 17},{label}" for i, label in enumerate(labels)]
    ds = load_dataset(write(tmp_path / "rare.csv", "a,b,label\n" + "\n".join(rows)))
    [note] = [n for n in ds.meta["notes"] if "fewer than 3 rows" in n]
    counts = ds.class_counts()
    where = [name for name, split in zip(("training", "validation", "test"), counts.values())
             if split["rare1"]]
    assert note.startswith("label: 2 classes with fewer than 3 rows, too few to learn and to "
                           f"test: 'rare1' (1 row, in {where[0]} only), 'rare2' (2 rows, in ")
    assert note.endswith("add rows of them, or merge them into another class")
    texts = [f"{comment(i)},{label}" for i, label in enumerate(labels)]
    ds = load_dataset(write(tmp_path / "texts.csv", "review,label\n" + "\n".join(texts)))
    assert any(n.startswith("label: 2 classes with fewer than 3 rows") for n in ds.meta["notes"])


def test_a_column_of_one_value_is_said_to_tell_nothing(tmp_path):
    rows = [f"{i % 11},FR,1,{'ab'[i % 3 > 0]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "const.csv", "a,country,version,label\n"
                            + "\n".join(rows)))
    assert ds.meta["notes"] == [
        "country: the same value on every row ('FR'): it tells the model nothing; drop it "
        "with drop=['country']",
        "version: the same value on every row ('1'): it tells the model nothing; drop it "
        "with drop=['version']"]


def test_a_money_column_mostly_dashes_is_numbers(tmp_path):
    """A discount column, '-' where there is none, was read as categories ('$0.50', '-')."""
    rows = [f"{f'${i % 9}.50' if i % 3 == 0 else '-'},{i % 7},{'ab'[i % 3 > 0]}"
            for i in range(ROWS)]
    path = write(tmp_path / "discount.csv", "discount,qty,label\n" + "\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.meta["columns"][0] == {"name": "discount", "kind": "numeric",
                                     "written": {"unit": "$"}}
    assert "discount: '-' among the numbers read as a missing value (40 cells)" in \
        ds.meta["notes"]
    assert same_rows(ds, predicted_rows(ds, path))


# -- yes/no typed by hand ----------------------------------------------------------------------

def test_yes_no_true_false_are_two_categories_and_case_variants_are_said(tmp_path):
    rows = [f"{['yes', 'no'][i % 2]},{['TRUE', 'FALSE'][i % 3 > 0]},{['Y', 'N'][i % 5 > 0]},"
            f"{i % 7},{['Yes', 'No'][i % 3 > 0] if i % 10 else 'yes'}" for i in range(ROWS)]
    path = write(tmp_path / "flags.csv", "member,active,vip,score,bought\n" + "\n".join(rows))
    ds = load_dataset(path)
    assert ds.input_shape == (7,)  # three two-valued columns, one-hot, and score
    assert [c.get("categories") for c in ds.meta["columns"][:3]] == [
        ["no", "yes"], ["FALSE", "TRUE"], ["N", "Y"]]
    assert ds.classes == ["No", "Yes", "yes"]
    assert ds.meta["notes"] == [
        "bought: 'Yes' and 'yes' differ only in case or spaces, and are read as different "
        "values; write each alike if they mean the same"]
    assert same_rows(ds, predicted_rows(ds, path))


def test_the_projects_data_py_leaves_out_the_rows_training_left_out(tmp_path):
    """data.py keeps its own copy of the rule (it must stand alone): a dash in a column of
    numbers is no label, and among words it is one."""
    import importlib.util
    from pathlib import Path

    import layerloom.runtime.export_project as project

    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    for labels in (["1.5", "-", "2", "NA", "3"], ["+", "-", "+", "NA", "-"]):
        rows = [[str(i), label] for i, label in enumerate(labels)]
        path = write(tmp_path / "t.csv", "a,y\n" + "\n".join(",".join(r) for r in rows))
        kept = load_dataset(path, val_fraction=0, test_fraction=0, task="auto"
                            if labels[0] == "+" else "regression")
        got = template._labelled(["a", "y"], rows, "y", path)
        assert len(got) == len(kept.x_train)


def test_two_columns_of_free_text_beside_numbers_are_both_left_out(tmp_path):
    """A comment and a description beside the numbers: neither was taken for the texts, and
    each was refused as too many categories to one-hot."""
    rows = [f"{20 + i % 50},{comment(i)},{comment(i + 3)} and more,{'ab'[i % 3 > 0]}"
            for i in range(ROWS)]
    path = write(tmp_path / "two.csv", "age,comment,description,label\n" + "\n".join(rows))
    ds = load_dataset(path)
    assert (ds.dtype, ds.input_shape) == ("float32", (1,))
    assert ds.meta["left_out"] == ["comment", "description"]
    assert ds.meta["notes"] == [
        "comment, description: free text (about 6 to 8 words a row), left out: the model "
        "learns from the other columns; to train on one of them as texts instead, load the "
        "file with kind=text and name it with text_column"]
    texts = load_dataset(path, kind="text", text_column="description")
    assert texts.dtype == "int64"


def test_the_project_reads_a_target_of_amounts_itself(tmp_path):
    """A spend column written '$1,013.25' was read by training, but the project's data.py
    could not ('could not convert string to float'): it shipped arrays in the file's place."""
    from layerloom.graph.templates import load_template
    from layerloom.runtime.export_project import export_project

    rows = [f'{i % 7},{i % 5},"{"-" if i == 4 else f"${1000 + i * 13.25:,.2f}"}"'
            for i in range(ROWS)]
    path = write(tmp_path / "spend.csv", "a,b,spend\n" + "\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.task == "regression" and ds.meta["target_written"] == {"thousands": ",",
                                                                     "unit": "$"}
    graph = load_template("mlp-tabular")
    graph.variables.update(features=2, classes=1, hidden=8)
    graph.extra["task"] = "regression"
    result = export_project(graph, str(path), tmp_path / "proj", {"epochs": 1})
    assert result.data == "table" and result.notes == []


# -- a title above the table -----------------------------------------------------------------

@pytest.mark.parametrize("title", ["Sales report 2024\n\n", "Sales report 2024,,\n"])
def test_a_title_above_the_header_is_said_as_one(tmp_path, title):
    """A sheet's title line became the header: '3 values, but the header has 1 columns', or
    the real header read as data ('age' is not a number)."""
    rows = [f"{20 + i},{3000 + 7 * i},{'ab'[i % 2]}" for i in range(ROWS)]
    path = write(tmp_path / "report.csv", title + "age,income,label\n" + "\n".join(rows))
    line = title.count("\n") + 1
    with pytest.raises(DataError, match=rf"^report.csv, line 1: 'Sales report 2024' reads as a "
                                        rf"title above the table, not as its header; delete "
                                        rf"what is above the header row \(line {line}: age, "
                                        rf"income, label\)"):
        load_dataset(path)


def test_a_header_of_one_name_above_words_is_no_title(tmp_path):
    path = write(tmp_path / "pairs.csv", "name,\n" + "\n".join(
        f"{'AB'[i % 2]}{i},{'xy'[i % 3 > 0]}" for i in range(ROWS)))
    assert load_dataset(path).meta["target"] == "column 2"
