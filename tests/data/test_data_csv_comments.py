"""Lines starting with '#' above a CSV's header, as instruments and scripts write them
(``# exported by tool v1``, ``# units: cm``), are named as comment lines to delete. The first
was taken as the header and every row of the table refused as too wide for it ('line 3: 3
values, but the header has 1 columns; so do 40 more rows …'), nothing said of the comments."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset

ROWS = "".join(f"{i / 10},{i % 3},{'ab'[i % 2]}\n" for i in range(30))


@pytest.mark.parametrize("above, lines", [("# exported by tool v1\n# units: cm\n", "lines 1–2"),
                                          ("# exported by tool v1\n", "line 1"),
                                          ("#exported, by tool v1\n", "line 1")])
def test_comment_lines_above_the_header_are_named_to_delete(tmp_path, above, lines):
    path = tmp_path / "scan.csv"
    path.write_text(above + "width,height,label\n" + ROWS)
    header = 3 if lines == "lines 1–2" else 2
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        f"scan.csv, line 1: {lines} start{'' if lines.startswith('lines') else 's'} with '#', "
        f"as comment lines do, above the table's header (line {header}: width, height, label); "
        f"delete {'them' if lines.startswith('lines') else 'it'} and load the file again")


def test_a_column_named_hash_is_a_header_still(tmp_path):
    path = tmp_path / "ranked.csv"
    path.write_text("#,score,label\n" + "".join(f"{i},{i / 10},{'ab'[i % 2]}\n"
                                                 for i in range(1, 31)))
    assert load_dataset(path).meta["columns"][0]["name"] == "#"
