"""Excel workbooks (.xlsx) load as the table Excel's Save As CSV writes of their sheet
(runtime/data/workbook.py): the same tensors, columns and notes as that CSV, numbers with
every digit, dates as ISO text, formulas as their stored values, the first sheet unless the
option ``sheet`` names another; an .xls and formulas without values are refused in words.

The workbooks are made here with openpyxl; Excel's stored formula values are written into
the file's XML (openpyxl itself stores none)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import zipfile

import pytest
import torch

from layerloom.runtime.data import DataError, list_file_kinds, load_dataset
from layerloom.runtime.data.csvfile import read_header

openpyxl = pytest.importorskip("openpyxl")


def with_values(path, values: dict[str, object]):
    """``path`` with each formula cell named in ``values`` holding that value, as Excel
    stores a formula's last result beside it."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    for name in [n for n in entries if n.startswith("xl/worksheets/sheet")]:
        def fill(match):
            cell = match.group(1)
            return (f'<c r="{cell}"><f>{match.group(2)}</f><v>{values[cell]}</v></c>'
                    if cell in values else match.group(0))

        entries[name] = re.sub(r'<c r="([A-Z]+\d+)"><f>([^<]*)</f><v\s*/></c>', fill,
                               entries[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def price(i: int) -> float:
    return round(0.1 * i + 0.2, 6)  # as openpyxl writes it (16 digits; Excel stores 17)


def sales(path, *, second_sheet=True, formulas_valued=True, iris=False):
    """A sheet as people keep them: an empty row above the table, which starts in column B,
    dates, a formula column, two cells merged down (read as Excel shows them: the value
    in both, where Excel's CSV holds it in the first alone), empty rows below; and a second sheet of notes (and, with ``iris``, a
    third sheet of measurements whose third column's name is blank, and times)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "sales"
    ws.append([])
    ws.append([None, "day", "price", "qty", "total", "paid", "shop"])
    for i in range(40):
        ws.append([None, dt.datetime(2024, 3, 1 + i % 28, 0, 0), price(i), float(i % 5),
                   f"=C{i + 3}*D{i + 3}", i % 3 == 0, ["Lyon", "Nice", None][i % 3]])
    ws.append([])
    ws.append([None, None, None])
    ws.merge_cells("G3:G4")  # Lyon over the rows of i = 0 and 1
    if second_sheet:
        notes = book.create_sheet("notes")
        notes.append(["checked by", "on"])
        notes.append(["Ana", dt.date(2024, 4, 1)])
    if iris:
        ws = book.create_sheet("iris")
        ws.append([None])
        ws.append([None, "a", "b", None, "kind"])  # a blank name: column 3, as in a CSV
        for i in range(30):
            ws.append([None, i, i * 0.5 + 0.25, dt.time(8, i), "xy"[i % 2]])
    book.save(path)
    if formulas_valued:
        with_values(path, {f"E{i + 3}": repr(price(i) * (i % 5)) for i in range(40)})
    return path


def sales_csv(path):
    """The sheet of :func:`sales` as a CSV (numbers in full), Lyon in both rows of its merge."""
    lines = ["day,price,qty,total,paid,shop"]
    for i in range(40):
        qty = i % 5
        total = price(i) * qty
        lines.append(f"2024-03-{1 + i % 28:02d},{price(i)!r},{qty},"
                     f"{int(total) if total == int(total) else repr(total)},"
                     f"{'TRUE' if i % 3 == 0 else 'FALSE'},"
                     f"{'Lyon' if i == 1 else ['Lyon', 'Nice', ''][i % 3]}")  # 1: Lyon's merge
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_workbook_loads_as_the_csv_excel_saves_of_its_sheet(tmp_path):
    book = load_dataset(sales(tmp_path / "sales.xlsx"), target="qty", task="regression")
    table = load_dataset(sales_csv(tmp_path / "sales.csv"), target="qty", task="regression")
    assert book.meta["columns"] == table.meta["columns"]
    assert book.meta["columns"][0]["kind"] == "date"  # dates as ISO text, as in CSV
    for part in ("train", "val", "test"):
        assert all(torch.equal(a, b) for a, b in zip(book.split(part), table.split(part)))
    assert book.meta["notes"][0] == ("read sheet 'sales', one of 2 sheets with data (also "
                                     "'notes'); for another, set the option sheet to its name "
                                     "(sheet='notes')")
    merged = ("shop: cells merged down over several rows (lines 3–4) read as their value on "
              "each of those rows, as Excel shows them")
    assert merged in book.meta["notes"]
    # the same notes, each place by its own file's lines (the sheet's table starts in row 2)
    assert [note for note in book.meta["notes"][1:] if note != merged] == [re.sub(r"lines (\d+), (\d+), (\d+)", lambda m: "lines "
                                             + ", ".join(str(int(n) + 1) for n in m.groups()),
                                             note) for note in table.meta["notes"]]
    assert any(note.startswith("day → 5 columns: days since 2024-03-") for note in book.meta["notes"])


def test_numbers_keep_every_digit_and_whole_floats_are_whole(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["x", "y"])
    values = [0.1 + 0.2, 1e-12, 1 / 3, 2.0**60, -0.0]
    for i, value in enumerate(values * 4):
        ws.append([value if i else 777.25, float(i % 2 + 1)])  # labels 1.0, 2.0: classes 1, 2
    book.save(tmp_path / "n.xlsx")
    with zipfile.ZipFile(tmp_path / "n.xlsx") as archive:  # 17 digits, as Excel stores them
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    entries[sheet] = entries[sheet].replace(b"<v>777.25</v>", b"<v>0.30000000000000004</v>")
    with zipfile.ZipFile(tmp_path / "n.xlsx", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    assert load_dataset(tmp_path / "n.xlsx").classes == ["1", "2"]
    from layerloom.runtime.data.workbook import cell_text, read_workbook
    table = read_workbook(tmp_path / "n.xlsx")
    assert [float(row[0]) for row in table.rows[:5]] == values  # no digit lost on the way
    assert [row[1] for row in table.rows[:2]] == ["1", "2"]
    assert [cell_text(v) for v in values] == ["0.30000000000000004", "1e-12",
                                              "0.3333333333333333", "1.152921504606847e+18", "0"]


def test_cells_become_text_as_excel_writes_them():
    from layerloom.runtime.data.workbook import cell_text
    assert cell_text(dt.datetime(2024, 3, 1, 8, 30)) == "2024-03-01 08:30:00"
    assert cell_text(dt.datetime(2024, 3, 1)) == "2024-03-01"
    assert cell_text(dt.time(8, 30)) == "08:30:00"
    assert cell_text(dt.timedelta(hours=26, minutes=5)) == "26:05:00"
    assert (cell_text(False), cell_text(None), cell_text(7), cell_text("Nice")) == \
        ("FALSE", "", "7", "Nice")


def test_the_option_sheet_reads_another_sheet_and_an_unknown_one_is_named(tmp_path):
    path = sales(tmp_path / "sales.xlsx", iris=True)
    ds = load_dataset(path, sheet="iris")
    assert ds.classes == ["x", "y"] and ds.meta["notes"][0].startswith(
        "read sheet 'iris', one of 3 sheets with data (also 'sales', 'notes')")
    with pytest.raises(DataError, match=r"sales\.xlsx: no sheet 'Iris'; the workbook's sheets "
                                        r"are 'sales', 'notes', 'iris'"):
        load_dataset(path, sheet="Iris")
    assert read_header(path) == ["day", "price", "qty", "total", "paid", "shop"]
    assert read_header(path, "iris") == ["a", "b", "column 3", "kind"]
    kind = next(k for k in list_file_kinds() if ".xlsx" in k["suffixes"])
    assert kind["options"][0]["name"] == "sheet" and \
        {"target", "drop", "kind"} <= {o["name"] for o in kind["options"]}


def test_a_workbook_of_one_sheet_says_nothing_of_sheets(tmp_path):
    ds = load_dataset(sales(tmp_path / "one.xlsx", second_sheet=False))
    assert not any("sheet" in note for note in ds.meta.get("notes", []))


def test_formulas_saved_without_values_are_refused_in_words(tmp_path):
    path = sales(tmp_path / "gen.xlsx", formulas_valued=False)
    with pytest.raises(DataError, match=r"gen\.xlsx: holds formulas saved without their "
                                        r"values \(=C3\*D3 in row 3, sheet 'sales'\).*Open the "
                                        r"workbook in Excel or LibreOffice and save it"):
        load_dataset(path)


def test_an_old_xls_is_refused_saying_to_save_it_as_xlsx_or_csv(tmp_path):
    biff = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    for name in ("old.xls", "old.xlsx"):
        (tmp_path / name).write_bytes(biff)
        with pytest.raises(DataError, match=rf"{name.replace('.', r'.')}: is an Excel 97-2003 "
                                            r"workbook \(\.xls\).*save it as an Excel Workbook "
                                            r"\(\.xlsx\) or as CSV"):
            load_dataset(tmp_path / name)


def test_a_sheet_without_a_header_row_is_refused_as_a_csv_is(tmp_path):
    book = openpyxl.Workbook()
    for i in range(5):
        book.active.append([5.1 + i, 3.5, "setosa"])
    book.save(tmp_path / "raw.xlsx")
    with pytest.raises(DataError, match=r"raw\.xlsx, line 1: looks like data, not column "
                                        r"names \('5\.1', '3\.5', 'setosa'\)"):
        load_dataset(tmp_path / "raw.xlsx")


def test_without_openpyxl_the_error_says_how_to_get_it(tmp_path, monkeypatch):
    path = sales(tmp_path / "s.xlsx", second_sheet=False)
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(DataError, match=r"s\.xlsx: reading an Excel workbook needs openpyxl: "
                                        r"pip install openpyxl \(or save the sheet as CSV\)"):
        load_dataset(path)


def test_a_workbook_that_unpacks_past_the_budget_is_refused_before_it_is_read(tmp_path,
                                                                             monkeypatch):
    book = openpyxl.Workbook()
    book.active.append(["x", "y"])
    for _ in range(3000):
        book.active.append([1, "same"])
    book.save(tmp_path / "big.xlsx")
    with zipfile.ZipFile(tmp_path / "big.xlsx") as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    most = unpacked // 9
    assert (tmp_path / "big.xlsx").stat().st_size <= most  # small as a file
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_BYTES", str(most))
    with pytest.raises(DataError, match=r"big\.xlsx: its parts unpack to [\d.]+ MB; workbooks "
                                        r"are capped at [\d.]+ MB unpacked \(8 times the size "
                                        r"of a CSV file\) \(set LAYERLOOM_MAX_CSV_BYTES"):
        load_dataset(tmp_path / "big.xlsx")


def test_a_zip_that_is_no_workbook_is_said_to_be_none(tmp_path):
    with zipfile.ZipFile(tmp_path / "photos.xlsx", "w") as archive:
        archive.writestr("cat.png", b"not a sheet")
    with pytest.raises(DataError, match=r"photos\.xlsx: cannot be read as an Excel workbook"):
        load_dataset(tmp_path / "photos.xlsx")


def test_the_header_offered_names_an_unnamed_column_of_values_as_loading_does(tmp_path):
    book = openpyxl.Workbook()
    book.active.append([None, "x", "label"])  # pandas' index, its header cell empty
    for i in range(30):
        book.active.append([i, i * 2.5, "ab"[i % 2]])
    book.save(tmp_path / "index.xlsx")
    assert read_header(tmp_path / "index.xlsx") == ["column 1", "x", "label"]
    assert load_dataset(tmp_path / "index.xlsx").meta["columns"][0]["name"] == "column 1"


def test_a_sheet_or_column_named_by_a_number_is_taken_as_that_name(tmp_path):
    """``--data-option sheet=2024`` reads 2024 as a number: a text option takes a whole number
    as its digits, so a sheet (or a target column) called 2024 is found."""
    path = sales(tmp_path / "years.xlsx", iris=True)
    book = openpyxl.load_workbook(path)
    book["iris"].title = "2024"
    book.save(path)
    with_values(path, {f"E{i + 3}": repr(price(i) * (i % 5)) for i in range(40)})
    ds = load_dataset(path, sheet=2024)
    assert ds.classes == ["x", "y"] and ds.meta["notes"][0].startswith("read sheet '2024'")
    csv = tmp_path / "years.csv"
    csv.write_text("a,b,2024\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(30)))
    assert load_dataset(csv, target=2024).classes == ["x", "y"]
