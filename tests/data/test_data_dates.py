"""A table's column of dates (an order date, a signup time) becomes numbers a model learns from:
days since the earliest training date, month and weekday (and the hour, for times) as sine and
cosine. It was refused as 'too many to one-hot', or one-hot as categories a new date matches
none of. Which of 05/03/2024's numbers is the day is decided from the whole training column,
else asked (``date_order``); the bundle's predict.py, the Results page's upload and the
exported project's data.py make the same numbers of a new file's dates, and refuse one written
otherwise, naming the column and the line."""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.graph.templates import load_template
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.preprocessing import (encode_row, input_columns, preprocessing,
                                                  table_rows)
from layerloom.runtime.export_project import export_project

START = dt.date(2021, 1, 4)  # a Monday


def orders(folder: Path, form: str = "%d/%m/%Y", n: int = 60, time: bool = False) -> Path:
    """A sheet of orders: the order date (every fifth day from START), an amount, a label."""
    rows = []
    for i in range(n):
        when = dt.datetime.combine(START + dt.timedelta(days=5 * i), dt.time(i % 24, 30))
        rows.append(f"{when.strftime(form + (' %H:%M' if time else ''))},{i % 7}.5,"
                    f"{'ab'[i % 2]}")
    path = folder / "orders.csv"
    path.write_text("order_date,amount,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def expected(when: dt.datetime, origin: dt.date, time: bool = False) -> list[float]:
    month, weekday = 2 * math.pi * (when.month - 1) / 12, 2 * math.pi * when.weekday() / 7
    out = [(when - dt.datetime.combine(origin, dt.time())).total_seconds() / 86400,
           math.sin(month), math.cos(month), math.sin(weekday), math.cos(weekday)]
    if time:
        hour = 2 * math.pi * (when.hour + when.minute / 60) / 24
        out += [math.sin(hour), math.cos(hour)]
    return out


def raw(ds) -> np.ndarray:
    """Every sample's features before normalisation, in the file's order (its dates rise)."""
    stats = ds.normalization
    x = np.concatenate([ds.split(part)[0].numpy() for part in ("train", "val", "test")])
    x = x * np.asarray(stats["std"]) + np.asarray(stats["mean"])
    return x[np.argsort(x[:, 0])]


def test_a_date_column_becomes_days_month_and_weekday_decided_from_the_training_file(tmp_path):
    ds = load_dataset(orders(tmp_path), val_fraction=0, test_fraction=0)
    column = {"name": "order_date", "kind": "date", "order": "dmy", "utc": False,
              "origin": "2021-01-04", "time": False}
    assert ds.meta["columns"][0] == column and ds.input_shape == (6,)
    assert ds.meta["features"][:5] == [
        "order_date: days since 2021-01-04", "order_date: month sin", "order_date: month cos",
        "order_date: weekday sin", "order_date: weekday cos"]
    assert ds.meta["notes"] == [
        "order_date → 5 columns: days since 2021-01-04, month (sin, cos), weekday (sin, cos); "
        "read day first (05/03/2024 is 5 March), as its values show ('14/01/2021' on line 4)"]
    x = raw(ds)
    for i in (0, 7, 59):
        when = dt.datetime.combine(START + dt.timedelta(days=5 * i), dt.time())
        np.testing.assert_allclose(x[i, :5], expected(when, START), atol=2e-4)


def test_times_add_the_hour_and_iso_dates_read_one_way(tmp_path):
    ds = load_dataset(orders(tmp_path, "%Y-%m-%d", time=True), val_fraction=0, test_fraction=0)
    assert ds.meta["columns"][0] == {"name": "order_date", "kind": "date", "order": None,
                                     "utc": False, "origin": "2021-01-04", "time": True}
    assert ds.meta["notes"][0] == ("order_date → 7 columns: days since 2021-01-04, month (sin, "
                                   "cos), weekday (sin, cos), hour (sin, cos)")
    when = dt.datetime.combine(START + dt.timedelta(days=35), dt.time(7, 30))
    np.testing.assert_allclose(raw(ds)[7, :7], expected(when, START, time=True), atol=2e-4)


def test_day_and_month_order_undecided_by_the_values_is_asked_not_guessed(tmp_path):
    path = tmp_path / "visits.csv"  # no number over 12: 03/05 is 3 May or March 5
    path.write_text("day,visits,label\n" + "\n".join(
        f"{1 + i % 12:02d}/{1 + (i * 5) % 12:02d}/2024,{i},{'ab'[i % 2]}" for i in range(40)))
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value) == (
        "visits.csv, column 'day': holds dates written with the day and the month first "
        "('01/01/2024' on line 2), and none of them has a number over 12 that tells which is "
        "which; set date_order='dmy' if the day comes first (05/03/2024 is 5 March) or "
        "date_order='mdy' if the month does (May 3), or for this column alone "
        "date_order='day:dmy' (or 'day:mdy')")
    assert refused.value.remedy == {"date_order": ["dmy", "mdy"]}
    days = load_dataset(path, date_order="dmy").meta["columns"][0]
    months = load_dataset(path, date_order="mdy").meta["columns"][0]
    assert (days["order"], months["order"]) == ("dmy", "mdy")


