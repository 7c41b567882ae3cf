"""Dates as users' own files write them: times with UTC offsets (an export from a web service,
``2024-03-01T10:00:00+02:00``, ``…Z``) are the instants they name, read as UTC times by the
loader, the bundle's predict.py, the Results page and the exported project's data.py alike
(they were read as clock time, the offset dropped: 10:00+02:00 and 10:00Z the same time); a
file with two date columns, one of each day/month order, loads (``date_order`` was applied to
every date column, so the one it fitted made the other fail); two-digit years say which years
they became."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.preprocessing import (date_text, encode_row, input_columns,
                                                  preprocessing, table_rows)

ORIGIN = dt.datetime(2024, 3, 1)
ZONES = ("+02:00", "Z", "-0500", "+05:30")


def stamp(when: dt.datetime, zone: str) -> str:
    """``when`` (a UTC time) as a clock time in ``zone``, with the offset written."""
    if zone == "Z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign = 1 if zone[0] == "+" else -1
    shift = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    return (when + shift).strftime("%Y-%m-%dT%H:%M:%S") + zone


def features(when: dt.datetime, origin: dt.datetime = ORIGIN) -> list[float]:
    """The seven numbers a date and time becomes (days, month, weekday, hour)."""
    turns = [(when.month - 1) / 12, when.weekday() / 7,
             (when.hour + when.minute / 60 + when.second / 3600) / 24]
    return [(when - origin).total_seconds() / 86400] + [
        f(2 * math.pi * turn) for turn in turns for f in (math.sin, math.cos)]


def raw(ds) -> np.ndarray:
    """Every sample's features before normalisation, in the file's order (its dates rise)."""
    stats = ds.normalization
    x = np.concatenate([ds.split(part)[0].numpy() for part in ("train", "val", "test")])
    x = x * np.asarray(stats["std"]) + np.asarray(stats["mean"])
    return x[np.argsort(x[:, 0])]


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def logins(tmp_path) -> tuple[Path, list[dt.datetime]]:
    """Logins from four time zones: every 7 hours from 2024-03-01 00:00 UTC, each row in
    the next zone's clock time."""
    times = [ORIGIN + dt.timedelta(hours=7 * i) for i in range(40)]
    path = tmp_path / "logins.csv"
    path.write_text("seen,label\n" + "".join(
        f"{stamp(when, ZONES[i % 4])},{'ab'[i % 2]}\n" for i, when in enumerate(times)))
    return path, times


def test_times_with_utc_offsets_are_the_instants_they_name(logins):
    path, times = logins
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert ds.meta["columns"][0] == {"name": "seen", "kind": "date", "order": None, "utc": True,
                                     "origin": "2024-03-01", "time": True}
    np.testing.assert_allclose(raw(ds), [features(when) for when in times], atol=2e-4)
    assert ds.meta["notes"][1] == (
        "seen: times with a UTC offset read as UTC times ('2024-03-01T02:00:00+02:00' on line "
        "2 is 2024-03-01 00:00 UTC), so that rows written in different offsets compare alike")


NEW = "seen\n2024-03-10T01:30:00+02:00\n2024-03-09T23:30:00Z\n2024-03-09 18:30:00 -0500\n"


def test_a_new_files_offsets_read_alike_by_predict_the_results_page_and_the_project(logins,
                                                                                     tmp_path):
    path, _ = logins
    ds = load_dataset(path)
    origin = dt.datetime.fromisoformat(input_columns(ds)[0]["origin"])
    night = features(dt.datetime(2024, 3, 9, 23, 30), origin)  # one instant, three ways
    new = tmp_path / "new.csv"
    new.write_text(NEW)
    bundle = predict_script.read_rows(new, ds.input_shape, preprocessing(ds), [])
    np.testing.assert_allclose(bundle, [night] * 3, atol=1e-9)
    rows = table_rows("new.csv", new.read_bytes(), input_columns(ds), [])
    page = np.stack([encode_row(row, ds) for row in rows])
    np.testing.assert_allclose(page, bundle.astype(np.float32))
    new.write_text("seen,label\n" + "".join(f"{line},a\n" for line in NEW.splitlines()[1:]))
    spec = {"columns": input_columns(ds), "target": "label", "classes": ["a", "b"]}
    x, _ = template().read_table(new, spec, tmp_path)
    np.testing.assert_allclose(x, bundle.astype(np.float32))
    # the Results page's row editor shows a date as it reads back
    shown = date_text(float(bundle[0, 0]), input_columns(ds)[0])
    assert shown == "2024-03-09 23:30Z"
    np.testing.assert_allclose(encode_row({"seen": shown}, ds), bundle[0].astype(np.float32))


