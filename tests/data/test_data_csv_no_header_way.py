"""A CSV without a header row (iris.data saved as .csv) is refused naming its first line, and
told the way to load it without editing it: as a .data file, whose columns are numbered. It
was told only to add a header row, which a file of thousands of rows from elsewhere makes a
chore. A file of decimal commas between semicolons is not (a .data splits at commas)."""

from __future__ import annotations

import pytest

from layerloom.runtime import load_dataset
from layerloom.runtime.data import DataError

ROWS = [f"{4 + i % 4}.{i % 10},{2 + i % 2}.5,{1 + i % 6}.0,0.{i % 9},"
        f"Iris-{('setosa', 'virginica')[i % 2]}"
        for i in range(60)]


@pytest.mark.parametrize("name, text", [("iris.csv", "\n".join(ROWS) + "\n"),
                                        ("iris.tsv", "\n".join(ROWS).replace(",", "\t") + "\n")])
def test_a_headerless_table_is_told_how_to_load_it_as_it_is(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        f"{name}, line 1: looks like data, not column names ('4.0', '2.5', '1.0', '0.0', …): add a "
        f"header row that names the columns (or, to read it as it is, its columns named "
        f"column 1, column 2, … and the last the label, rename it iris.data and load that)")
    renamed = path.rename(tmp_path / "iris.data")
    ds = load_dataset(renamed)
    assert ds.input_shape == (4,) and ds.classes == ["Iris-setosa", "Iris-virginica"]