def test_a_column_written_both_ways_or_no_date_is_refused_naming_lines(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("day,label\n25/03/2024,a\n01/02/2024,b\n03/26/2024,a\n")
    with pytest.raises(DataError, match=r"mixed\.csv, column 'day': writes dates day first "
                                        r"\(line 2: '25/03/2024'\) and month first \(line 4: "
                                        r"'03/26/2024'\); write them all one way"):
        load_dataset(path)
    path.write_text("day,label\n25/03/2024,a\n31/02/2024,b\n02/03/2024,a\n")
    with pytest.raises(DataError, match=r"line 3, column 'day': '31/02/2024' is not a date "
                                        r"read day/month/year \(no such day\)"):
        load_dataset(path, val_fraction=0, test_fraction=0)
    path.write_text("day,label\n" + "".join(f"2024-03-{d:02d},a\n" for d in range(1, 20))
                    + "soon,b\n")
    with pytest.raises(DataError, match=r"line 21, column 'day': 'soon' is not a date, but "
                                        r"nearly all of the column's values are"):
        load_dataset(path)


def test_a_missing_date_is_the_training_mean_and_said(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("day,label\n" + "".join(
        f"{'' if i == 3 else f'2024-03-{1 + i:02d}'},{'ab'[i % 2]}\n" for i in range(20)))
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert "1 missing value in day (line 5) filled with the training mean of each of its 5 " \
        "columns" in ds.meta["notes"]
    x = ds.split("train")[0]  # the row without a date: 0 on its five, the mean once normalised
    assert int((x.abs().amax(dim=1) < 1e-6).sum()) == 1


# -- a new file's dates, read alike by predict.py, the Results page and data.py -------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dates")
    path = orders(folder, time=True)
    return folder, path, load_dataset(path)


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NEW = "order_date,amount\n25/12/2022 18:45,2.5\n2023-01-01 00:00,\n,1\n"


def test_predict_the_results_page_and_the_project_make_the_same_numbers(trained, tmp_path):
    folder, path, ds = trained
    new = tmp_path / "new.csv"
    new.write_text(NEW)
    column = input_columns(ds)[0]
    origin = dt.date.fromisoformat(column["origin"])
    want = [expected(dt.datetime(2022, 12, 25, 18, 45), origin, time=True) + [2.5],
            expected(dt.datetime(2023, 1, 1), origin, time=True) + [math.nan],
            [math.nan] * 7 + [1.0]]
    notes: list = []
    bundle = predict_script.read_rows(new, ds.input_shape, preprocessing(ds), notes)
    np.testing.assert_allclose(bundle, want, atol=1e-9)
    rows = table_rows("new.csv", new.read_bytes(), input_columns(ds), [])
    page = np.stack([encode_row(row, ds) for row in rows])
    np.testing.assert_allclose(page, bundle.astype(np.float32))
    graph = load_template("mlp-tabular")
    graph.variables.update(features=8, classes=2, hidden=8)
    result = export_project(graph, str(path), tmp_path / "proj", {"epochs": 1, "batch_size": 8})
    spec = json.loads((result.path / "config.json").read_text())["data"]
    new.write_text(NEW.replace("amount\n", "amount,label\n").replace(",2.5\n", ",2.5,a\n")
                   .replace(",\n", ",,b\n").replace(",1\n", ",1,a\n"))
    x, _ = template().read_table(new, spec, result.path)
    np.testing.assert_allclose(x, bundle.astype(np.float32))
    shipped, _ = template().read_table(result.path / spec["file"], spec, result.path)
    np.testing.assert_allclose(shipped, raw(ds), atol=2e-3)  # training's numbers, to float32


def test_a_new_file_written_the_other_way_is_refused_by_all_three(trained, tmp_path):
    folder, path, ds = trained
    new = tmp_path / "new.csv"
    new.write_text("order_date,amount,label\n01/02/2023 10:00,1,a\n12/25/2022 18:45,2,b\n")
    said = (r"column 'order_date', line 3: '12/25/2022 18:45' is not a date written "
            r"day/month/year, as the training file wrote the column; write it so, or year "
            r"first \(2024-03-25\)")
    with pytest.raises(SystemExit, match=r"error: .*new\.csv: " + said):
        predict_script.read_rows(new, ds.input_shape, preprocessing(ds), [])
    with pytest.raises(DataError, match=r"new\.csv: " + said):
        table_rows("new.csv", new.read_bytes(), input_columns(ds), [])
    with pytest.raises(DataError, match=r"column 'order_date': '12/25/2022' is not a date"):
        encode_row({"order_date": "12/25/2022", "amount": "1"}, ds)  # an edited row
    spec = {"columns": input_columns(ds), "target": "label", "classes": ["a", "b"]}
    with pytest.raises(SystemExit, match=r"new\.csv: " + said):
        template().read_table(new, spec, folder)


def test_the_bundle_says_what_a_date_column_becomes(trained):
    _, _, ds = trained
    manifest = {"inputs": [{"shape": list(ds.input_shape), "dtype": "float32"}],
                "preprocessing": {**preprocessing(ds), "kind": "tabular"}}
    origin = input_columns(ds)[0]["origin"]  # the earliest date of the training split
    said = " ".join(predict_script.expected_input(manifest))
    assert "the columns order_date (a date and time, year first or day/month/year), amount; " \
           f"categories are one-hot encoded; order_date becomes 7 columns: days since " \
           f"{origin}, month (sin, cos), weekday (sin, cos), hour (sin, cos); missing cells " \
           f"count as the training mean." in said
    files = " ".join(predict_script.input_files(manifest))
    assert f"(order_date: days since {origin}, order_date: month sin," in files


SHARED = ("read_date", "date_names", "date_features", "date_problem", "written_dates")


@pytest.mark.parametrize("name", SHARED)
def test_predict_and_the_project_hold_the_same_date_code(name):
    assert inspect.getsource(getattr(template(), name)) == \
        inspect.getsource(getattr(predict_script, name))
    assert template().DATE_FORM.pattern == predict_script.DATE_FORM.pattern


@pytest.mark.parametrize("cell, order, when", [
    ("2024-03-25", None, dt.datetime(2024, 3, 25)),
    ("2024/3/5 14:05:09.5", None, dt.datetime(2024, 3, 5, 14, 5, 9, 500000)),
    ("2024-03-25T08:00:00+01:00", None, dt.datetime(2024, 3, 25, 8)),
    ("05.03.24", "dmy", dt.datetime(2024, 3, 5)),
    ("3/5/99 12:15 AM", "mdy", dt.datetime(1999, 3, 5, 0, 15)),
    ("3/5/2024, 2:05 PM", "mdy", dt.datetime(2024, 3, 5, 14, 5)),
    ("31/02/2024", "dmy", None), ("05/03/2024", None, None), ("13:00", None, None)])
def test_dates_are_read_as_written(cell, order, when):
    if when is None:
        with pytest.raises(ValueError):
            predict_script.read_date(cell, order)
    else:
        assert predict_script.read_date(cell, order) == when
