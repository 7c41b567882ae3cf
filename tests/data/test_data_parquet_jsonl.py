"""Parquet and JSON lines files are read as tables (runtime/data/records.py), as a CSV of the
same rows is: by the loader, the CLI's --dataset, the bundle's predict.py and the exported
project's data.py (these two without LayerLoom, saying in one line what is missing). They were
refused with the line of pandas that converts them. Hostile ones are held to a CSV's budgets
and refused naming the line and column at fault."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.cli import main
from layerloom.graph.export import predict_script
from layerloom.graph.templates import load_template
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.csvfile import read_header, read_table
from layerloom.runtime.data.records import read_records
from layerloom.runtime.export_project import export_project

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"age": rng.integers(18, 80, n),
                         "income": rng.normal(50, 10, n).round(2),
                         "city": rng.choice(["Paris", "Lyon", "Nîmes"], n),
                         "label": rng.choice(["yes", "no"], n)})


def written(tmp_path: Path, df: pd.DataFrame, stem: str = "people") -> dict[str, Path]:
    paths = {"csv": tmp_path / f"{stem}.csv", "parquet": tmp_path / f"{stem}.parquet",
             "jsonl": tmp_path / f"{stem}.jsonl"}
    df.to_csv(paths["csv"], index=False)
    df.to_parquet(paths["parquet"])
    df.to_json(paths["jsonl"], orient="records", lines=True, force_ascii=False)
    return paths


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data_records", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_a_parquet_or_jsonl_file_loads_as_the_csv_of_its_rows(tmp_path, kind):
    paths = written(tmp_path, frame())
    want, got = load_dataset(paths["csv"]), load_dataset(paths[kind])
    assert got.classes == want.classes == ["no", "yes"]
    assert got.meta["columns"] == want.meta["columns"]
    for split in ("train", "val", "test"):
        for have, expected in zip(got.split(split), want.split(split)):
            np.testing.assert_array_equal(have.numpy(), expected.numpy())
    assert read_header(paths[kind]) == ["age", "income", "city", "label"]


def test_an_ndjson_file_too_and_its_lines_are_the_files(tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_text('{"x": 1.5, "ok": true, "tag": null, "label": "a"}\n\n'
                    '{"label": "b", "x": -2, "ok": false, "extra": "late"}\r\n')
    table = read_records(path)
    assert table.header == ["x", "ok", "tag", "label", "extra"]
    assert table.rows == [["1.5", "true", "", "a", ""], ["-2", "false", "", "b", "late"]]
    assert table.lines == [1, 3]


@pytest.mark.parametrize("text, said", [
    ('{"a": 1, "label": "x"}\n{"a": 2, "label": "y"\n',
     r"bad\.jsonl, line 2: not valid JSON \(Expecting ',' delimiter, at character 22\)"),
    ('{"a": 1, "label": "x"}\n{"a": {"b": 2}, "label": "y"}\n',
     r"bad\.jsonl, line 2, column 'a': holds an object, not one value: .*pd\.json_normalize"),
    ('{"a": 1, "label": "x"}\n\n{"a": [1, 2], "label": "y"}\n',
     r"bad\.jsonl, line 3, column 'a': holds an array, not one value"),
    ('{"a": 1, "label": "x"}\n[1, "y"]\n', r"bad\.jsonl, line 2: holds an array, not an "
                                          r"object: each line of a JSON lines table is one"),
    ('{"a": 1, "a": 2, "label": "x"}\n',
     r"bad\.jsonl, line 1, column 'a': key 'a' is written twice"),
    ('[\n  {"a": 1, "label": "x"}\n]\n', r"bad\.jsonl, line 1: not valid JSON .*a JSON "
                                         r"document written over several lines"),
    ("\n\n", r"bad\.jsonl: the file is empty"),
])
def test_a_bad_json_lines_file_names_the_line_and_column(tmp_path, text, said):
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(DataError, match=said):
        load_dataset(path)


def test_json_lines_that_are_not_utf8_are_not_what_their_name_says(tmp_path, capsys):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b'{"a": 1, "label": "x"}\n\x1f\x8b\x08\x00\xff\xfe')
    with pytest.raises(DataError, match=r"bin\.jsonl, line 2: is not UTF-8 text") as refused:
        load_dataset(path)
    assert refused.value.unreadable
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 2


def test_a_parquet_file_that_is_not_one_says_so_and_exits_2(tmp_path, capsys):
    path = tmp_path / "table.parquet"
    path.write_text("age,label\n1,a\n")
    with pytest.raises(DataError, match=r"table\.parquet: is not a Parquet file") as refused:
        load_dataset(path)
    assert refused.value.unreadable
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: table.parquet: is not a Parquet file") and err.count("\n") == 1
    assert read_header(path) == []


def test_a_parquet_column_of_lists_is_refused_naming_it_and_its_line(tmp_path):
    path = tmp_path / "tags.parquet"
    pd.DataFrame({"a": [1, 2, 3], "tags": [None, ["x", "y"], ["z"]],
                  "label": ["p", "q", "p"]}).to_parquet(path)
    with pytest.raises(DataError, match=r"tags\.parquet, line 3, column 'tags': holds lists or "
                                        r"records, not one value a cell"):
        load_dataset(path)


def test_parquet_values_read_as_a_sheets_cells_and_pandas_index_left_out(tmp_path):
    path = tmp_path / "kinds.parquet"
    df = pd.DataFrame({"n": [1, 2, None], "w": [0.5, 2.0, float("nan")],
                       "on": [True, False, None], "when": pd.to_datetime(
                           ["2024-03-01", "2024-03-02 08:30", None], format="ISO8601"),
                       "label": ["a", "b", "a"]}, index=[10, 11, 12])
    df.to_parquet(path)  # an index not 0, 1, 2…: pandas saves it as a column
    table = read_records(path)
    assert table.header == ["n", "w", "on", "when", "label"]
    assert table.rows == [["1", "0.5", "TRUE", "2024-03-01", "a"],
                          ["2", "2", "FALSE", "2024-03-02 08:30:00", "b"],
                          ["", "", "", "", "a"]]
    assert table.lines == [2, 3, 4]  # the header is line 1, as in the CSV pandas saves of it


def test_parquet_and_json_lines_are_held_to_a_csvs_budgets(tmp_path, monkeypatch):
    paths = written(tmp_path, frame(40))
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_CELLS", "100")
    with pytest.raises(DataError, match=r"people\.parquet: 40 rows of 4 columns; Parquet files "
                                        r"are capped at 100 values \(set LAYERLOOM_MAX_CSV_CELLS"):
        load_dataset(paths["parquet"])
    with pytest.raises(DataError, match=r"people\.jsonl, line 26: more than 100 values .*JSON "
                                        r"lines files are capped at 100 values"):
        load_dataset(paths["jsonl"])
    monkeypatch.delenv("LAYERLOOM_MAX_CSV_CELLS")
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_COLUMNS", "3")
    with pytest.raises(DataError, match=r"people\.parquet: 4 columns; Parquet files are capped "
                                        r"at 3 columns"):
        load_dataset(paths["parquet"])
    with pytest.raises(DataError, match=r"people\.jsonl, line 1, column 'label': more than 3 "
                                        r"keys"):
        load_dataset(paths["jsonl"])
    monkeypatch.delenv("LAYERLOOM_MAX_CSV_COLUMNS")
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_BYTES", "100")
    for path in (paths["parquet"], paths["jsonl"]):
        with pytest.raises(DataError, match=r"files are capped at 0 MB \(set "
                                            r"LAYERLOOM_MAX_CSV_BYTES"):
            load_dataset(path)


def test_a_value_longer_than_a_csvs_is_refused_naming_its_line_and_column(tmp_path):
    long = "x" * 200_000
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"a": 1, "label": "p"}) + "\n"
                    + json.dumps({"a": 2, "label": long}) + "\n")
    with pytest.raises(DataError, match=r"long\.jsonl, line 2, column 'label': a value of "
                                        r"200,000 characters; a table's values are capped at "
                                        r"131,072 characters"):
        load_dataset(path)
    path = tmp_path / "long.parquet"
    pd.DataFrame({"a": [1, 2], "label": ["p", long]}).to_parquet(path)
    with pytest.raises(DataError, match=r"long\.parquet, line 3, column 'label': a value of "
                                        r"200,000 characters"):
        load_dataset(path)


def test_a_parquet_that_unpacks_to_more_text_than_a_csv_may_hold_is_refused_unread(
        tmp_path, monkeypatch):
    # 2,000 rows of one 20,000-character value: 40 MB of text in a file of a few kilobytes
    # (written once in the file's dictionary), refused before a value is made a string
    path = tmp_path / "bomb.parquet"
    pd.DataFrame({"a": range(2000), "label": ["y" * 20_000] * 2000}).to_parquet(
        path, compression="zstd")
    assert path.stat().st_size < 200_000
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_BYTES", str(2**20))
    with pytest.raises(DataError, match=r"bomb\.parquet: its values' text is more than 1 MB, a "
                                        r"CSV's budget; Parquet files are capped there"):
        read_records(path)


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_predict_and_the_project_read_the_rows_training_read(tmp_path, kind):
    df = frame(12)
    df.loc[3, "city"] = None
    path = written(tmp_path, df)[kind]
    table = read_table(path) if kind == "csv" else read_records(path)
    assert predict_script.read_table(path) == (table.header, table.rows)
    assert template().read_csv(path) == (table.header, table.rows)


def test_without_pyarrow_predict_and_the_project_say_how_to_get_it(tmp_path, monkeypatch):
    path = written(tmp_path, frame(5))["parquet"]
    data = template()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(SystemExit, match=r"^error: .*people\.parquet: reading \.parquet needs "
                                         r"pyarrow: pip install pyarrow \(or save the table as "
                                         r"CSV\)$"):
        predict_script.read_table(path)
    with pytest.raises(SystemExit, match=r"^people\.parquet: reading \.parquet needs pyarrow: "
                                         r"pip install pyarrow \(or save the table as CSV\)$"):
        data.read_csv(path)
    with pytest.raises(DataError, match=r"people\.parquet: reading a Parquet file needs "
                                        r"pyarrow: pip install pyarrow"):
        load_dataset(path)


def test_predict_names_the_line_of_a_bad_json_line(tmp_path):
    path = tmp_path / "new.jsonl"
    path.write_text('{"age": 41}\n{"age": [1]}\n')
    with pytest.raises(SystemExit, match=r"^error: .*new\.jsonl, line 2, column 'age': holds "
                                         r"an array, not one value"):
        predict_script.read_table(path)
    with pytest.raises(SystemExit, match=r"^new\.jsonl, line 2, column 'age': holds an array"):
        template().read_csv(path)


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_the_project_ships_the_file_and_reads_it_itself(tmp_path, kind):
    path = written(tmp_path, frame(40))[kind]
    ds = load_dataset(path)
    graph = load_template("mlp-tabular")
    graph.variables.update(features=int(ds.input_shape[0]), classes=2, hidden=8)
    result = export_project(graph, {"source": str(path), "options": {}}, tmp_path / "proj",
                            {"epochs": 1, "batch_size": 8})
    assert result.data == "table" and result.notes == []  # data.py gave LayerLoom's tensors
    spec = json.loads((result.path / "config.json").read_text())["data"]
    assert spec["file"] == f"data/{path.name}"
    assert ("pyarrow>=" in (result.path / "requirements.txt").read_text()) == (kind == "parquet")


def test_the_cli_trains_on_json_lines(tmp_path, capsys):
    path = written(tmp_path, frame(40))["jsonl"]
    assert main(["validate", "mlp-tabular", "--dataset", str(path), "--set", "features=5",
                 "--set", "classes=2"]) == 0, capsys.readouterr().err


def test_the_columns_of_a_json_lines_file_past_a_megabyte_are_offered(tmp_path):
    # the Data page's column choices read the first megabyte, which cut its last line: that
    # line, no JSON, made the whole file offer no columns
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": "good " * 10_000, "label": "ab"[i % 2]})
                            + "\n" for i in range(40)))
    assert path.stat().st_size > 2**20
    assert read_header(path) == ["id", "text", "label"]


def test_a_json_line_nested_thousands_deep_is_refused_naming_its_line(tmp_path, capsys):
    # Python's JSON parser raised RecursionError: a traceback, not a message
    path = tmp_path / "deep.jsonl"
    path.write_text('{"a": 1, "label": "x"}\n{"a": ' + "[" * 100_000 + "]" * 100_000
                    + ', "label": "y"}\n')
    said = r"deep\.jsonl, line 2: holds arrays or objects nested too deeply to read"
    with pytest.raises(DataError, match=said):
        load_dataset(path)
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 1
    assert capsys.readouterr().err.startswith("error: deep.jsonl, line 2: holds arrays")
    with pytest.raises(SystemExit, match=said):
        predict_script.read_table(path)
    with pytest.raises(SystemExit, match=said):
        template().read_csv(path)


@pytest.mark.slow
def test_a_json_lines_file_of_empty_objects_is_read_in_little_memory(tmp_path):
    # 50,000 lines of {} (150 KB): each line was held as a string of its own and each empty
    # record as a row, about 12 MB; a 100 MB file of them took gigabytes past every budget
    import tracemalloc

    path = tmp_path / "empty.jsonl"
    path.write_text("{}\n" * 50_000 + "".join(json.dumps({"a": i, "label": "ab"[i % 2]})
                                               + "\n" for i in range(40)))
    tracemalloc.start()
    try:
        table = read_records(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(table) == 40 and table.lines[0] == 50_001
    assert peak < 3 * 2**20, f"{peak / 2**20:.0f} MB"
    path.write_text('{}\n{"a": null}\n')
    with pytest.raises(DataError, match=r"empty\.jsonl: its lines hold no values \(empty "
                                        r"objects, or nulls only\)"):
        read_records(path)


def test_a_key_longer_than_a_csvs_value_and_a_parquet_of_its_index_alone_are_refused(tmp_path):
    path = tmp_path / "keys.jsonl"
    path.write_text(json.dumps({"a": 1, "k" * 200_000: 2, "label": "x"}) + "\n")
    with pytest.raises(DataError, match=r"keys\.jsonl, line 1, column 'kkk.*…': a key of "
                                        r"200,000 characters; a table's values are capped"):
        read_records(path)
    path = tmp_path / "index.parquet"
    pd.DataFrame(index=[3, 5, 7]).to_parquet(path)  # saved as __index_level_0__
    with pytest.raises(DataError, match=r"index\.parquet: holds no columns but a DataFrame's "
                                        r"index"):
        read_records(path)
