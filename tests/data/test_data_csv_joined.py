"""CSV files as people make them by hand or by joining exports (runtime/data/csvfile.py): the
header again in the middle of the file, where two exports were joined one after the other, and
a delimiter after every row's last value that the header line lacks. Both were refused: the
repeated header as a word among numbers ('age' is not a number … fix the value), the delimiter
as forty rows one value too wide, with a hint about decimal commas. Each is now read as the file
without it, with a note, and the bundle's predict.py and the project's data.py read the same
rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.csvfile import read_header, read_table
from layerloom.runtime.data.preprocessing import table_rows

CITIES = ["Besançon", "Nîmes", "Sète", "Orléans"]


def template():
    spec = importlib.util.spec_from_file_location(
        "_project_data_joined", Path(project.__file__).parent / "template" / "data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(start: int, n: int, end: str = "") -> list[str]:
    return [f"{20 + i};{CITIES[i % 4]};{1000 + 7 * i};{['oui', 'non'][i % 3 == 0]}{end}"
            for i in range(start, start + n)]


def excel(path: Path, lines: list[str]) -> Path:
    """As Excel saves 'CSV (separator: semicolon)' on a French Windows: Windows-1252, CRLF."""
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


HEADER = "âge;ville;revenu;étiquette"


def assert_same_data(got, want):
    assert got.classes == want.classes and got.meta["columns"] == want.meta["columns"]
    for split in ("train", "val", "test"):
        for have, expected in zip(got.split(split), want.split(split)):
            np.testing.assert_array_equal(have.numpy(), expected.numpy())


def test_the_header_again_mid_file_is_left_out_with_a_note(tmp_path):
    joined = excel(tmp_path / "joined.csv", [HEADER, *rows(0, 20), HEADER, *rows(20, 20)])
    plain = excel(tmp_path / "plain.csv", [HEADER, *rows(0, 40)])
    table = read_table(joined)
    assert len(table) == 40 and table.lines[19:21] == [21, 23]
    assert "line 22 repeats the header (as files joined one after another do): left out" \
        in table.notes
    assert_same_data(load_dataset(joined), load_dataset(plain))
    assert predict_script.read_table(joined) == (table.header, table.rows)
    assert template().read_csv(joined) == (table.header, table.rows)
    # the Results page's "Try it" reads an uploaded table as predict.py does
    assert [list(row.values()) for row in table_rows("joined.csv", joined.read_bytes())] == \
        table.rows


def test_a_delimiter_after_each_rows_last_value_is_read_as_the_row_ending(tmp_path):
    ended = excel(tmp_path / "ended.csv", [HEADER, *rows(0, 40, end=";")])
    plain = excel(tmp_path / "plain.csv", [HEADER, *rows(0, 40)])
    table = read_table(ended)
    assert table.header == ["âge", "ville", "revenu", "étiquette"] and len(table) == 40
    assert "every row (lines 2–41) ends with ';' after the header's last column, with no " \
           "value after it: read as ending there" in table.notes
    assert read_header(ended) == table.header
    assert_same_data(load_dataset(ended), load_dataset(plain))
    assert predict_script.read_table(ended) == (table.header, table.rows)
    assert template().read_csv(ended) == (table.header, table.rows)


def test_a_value_after_the_headers_last_column_is_still_refused(tmp_path):
    path = excel(tmp_path / "wide.csv", [HEADER, *rows(0, 5), "25;Sète;1035;oui;extra"])
    with pytest.raises(DataError, match=r"wide\.csv, line 7: 5 values, but the header has 4 "
                                        r"columns"):
        read_table(path)


def test_a_delimiter_after_the_headers_last_name_alone_is_read_as_no_column(tmp_path):
    # the header line ends with ';' (an emptied column's name cleared), its rows do not: they
    # were refused as one value short each
    ended = excel(tmp_path / "ended.csv", [HEADER + ";", *rows(0, 40)])
    plain = excel(tmp_path / "plain.csv", [HEADER, *rows(0, 40)])
    assert read_table(ended).header == ["âge", "ville", "revenu", "étiquette"]
    assert read_header(ended) == ["âge", "ville", "revenu", "étiquette"]
    assert_same_data(load_dataset(ended), load_dataset(plain))
