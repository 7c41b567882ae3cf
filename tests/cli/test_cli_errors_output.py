"""The CLI never shows a traceback for bad input (issue 11): one catch-all prints ``error: …``
(the traceback only with ``--debug``), control characters in what it prints are escaped, and a
closed pipe ends it quietly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from layerloom.cli import main
from layerloom.cli.common import SafeStream, printable

ESC = "\x1b"


def _graph(nodes, name="g"):
    return {"format": "layerloom-graph", "version": 1, "name": name, "nodes": nodes,
            "edges": []}


def test_printable_escapes_every_control_character():
    assert printable(f"conv{ESC}[2J1\n\t\r\x7f\x9b") == "conv\\x1b[2J1\\n\\t\\r\\x7f\\x9b"
    assert printable("naïve → ok") == "naïve → ok"


def test_the_stream_keeps_line_layout_but_escapes_the_rest(capsys):
    stream = SafeStream(sys.stdout)
    stream.write(f"a{ESC}]0;pwned\x07b\n\tc\r")
    assert capsys.readouterr().out == "a\\x1b]0;pwned\\x07b\n\tc\r"


def test_node_ids_holding_escape_sequences_are_printed_escaped(tmp_path, capsys):
    path = tmp_path / "esc.json"
    path.write_text(json.dumps(_graph([
        {"id": f"a{ESC}[31mRED{ESC}]0;title\x07", "type": "Input", "params": {"shape": [3]}},
        {"id": "b", "type": "Nope"}], name=f"n{ESC}[2J")))
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert ESC not in text and "\x07" not in text
    assert "a\\x1b[31mRED\\x1b]0;title\\x07" in captured.err


@pytest.mark.parametrize("text, message", [
    ('{"format": "layerloom-graph", "version": 1, "name": "x", "nodes": [{"id": "a", '
     '"type": "Input", "params": {"shape": [' + "9" * 5000 + ']}}], "edges": []}', None),
    ("[" * 100_000 + "]" * 100_000, None),
])
def test_hostile_json_ends_in_one_error_line(tmp_path, capsys, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert main(["validate", str(path)]) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_an_unexpected_exception_is_one_line_and_debug_shows_the_traceback(monkeypatch,
                                                                           capsys):
    import layerloom.cli.templates as templates

    def boom(args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(templates, "cmd_templates", boom)
    assert main(["templates"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "error: the input is nested too deeply to be read"
    assert "Traceback" not in err and "--debug" in err
    assert main(["--debug", "templates"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "boom" in err
    assert err.rstrip().splitlines()[-1] == "error: the input is nested too deeply to be read"


def test_an_unreadable_file_exits_2(monkeypatch, capsys):
    import layerloom.cli.templates as templates

    def denied(args):
        raise PermissionError(13, "Permission denied", f"secret{ESC}[2J.json")

    monkeypatch.setattr(templates, "cmd_templates", denied)
    assert main(["templates"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: secret\\x1b[2J.json: permission denied; choose a file and folder you may use, "
        "or change their permissions"]


def test_a_closed_pipe_ends_quietly():
    """``layerloom templates | head -1``: the reader is gone before the command writes."""
    process = subprocess.Popen([sys.executable, "-m", "layerloom", "templates"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # long before the interpreter has started
    try:
        err = process.stderr.read().decode()
        code = process.wait(timeout=120)
    finally:
        process.kill()
    assert err == ""
    assert code == 141


def test_a_pipe_closed_after_the_first_line_ends_quietly():
    done = subprocess.run(f"{sys.executable} -m layerloom templates | head -1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("name ") and done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_a_node_id_holding_a_newline_cannot_forge_a_line(tmp_path, capsys):
    path = tmp_path / "nl.json"
    path.write_text(json.dumps(_graph([
        {"id": "a\nerror: everything is fine", "type": "Input", "params": {"shape": [3]}}])))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "a\\nerror: everything is fine" in err
    assert not any(line.startswith("error: everything") for line in err.splitlines())
