"""A table with nothing to learn its target from is refused saying what to do: a CSV of one
column (a sensor's readings, a series in time) is told to write earlier values as columns;
one whose other columns are all left out names them."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.runtime import load_dataset
from layerloom.runtime.data import DataError


def test_a_series_of_one_column_is_told_how_to_make_columns_to_learn_from(tmp_path):
    path = tmp_path / "readings.csv"
    values = np.sin(np.arange(200) / 7)
    path.write_text("value\n" + "\n".join(f"{v:.4f}" for v in values) + "\n")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "readings.csv: it has one column, 'value', the one to predict, and no columns to "
        "predict it from: add them. For a series of values in time, its earlier values are "
        "such columns: write each row's previous values beside it (with pandas: "
        "df[f'value {k} before'] = df['value'].shift(k) for k in 1 to 10, then df.dropna()) "
        "and load that file")


def test_a_table_whose_other_columns_are_dropped_names_them(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("id,name,smoker\n" + "\n".join(f"{i},n{i},{'yes' if i % 2 else 'no'}"
                                                   for i in range(30)) + "\n")
    with pytest.raises(DataError) as caught:
        load_dataset(path, drop=["id", "name"])
    assert str(caught.value) == (
        "people.csv: no feature columns are left besides the target 'smoker': the others "
        "('id', 'name') are left out, by the option drop or as empty on every row; keep one "
        "to learn from")
