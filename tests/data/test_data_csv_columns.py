"""A table is read into columns (table.Table.columns), as the loaders read it: each column's
distinct values, numbers, gaps and dates are found once, from its distinct values, and agree
with what the functions of one value (is_missing, parse_numbers, dates) say of every cell. A
table held as rows of strings took 36-51 s to load a 50 MB CSV on a loaded 2-core machine
(``benchmarks/csv_load_bench.py`` measures it)."""

from __future__ import annotations

import numpy as np

from layerloom.runtime import load_dataset
from layerloom.runtime.data.csvfile import read_table
from layerloom.runtime.data.table import Table, dates, is_missing, parse_numbers


def test_a_csv_is_read_into_columns_with_the_line_of_each_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b,label\n1,"x\ny",p\n\n , - ,q\n3,z,p\n')
    table = read_table(path)
    assert table.columns == [["1", " ", "3"], ["x\ny", " - ", "z"], ["p", "q", "p"]]
    assert table.rows == [["1", "x\ny", "p"], [" ", " - ", "q"], ["3", "z", "p"]]
    assert table.lines == [3, 5, 6] and len(table) == 3
    assert table.column("b") == ["x\ny", " - ", "z"]


def mixed_column(n: int = 3000) -> list[str]:
    rng = np.random.default_rng(0)
    pool = ["1.5", " 2", "-", " - ", "", "NA", "n/a", "#DIV/0!", "abc", "1_000", "inf", "3e2",
            "2024-03-01", " 05/03/2024 ", "x y z", "?", "7"]
    return [pool[i] for i in rng.integers(0, len(pool), n)]


def test_a_columns_numbers_gaps_and_dates_agree_with_each_cells(tmp_path):
    values = mixed_column()
    table = Table(tmp_path / "t.csv", ["v", "label"], [[v, "a"] for v in values],
                  list(range(2, len(values) + 2)))
    for dashes in (False, True):
        numbers, bad = table.numbers("v", dashes)
        expected, expected_bad = parse_numbers(values, dashes)
        np.testing.assert_array_equal(numbers, expected)
        assert bad == expected_bad
        assert table.missing("v", dashes).tolist() == [
            is_missing(v) or (dashes and v.strip() in {"-", "--", "\u2013", "\u2014"})
            for v in values]
    assert table.dates("v") == dates(values) is False
    codes, distinct = table.distinct("v")
    assert [distinct[c] for c in codes] == [v.strip() for v in values]


def test_rows_left_out_for_a_missing_label_keep_their_columns_aligned(tmp_path):
    path = tmp_path / "t.csv"
    rows = [f"{i},{'' if i % 7 == 3 else 'ab'[i % 2]},c{i % 3}" for i in range(40)]
    path.write_text("x,label,cat\n" + "\n".join(rows) + "\n")
    ds = load_dataset(path, target="label", val_fraction=0, test_fraction=0)
    kept = [i for i in range(40) if i % 7 != 3]
    assert ds.meta["notes"][0].startswith("6 rows with no 'label' (lines 5, 12, 19, 26, 33, "
                                          "40) left out")
    stats = ds.normalization
    x = ds.x_train.numpy()[:, 0] * stats["std"][0] + stats["mean"][0]
    cats = ds.x_train.numpy()[:, 1:].argmax(1)
    order = np.argsort(x)
    np.testing.assert_allclose(x[order], kept, atol=1e-3)
    assert cats[order].tolist() == [i % 3 for i in kept]
    assert [ds.classes[y] for y in ds.y_train.numpy()[order]] == ["ab"[i % 2] for i in kept]
