"""A Parquet column of times in a time zone (pandas' datetime64[ns, Europe/Paris]) is read as
times with their offset on every row, midnight included. A time at midnight was written as
its date alone, its offset dropped, and the file was refused: "column 'ts': writes times with
a UTC offset (line 2: '2024-01-01 10:00:00+01:00') and without one (line 16: '2024-01-02')"."""

from __future__ import annotations

import datetime as dt

import pytest

from layerloom.graph.export.predict_script import cell_text, read_table
from layerloom.runtime.data import load_dataset

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


def test_an_aware_time_at_midnight_keeps_its_offset_and_a_naive_one_is_a_date():
    paris = dt.timezone(dt.timedelta(hours=1))
    assert cell_text(dt.datetime(2024, 1, 2, tzinfo=paris)) == "2024-01-02 00:00:00+01:00"
    assert cell_text(dt.datetime(2024, 1, 2)) == "2024-01-02"  # a workbook's date cell


def test_a_parquet_column_of_zoned_times_loads_as_times(tmp_path):
    n = 60
    path = tmp_path / "visits.parquet"
    pd.DataFrame({"ts": pd.date_range("2024-01-01 10:00", periods=n, freq="h",
                                      tz="Europe/Paris"),
                  "n": range(n), "label": ["xy"[i % 2] for i in range(n)]}).to_parquet(path)
    ds = load_dataset(path)
    [ts] = [c for c in ds.meta["columns"] if c["name"] == "ts"]
    assert ts["kind"] == "date" and ts["time"]
    header, rows = read_table(path)  # as the bundle's predict.py reads a new file
    assert rows[14][0] == "2024-01-02 00:00:00+01:00"


def test_the_exported_projects_data_py_writes_it_so_too():
    import importlib.util
    from pathlib import Path

    import layerloom.runtime.export_project as project

    spec = importlib.util.spec_from_file_location(
        "_project_data_zoned", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paris = dt.timezone(dt.timedelta(hours=1))
    assert module.cell_text(dt.datetime(2024, 1, 2, tzinfo=paris)) == \
        "2024-01-02 00:00:00+01:00"
    assert module.cell_text(dt.datetime(2024, 1, 2)) == "2024-01-02"
