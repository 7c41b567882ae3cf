"""UCI's ``.data`` and ``.dat`` files (runtime/data/datafile.py): values separated by commas or
by runs of spaces, usually without a header, read as tables whose columns are named and said,
the label chosen as for a CSV. They were refused as a type that cannot be loaded."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, list_file_kinds, load_dataset
from layerloom.runtime.data.csvfile import read_header

HOUSING = [" 0.00632  18.00   2.310  0  0.5380  6.5750  65.20  4.0900   1  296.0  15.30 396.90"
           "   4.98  24.00",
           " 0.02731   0.00   7.070  0  0.4690  6.4210  78.90  4.9671   2  242.0  17.80 396.90"
           "   9.14  21.60"]
AUTO_MPG = ['18.0   8   307.0      130.0      3504.      12.0   70  1\t"chevrolet chevelle malibu"',
            '25.0   4   98.00      ?          2046.      19.0   71  1\t"ford pinto"']
IRIS = ["5.1,3.5,1.4,0.2,Iris-setosa", "7.0,3.2,4.7,1.4,Iris-versicolor"]


def write(path, lines: list[str], times: int = 20):
    path.write_text("\n".join(lines * times) + "\n\n", encoding="utf-8")
    return path


def test_a_space_separated_file_without_a_header_names_its_columns(tmp_path):
    path = write(tmp_path / "housing.data", HOUSING)
    names = [f"column {i}" for i in range(1, 15)]
    assert read_header(path) == names  # the Data page's label choice
    ds = load_dataset(path, task="regression")
    assert ds.input_shape == (13,) and ds.meta["target"] == "column 14"
    assert ds.meta["notes"][0] == ("no header row: the 14 columns are named column 1 … "
                                   "column 14, and the last is the label unless target names "
                                   "another")
    assert [n.split(":")[0] for n in ds.meta["notes"][1:]] == ["column 4", "column 12"]  # 0s


def test_quoted_names_tabs_and_question_marks_of_auto_mpg(tmp_path):
    path = write(tmp_path / "auto-mpg.data", AUTO_MPG)
    ds = load_dataset(path, target="column 1", drop=("column 9",), task="regression")
    assert ds.input_shape == (7,)
    assert any(note.startswith("20 missing values in column 4 (lines ") and
               note.endswith(" …) filled with the training mean (130)")
               for note in ds.meta["notes"])
    assert read_header(path)[-1] == "column 9"


def test_a_comma_separated_data_file_is_read_as_iris_is(tmp_path):
    ds = load_dataset(write(tmp_path / "iris.data", IRIS))
    assert ds.input_shape == (4,) and ds.classes == ["Iris-setosa", "Iris-versicolor"]


def test_a_header_row_names_the_columns(tmp_path):
    path = write(tmp_path / "pima.dat", ["preg glucose label"], 1)
    path.write_text(path.read_text() + "\n".join(f"{i} {100 + i} {i % 2}" for i in range(30)))
    assert read_header(path) == ["preg", "glucose", "label"]
    ds = load_dataset(path)
    assert ds.input_shape == (2,) and not ds.meta.get("notes")


def test_a_row_of_another_length_is_named_by_its_line(tmp_path):
    path = write(tmp_path / "housing.data", HOUSING, 3)
    path.write_text(path.read_text() + "1 2 3\n")
    with pytest.raises(DataError, match=r"housing\.data, line 8: 3 values, but the first row "
                                        r"has 14; each row of a \.data file"):
        load_dataset(path)


def test_the_file_kinds_list_data_files_for_the_uploader():
    [table] = [kind for kind in list_file_kinds() if ".csv" in kind["suffixes"]]
    assert {".data", ".dat"} <= set(table["suffixes"])


@pytest.mark.parametrize("lines", [HOUSING, AUTO_MPG, IRIS, ["preg glucose label", "1 100 0",
                                                            "2 101 1"]],
                         ids=["spaces", "quoted-names", "commas", "header"])
def test_predict_reads_a_data_file_as_training_did(tmp_path, lines):
    """predict.py found 'no row of numbers' in a new housing.data: it split it at commas."""
    from layerloom.graph.export import predict_script
    from layerloom.runtime.data.csvfile import read_table

    path = write(tmp_path / "new.data", lines, 3)
    table = read_table(path)
    header, rows = predict_script.read_table(path)
    assert header == table.header
    assert [[cell.strip() for cell in row] for row in rows] == \
        [[cell.strip() for cell in row] for row in table.rows]


def test_a_bundles_predict_reads_rows_of_a_new_data_file(tmp_path):
    from layerloom.graph.export import predict_script

    columns = load_dataset(write(tmp_path / "housing.data", HOUSING),
                           task="regression").meta["columns"]
    new = write(tmp_path / "new.data", [HOUSING[1]], 1)  # with its label: left aside by name
    got = predict_script.read_rows(new, (13,), {"kind": "tabular", "columns": columns}, [])
    assert got[0, :3].tolist() == [0.02731, 0.0, 7.07]


def test_predicts_help_says_a_data_file_is_read(tmp_path):
    """A model trained on a table: predict.py --help (and the card) names .data files too."""
    from layerloom.graph.export import predict_script

    columns = load_dataset(write(tmp_path / "housing.data", HOUSING),
                           task="regression").meta["columns"]
    manifest = {"inputs": [{"name": "x", "shape": [13], "dtype": "float32"}],
                "preprocessing": {"kind": "tabular", "columns": columns}}
    said = " ".join(predict_script.input_files(manifest))
    assert "A UCI-style .data or .dat file" in said and "column 1, column 2" in said
