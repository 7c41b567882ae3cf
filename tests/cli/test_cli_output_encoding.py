"""Output in a locale whose encoding cannot write every character (latin-1, ASCII, a Windows code
page, PYTHONIOENCODING=ascii): stdout sent to a file or pipe is written in UTF-8, as a design's
JSON and codegen's module must be, and a terminal gets an escape for what it cannot show. Every
command whose output held a '→' (``layerloom templates``) or a design's 'ü' failed with
"'ascii' codec can't encode character '\\u2192'", exit 1."""

from __future__ import annotations

import io
import sys

from layerloom.cli import main


class Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_utf8(monkeypatch):
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    assert main(["templates"]) == 0
    sys.stdout.flush()
    assert "[1, 28, 28] → [10]" in raw.getvalue().decode("utf-8")


def test_codegen_of_a_design_with_a_unicode_name_to_an_ascii_pipe(monkeypatch, tmp_path):
    design = tmp_path / "d.json"
    design.write_text('{"format": "layerloom-graph", "version": 1, "name": "Größe → Netz", '
                      '"nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}}, '
                      '{"id": "fc", "type": "Linear", "params": {"out_features": 2}}, '
                      '{"id": "y", "type": "Output"}], "edges": [{"source": "x", "target": '
                      '"fc"}, {"source": "fc", "target": "y"}]}', encoding="utf-8")
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="latin-1"))
    assert main(["codegen", str(design)]) == 0
    sys.stdout.flush()
    source = raw.getvalue().decode("utf-8")  # a module Python reads: UTF-8
    assert "Größe → Netz" in source
    compile(source, "model.py", "exec")


def test_a_terminal_gets_escapes(monkeypatch):
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", Terminal(raw, encoding="ascii"))
    assert main(["templates"]) == 0
    sys.stdout.flush()
    assert "[1, 28, 28] \\u2192 [10]" in raw.getvalue().decode("ascii")
