"""Results page (AppTest), Try it → Upload a row and Look inside → Upload, on a model trained on
a table: a row comes in any table the Data page reads (CSV, TSV, Excel, Parquet, JSON lines),
read as the bundle's predict.py reads it, and a file that cannot be read is one line naming
the file, its line and column. Both took a .csv only (the uploader refused the others), and
Look inside read a CSV as comma-separated UTF-8 whatever it was, so a row exported with ';'
between values was 'a table row' without the model's columns."""

from __future__ import annotations

import io

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import train

from .test_pages_results_edit_row import page, probabilities

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
openpyxl = pytest.importorskip("openpyxl")

ROW = {"age": 41, "income": 52000, "region": "south"}
TABLES = {".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".jsonl", ".ndjson"}


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        regions = ["north", "south", "east", "west"]
        rows = [f"{20 + i % 50},{30000 + 211 * i},{regions[i % 4]},{'ab'[i % 3 > 0]}"
                for i in range(90)]
        csv = home / "customers.csv"
        csv.write_text("age,income,region,label\n" + "\n".join(rows) + "\n")
        graph = load_template("mlp-tabular")
        graph.variables.update(features=6, classes=2)
        yield home, train(graph, {"source": str(csv)}, {"epochs": 1}, store=store).run_id


def written(suffix: str) -> bytes:
    """ROW as a file of ``suffix``, as a spreadsheet or a data library writes it."""
    frame = pd.DataFrame([ROW])
    out = io.BytesIO()
    if suffix == ".parquet":
        frame.to_parquet(out)
    elif suffix in (".jsonl", ".ndjson"):
        frame.to_json(out, orient="records", lines=True)
    elif suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.active.append(list(ROW))
        book.active.append(list(ROW.values()))
        book.save(out)
    elif suffix == ";csv":  # a European Excel's CSV: a byte-order mark, ';', Windows' line ends
        return ("\ufeff" + ";".join(ROW) + "\r\n" + ";".join(map(str, ROW.values())) + "\r\n"
                ).encode()
    else:
        sep = "," if suffix == ".csv" else "\t"
        return (sep.join(ROW) + "\n" + sep.join(map(str, ROW.values())) + "\n").encode()
    return out.getvalue()


def uploaded(at, key: str, name: str, data: bytes):
    return at.file_uploader(key=key).upload(name, data, "application/octet-stream").run()


def types(at, key: str) -> set[str]:
    return {"." + t.lstrip(".") for t in at.file_uploader(key=key).proto.type}


def test_try_it_takes_a_row_in_every_table_the_data_page_reads(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a row").run()
    assert TABLES <= types(at, "results.csv")
    uploaded(at, "results.csv", "row.csv", written(".csv"))
    assert not at.exception and not at.error
    expected = probabilities(at)
    for suffix in (".tsv", ".xlsx", ".parquet", ".jsonl", ".ndjson"):
        uploaded(at, "results.csv", f"row{suffix}", written(suffix))
        assert not at.exception and [e.value for e in at.error] == [], suffix
        assert probabilities(at) == expected, suffix


def test_try_it_names_the_file_line_and_column_of_a_row_it_cannot_read(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a row").run()
    uploaded(at, "results.csv", "rows.jsonl", b'{"age": 41, "income": 52000, "region": "x"}\n'
                                              b'{"age": 41, "income": [1, 2]}\n')
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Try it failed: rows.jsonl, line 2, column 'income': holds an array, not one value: a "
        "table's cell holds a number, a text, true, false or null; write its parts as columns "
        "of their own (with pandas: pd.json_normalize) or the whole as a text"]
    uploaded(at, "results.csv", "row.parquet", b"PAR1 this is no Parquet file")
    [error] = [e.value for e in at.error]
    assert error.startswith("Try it failed: row.parquet: cannot be read as a Parquet file")
    assert "/tmp" not in error and "layerloom-row-" not in error  # its name, not the copy's


def explained(at, name: str) -> list[str]:
    """What the panel says of the uploaded row, when it explains it: the model's class and
    the chart of the row's features."""
    said = [c.value for c in at.caption if c.value.startswith(f"{name}: the model says ")]
    charts = [c for c in at.get("plotly_chart") if '"This sample"' in c.proto.spec]
    return said if charts else []


@pytest.mark.parametrize("name, kind", [("row.parquet", ".parquet"), ("row.jsonl", ".jsonl"),
                                        ("row.xlsx", ".xlsx"), ("row.csv", ";csv")])
def test_look_inside_explains_a_row_in_every_table_the_data_page_reads(run, monkeypatch, name,
                                                                        kind):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="inside.source").set_value("Upload").run()
    assert TABLES <= types(at, "inside.upload")
    uploaded(at, "inside.upload", name, written(kind))
    assert not at.exception and [e.value for e in at.error] == []
    assert explained(at, name)


def test_look_inside_names_the_file_and_line_of_a_row_it_cannot_read(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="inside.source").set_value("Upload").run()
    uploaded(at, "inside.upload", "rows.jsonl", b'{"age": 41, "income": 5, "region": "x",}\n')
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("rows.jsonl, line 1: not valid JSON (")
    assert "the model takes a table row (a .csv, .xlsx, .parquet or .jsonl file whose header " \
           "names its columns: age, income, region" in error
    assert "\n" not in error  # one line, no traceback
