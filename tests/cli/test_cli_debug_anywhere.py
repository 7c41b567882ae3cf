"""``--debug`` after the command (``layerloom import-onnx m.onnx -o g.json --debug``, where
options usually go) shows the traceback as ``layerloom --debug import-onnx ...`` does. It was
refused, "unrecognized arguments: --debug", exit 2, though the error line it answers says
"run `layerloom --debug ...`" and a user adds it at the end of the line just run."""

from __future__ import annotations

from layerloom.cli import main


def test_debug_after_the_command_shows_the_traceback(tmp_path, capsys):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"not a protobuf at all \x00\x01\x02" * 10)
    out = str(tmp_path / "g.json")
    assert main(["import-onnx", str(bad), "-o", out, "--debug"]) == 1
    err = capsys.readouterr().err
    assert "unrecognized arguments" not in err
    assert "Traceback (most recent call last)" in err and "onnx_in.py" in err
    assert err.rstrip().splitlines()[-1].startswith("error: ")


def test_debug_between_the_command_and_its_file(tmp_path, capsys):
    assert main(["validate", "--debug", str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.json'}: no such file\n"
