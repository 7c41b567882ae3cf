"""An empty design file (a save cut short, a file made with touch) is said to be empty, not
"line 1, column 1: invalid JSON: Expecting value"; still exit 2, as any file that is no JSON."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n", "\ufeff"])
def test_an_empty_design_file_is_said_to_be_empty(tmp_path, capsys, text):
    path = tmp_path / "design.json"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == (
        f'error: {path}: the file is empty; a design is a JSON object ("format": '
        f'"layerloom-graph", its nodes and edges)\n')
