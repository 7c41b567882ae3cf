"""A design file edited by hand with the usual slips (a comma after the last item, a comment,
Python's quotes or True) is refused naming the file, the line and column, and what to change, in
every command that reads a design and in the designer, where Python's JSON reader said only
"Expecting value" or "Expecting property name enclosed in double quotes" (and a file whose first
line is a comment was "text that is no JSON")."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.graph import GraphError, loads_graph

GOOD = json.dumps({"format": "layerloom-graph", "version": 1, "name": "t",
                   "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                             {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                             {"id": "y", "type": "Output"}],
                   "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]},
                  indent=2)
TRAILING = GOOD.replace('"type": "Output"\n    }\n  ]', '"type": "Output"\n    },\n  ]')
TRAILING_COMMA = ("line 25, column 6: invalid JSON: a comma after the last item of a list "
                  "(JSON allows none there): remove it")  # at the comma, in Python 3.11 and 3.13

CASES = {
    "trailing comma in a list": (TRAILING, TRAILING_COMMA),
    "trailing comma in an object": (
        '{\n  "format": "layerloom-graph",\n  "version": 1,\n  "name": "t",\n}',
        "line 4, column 14: invalid JSON: a comma after the last item of an object (JSON "
        "allows none there): remove it"),
    "line comment": (
        GOOD.replace('"name": "t",', '"name": "t",  // my first net'),
        'line 4, column 17: invalid JSON: a comment (//), which JSON does not allow: remove it '
        '(a note on the design goes in its "description")'),
    "a comment on the first line": (
        "// my first net\n" + GOOD,
        'line 1, column 1: invalid JSON: a comment (//), which JSON does not allow: remove it '
        '(a note on the design goes in its "description")'),
    "block comment": (
        GOOD.replace('"name": "t",', '/* mine */ "name": "t",'),
        'line 4, column 3: invalid JSON: a comment (/* … */), which JSON does not allow: remove '
        'it (a note on the design goes in its "description")'),
    "single quotes": (
        GOOD.replace('"name": "t"', "'name': 't'"),
        "line 4, column 3: invalid JSON: text in single quotes ('…'): JSON puts text and keys "
        "in double quotes (\"…\")"),
    "Python's True": (
        GOOD.replace('"out_features": 3', '"out_features": 3, "bias": True'),
        "line 19, column 36: invalid JSON: True is Python, not JSON: write true (in lower "
        "case)"),
    "a missing comma": (
        GOOD.replace('"version": 1,', '"version": 1'),
        "line 4, column 3: invalid JSON: a comma is missing here, between the item before and "
        "the next one"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_hand_edited_slip_is_named_with_what_to_change(case):
    text, message = CASES[case]
    with pytest.raises(GraphError) as info:
        loads_graph(text, filename="mine.json")
    assert str(info.value) == f"mine.json: {message}"
    assert info.value.unreadable


@pytest.mark.parametrize("command", [
    ["validate"], ["summary"], ["codegen"], ["train", "-d", "iris", "--no-record"],
    ["lr-find", "-d", "iris"], ["sweep", "-d", "iris", "--param", "lr=0.01,0.1"],
    ["export", "--format", "python"]])
def test_every_command_that_reads_a_design_says_so(tmp_path, capsys, command):
    path = tmp_path / "mine.json"
    path.write_text(TRAILING, encoding="utf-8")
    assert main([command[0], str(path), *command[1:]]) == 2
    assert capsys.readouterr().err == f"error: {path}: {TRAILING_COMMA}\n"

