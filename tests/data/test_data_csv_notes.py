"""runtime/data/tabular.py says what it did to values the model cannot take as they are: a
blank number filled with the training mean, a blank or unseen category encoded as none of the
known ones, counted per column (``Dataset.meta["notes"]``); nothing for a clean file."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import load_dataset

# the tester's file (an outside newcomer's first CSV): a blank income, and 'Nice' only in a
# row that the split puts outside training
BAD = """age,city,income,bought
34,Paris,52000,yes
28,Lyon,,no
45,Paris,61000,yes
23,Nice,31000,no
51,Lyon,72000,yes
"""


@pytest.fixture
def bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    return path


def test_blanks_and_unseen_categories_are_said_per_column(bad_csv):
    ds = load_dataset(bad_csv)
    assert ds.meta["notes"] == [
        "city: 1 value seen only outside training ('Nice'; line 5) encoded as none of the "
        "known categories",
        "1 missing value in income (line 3) filled with the training mean (62000)"]
    assert ds.meta["filled"] == {"income": {"missing": 1, "value": 62000.0}}
    assert ds.meta["unseen"] == {"city": {"count": 1, "values": ["Nice"]}}
    assert ds.describe()["notes"] == ds.meta["notes"]
    # what the preview shows for the blank is the value the note names
    x, _ = ds.preview()
    incomes = x[:, ds.meta["features"].index("income")].tolist()
    assert 62000.0 in [round(v) for v in incomes]


def test_blank_categories_and_several_blanks_are_counted(tmp_path):
    rows = ["size,colour,label"] + [f"{i},{'' if i % 4 == 0 else 'red' if i % 2 else 'blue'},"
                                    f"{'a' if i % 2 else 'b'}" for i in range(20)]
    rows[3] = "NA,red,a"
    rows[7] = ",red,a"
    path = tmp_path / "blanks.csv"
    path.write_text("\n".join(rows) + "\n")
    notes = load_dataset(path).meta["notes"]
    assert notes[0].startswith("2 missing values in size (lines 4 and 8) filled with the "
                               "training mean (")
    assert notes[1] == ("5 missing values in colour (lines 2, 6, 10 …) encoded as none of the "
                        "known categories (its one-hot columns all 0)")


def test_a_clean_file_has_no_notes(tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i},{i % 3},{'x' if i % 2 else 'y'}"
                                              for i in range(30)) + "\n")
    ds = load_dataset(path)
    assert "notes" not in ds.meta and ds.describe()["notes"] == []
