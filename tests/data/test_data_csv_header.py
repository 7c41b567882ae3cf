"""The Data page's column lists come from the loader's own reading of the header, so that any
column offered is one the loader finds; spreadsheet exports with quoted names are split on
their real separator."""

from __future__ import annotations

import pytest

from layerloom.runtime.data.csvfile import read_header, read_table

FILES = {
    "bom crlf.csv": ("\ufeffalpha,beta,label\r\n1,2,a\r\n3,4,b\r\n".encode("utf-8"),
                     ["alpha", "beta", "label"]),
    "spaced header.csv": (b"alpha, beta, label\n1,2,a\n3,4,b\n", ["alpha", "beta", "label"]),
    "blank header.csv": (b"alpha,,label\n1,2,a\n3,4,b\n", ["alpha", "column 2", "label"]),
    "trailing.csv": (b"alpha,beta,label,\n1,2,a,\n3,4,b,\n", ["alpha", "beta", "label"]),
    "quoted semi.csv": ('"Höhe, cm";"Breite, cm";Art\n2,04;-2,56;a\n1,5;3;b\n'.encode(),
                        ["Höhe, cm", "Breite, cm", "Art"]),
    "tabs.tsv": (b"a\tb\tlabel\n1\t2\tx\n3\t4\ty\n", ["a", "b", "label"]),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_header_offered_is_the_loaders(tmp_path, name):
    data, names = FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    assert read_header(path) == names == read_table(path).header


def test_decimal_commas_under_quoted_names_with_commas_read_as_numbers(tmp_path):
    path = tmp_path / "quoted semi.csv"
    path.write_bytes(FILES["quoted semi.csv"][0])
    table = read_table(path)
    assert table.column("Höhe, cm") == ["2.04", "1.5"]
    assert table.column("Breite, cm") == ["-2.56", "3"]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xff\xfe\x00"])
def test_a_file_without_a_readable_header_offers_no_columns(tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert read_header(path) == []
