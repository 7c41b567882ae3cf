"""Workbooks LayerLoom does not read (.xlsm with macros, .xlsb, LibreOffice's .ods) are refused
saying what each is and what to save it as, as an .xls is, where they were 'files of type
'.xlsm' cannot be loaded'."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


@pytest.mark.parametrize("suffix, what", [
    (".xlsm", "a macro-enabled Excel workbook (.xlsm)"),
    (".xlsb", "a binary Excel workbook (.xlsb)"),
    (".ods", "an OpenDocument spreadsheet (.ods)")])
def test_another_workbook_says_what_to_save_it_as(tmp_path, capsys, suffix, what):
    path = tmp_path / f"sales{suffix}"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    said = (f"sales{suffix}: is {what}, which LayerLoom does not read: save it as an Excel "
            f"Workbook (.xlsx; no macro is needed to read its values) or as CSV (CSV UTF-8), "
            f"and load that file")
    with pytest.raises(DataError) as info:
        load_dataset(path)
    assert str(info.value) == said
    assert main(["validate", "mlp-tabular", "-d", str(path)]) == 1
    assert capsys.readouterr().err == f"error: {said}\n"

