"""A folder given where a design file goes (``layerloom validate .``, a path cut short by tab
completion) is said to be a folder, with the designs in it: it said "cannot read the file (Is
a directory)". Still exit 2, a file that cannot be read."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("command", [["validate"], ["summary"], ["codegen"]])
def test_a_folder_is_said_with_the_designs_in_it(tmp_path, capsys, command):
    folder = tmp_path / "my designs"
    folder.mkdir()
    for name in ("b.json", "a.json", "notes.txt"):
        (folder / name).write_text("{}", encoding="utf-8")
    assert main([*command, str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"error: {folder} is a folder; give the path of a design file (a .json): it holds "
        f"a.json, b.json\n")


def test_an_empty_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is a folder; give the path of a design file (a .json)\n")
