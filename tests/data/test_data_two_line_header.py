"""A header over two lines, as a sheet's cells merged across columns make one ('Measurements'
over 'width' and 'height', the label's name merged down over both lines), is refused with the
one line of names that would read; it was read as the header's first line, the columns named
'Measurements' and 'column 2', and the line of names left out as a row without its label."""

from __future__ import annotations

import pytest

from layerloom.runtime.data import DataError, load_dataset

ROWS = [[0.1 * i, 0.2 * (i % 5), "ab"[i % 2]] for i in range(30)]
SAID = (r"line 1: the header runs over two lines, 1 and 2, as cells merged across columns "
        r"make one \('Measurements' over 'width', 'height'\): each column needs its name in "
        r"one line; write the names in one line \(width, height, Outcome\), delete the other, "
        r"and load the file again")


def test_a_sheet_with_a_merged_header_is_refused_naming_the_names(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "see the next sheet"
    sheet = book.create_sheet("Data")
    sheet["A1"] = "Measurements"
    sheet.merge_cells("A1:B1")
    sheet["C1"] = "Outcome"
    sheet.merge_cells("C1:C2")
    sheet["A2"], sheet["B2"] = "width", "height"
    for row in ROWS:
        sheet.append(row)
    book.save(tmp_path / "lab.xlsx")
    with pytest.raises(DataError, match=r"lab\.xlsx, " + SAID):
        load_dataset(tmp_path / "lab.xlsx", sheet="Data")


def test_a_csv_with_two_lines_of_names_is_refused_alike(tmp_path):
    lines = ["Measurements,,Outcome", "width,height,"] + [f"{a:.1f},{b:.1f},{c}"
                                                         for a, b, c in ROWS]
    (tmp_path / "lab.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"lab\.csv, " + SAID):
        load_dataset(tmp_path / "lab.csv")
    # once the names are one line, the file reads
    (tmp_path / "lab.csv").write_text("\n".join(["width,height,Outcome"] + lines[2:]) + "\n")
    assert [c["name"] for c in load_dataset(tmp_path / "lab.csv").meta["columns"]] == \
        ["width", "height"]


@pytest.mark.parametrize("first, second", [
    (",age,label", "Ann,x,a"),  # a column of names without its name, a typo in age
    (",age,label", "0,41,a"),  # pandas' index, its name blank
])
def test_a_blank_name_over_data_is_no_second_header_line(tmp_path, first, second):
    lines = [first, second] + [f"{name},{20 + i},{'ab'[i % 2]}"
                               for i, name in enumerate(["Bob", "Cy", "Di"] * 8)]
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n")
    try:
        load_dataset(tmp_path / "people.csv")
    except DataError as err:
        assert "header runs over two lines" not in str(err)