def test_a_time_without_the_offset_training_had_is_refused_by_all_three(logins, tmp_path):
    path, _ = logins
    ds = load_dataset(path)
    new = tmp_path / "new.csv"
    new.write_text("seen,label\n2024-03-10T01:30:00+02:00,a\n2024-03-10 01:30,b\n")
    said = (r"column 'seen', line 3: '2024-03-10 01:30' has no UTC offset, but the training "
            r"file's times all had one \(they were read in UTC\); write it with its offset "
            r"\(\+02:00, or Z for UTC\)")
    with pytest.raises(SystemExit, match=r"error: .*new\.csv: " + said):
        predict_script.read_rows(new, ds.input_shape, preprocessing(ds), [])
    with pytest.raises(DataError, match=r"new\.csv: " + said):
        table_rows("new.csv", new.read_bytes(), input_columns(ds), [])
    spec = {"columns": input_columns(ds), "target": "label", "classes": ["a", "b"]}
    with pytest.raises(SystemExit, match=r"new\.csv: " + said):
        template().read_table(new, spec, tmp_path)


def test_an_offset_where_training_had_none_is_refused(tmp_path):
    path = tmp_path / "local.csv"
    path.write_text("seen,label\n" + "".join(
        f"2024-03-{1 + i:02d} 10:00,{'ab'[i % 2]}\n" for i in range(20)))
    ds = load_dataset(path)
    with pytest.raises(DataError, match=r"column 'seen': '2024-03-30T10:00Z' has a UTC "
                                        r"offset, but the training file's times had none"):
        encode_row({"seen": "2024-03-30T10:00Z"}, ds)


def test_a_column_with_offsets_on_some_rows_only_is_refused_naming_both(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("seen,label\n2024-03-01 10:00,a\n2024-03-01T10:00:00+02:00,b\n"
                    "2024-03-02 11:00,a\n")
    with pytest.raises(DataError) as refused:
        load_dataset(path, val_fraction=0, test_fraction=0)
    assert str(refused.value) == (
        "mixed.csv, column 'seen': writes times with a UTC offset (line 3: "
        "'2024-03-01T10:00:00+02:00') and without one (line 2: '2024-03-01 10:00'), which "
        "could be in any time zone; write the offset on every row (Z for UTC)")


def test_two_date_columns_each_in_its_own_order(tmp_path):
    """ordered is day first but never shows it (no day over 12); shipped shows month first
    (12/25/2024). date_order='dmy' is for ordered: shipped is read as its values show."""
    path = tmp_path / "orders.csv"
    start = dt.date(2024, 1, 1)
    rows, days = [], []
    for i in range(40):
        ordered = dt.date(2024, 1 + i % 12, 1 + (i * 5) % 12)  # no day over 12
        days.append((ordered - start).days)
        shipped = dt.date(2024, 12, 13 + i % 15)
        rows.append(f"{ordered:%d/%m/%Y},{shipped:%m/%d/%Y},{'ab'[i % 2]}")
    path.write_text("ordered,shipped,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"column 'ordered': holds dates written with the day "
                                        r"and the month first"):
        load_dataset(path)
    ds = load_dataset(path, date_order="dmy", val_fraction=0, test_fraction=0)
    orders = {c["name"]: c["order"] for c in ds.meta["columns"]}
    assert orders == {"ordered": "dmy", "shipped": "mdy"}
    assert ("shipped: read month first, as its values show ('12/13/2024' on line 2), not as "
            "date_order='dmy', which is for the date columns that do not show their order"
            in ds.meta["notes"])
    x = raw(ds)  # sorted by ordered's days since its earliest date, 2024-01-01
    np.testing.assert_allclose(x[:, 0], sorted(days), atol=1e-3)


def test_two_digit_years_say_which_years_they_became(tmp_path):
    path = tmp_path / "born.csv"
    path.write_text("born,label\n" + "".join(
        f"15/06/{year:02d},{'ab'[i % 2]}\n" for i, year in enumerate([65, 70, 99, 5] * 5)))
    ds = load_dataset(path, val_fraction=0, test_fraction=0)
    assert ("born: two-digit years read 00–68 as 2000–2068 and 69–99 as 1969–1999: "
            "'15/06/70' (line 3) is 1970, '15/06/65' (line 2) 2065; where that is not what "
            "they mean, write the years in full (1965)") in ds.meta["notes"]
    path.write_text(path.read_text().replace("/65,", "/1965,").replace("/70,", "/1970,")
                    .replace("/99,", "/1999,").replace("/05,", "/2005,"))
    assert not any("two-digit" in note for note in
                   load_dataset(path, val_fraction=0, test_fraction=0).meta.get("notes", []))


def test_the_bundle_says_its_times_need_their_offset(logins):
    path, _ = logins
    ds = load_dataset(path)
    manifest = {"inputs": [{"shape": list(ds.input_shape), "dtype": "float32"}],
                "preprocessing": {**preprocessing(ds), "kind": "tabular"}}
    assert "the columns seen (a date and time, year first, with its UTC offset (+02:00, Z))" \
        in " ".join(predict_script.expected_input(manifest))
