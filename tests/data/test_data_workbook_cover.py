"""A workbook whose first sheet holds no table (a cover with a title, an empty sheet) and whose
data are on another: the refusal names the other sheets and the option that reads one. It said
'the file has a header but no data rows', of a file with 30 rows on its second sheet."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset

openpyxl = pytest.importorskip("openpyxl")


def workbook(path, cover: str | None):
    book = openpyxl.Workbook()
    first = book.active
    first.title = "About"
    if cover:
        first["A1"] = cover
    data = book.create_sheet("Sales 2024")
    data.append(["amount", "region", "label"])
    for i in range(30):
        data.append([i * 1.5, ["north", "south"][i % 2], "xy"[i % 3 == 0]])
    book.create_sheet("Empty")
    book.save(path)
    return path


@pytest.mark.parametrize("cover, fault", [("Sales by region, see next sheet",
                                           "has a header but no data rows"),
                                          (None, "is empty")])
def test_a_first_sheet_without_a_table_names_the_sheets_with_data(tmp_path, capsys, cover,
                                                                   fault):
    path = workbook(tmp_path / "sales.xlsx", cover)
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value) == (
        f"sales.xlsx: the first sheet, 'About', {fault}; the workbook's other sheets with "
        f"data: 'Sales 2024'; to read one, set the option sheet to its name "
        f"(sheet='Sales 2024')")
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 1
    assert "(--data-option 'sheet=Sales 2024')" in capsys.readouterr().err
    assert load_dataset(path, sheet="Sales 2024").input_shape == (3,)


def test_a_sheet_chosen_by_name_is_refused_as_before(tmp_path):
    path = workbook(tmp_path / "sales.xlsx", None)
    with pytest.raises(DataError, match=r"^sales\.xlsx: sheet 'Empty' is empty$"):
        load_dataset(path, sheet="Empty")
