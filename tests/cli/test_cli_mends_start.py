"""Commands that need no torch start without importing it (nor Streamlit, nor pandas)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "streamlit", "pandas", "numpy")

PROBE = """
import json, sys
from layerloom.cli import main
code = 0
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}),
      file=sys.stderr)
""" % (HEAVY,)


def _probe(args, cwd):
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
    return proc, json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["--help"],
    ["templates"],
    ["new", "--template", "seed-cnn", "-o", "cnn.json"],
    ["validate", "seed-cnn.json"],
    ["summary", "seed-cnn.json"],
    ["summary", "seed-cnn.json", "--json"],
    ["validate", "bad.json"],
])
def test_commands_without_torch_do_not_import_it(tmp_path, args):
    from layerloom.graph.templates import template_text

    (tmp_path / "seed-cnn.json").write_text(template_text("seed-cnn"))
    (tmp_path / "bad.json").write_text(template_text("seed-cnn").replace('"=classes"', '"=clases"'))
    proc, out = _probe(args, tmp_path)
    assert out["heavy"] == [], f"{args} imported {out['heavy']}"
    if args[0] == "validate" and args[1] == "bad.json":
        assert out["code"] == 1 and "clases" in proc.stderr
    else:
        assert out["code"] == 0, proc.stderr
    if args[:1] == ["summary"]:
        assert "34,826" in proc.stdout or '"params": 34826' in proc.stdout


def test_codegen_still_imports_torch_when_it_needs_it(tmp_path):
    from layerloom.graph.templates import template_text

    (tmp_path / "g.json").write_text(template_text("seed-cnn"))
    proc, out = _probe(["codegen", "g.json", "-o", "m.py"], tmp_path)
    assert out["code"] == 0, proc.stderr
    assert "torch" in out["heavy"]
    assert "class " in (tmp_path / "m.py").read_text()


def test_graph_package_gives_compile_graph_on_demand():
    code = ("import sys, layerloom.graph as g; assert 'torch' not in sys.modules; "
            "f = g.compile_graph; assert 'torch' in sys.modules; print(f.__name__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "compile_graph"


def test_the_hint_after_new_is_a_command_that_works_when_pasted(tmp_path, capsys, monkeypatch):
    """A file name with a space (or any shell character) is quoted in the printed command."""
    import shlex

    from layerloom.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["new", "--template", "seed-cnn", "-o", "my cnn.json"]) == 0
    out = capsys.readouterr().out
    command = out.split("`")[1]
    assert command == "layerloom summary 'my cnn.json'"
    assert main(shlex.split(command)[1:]) == 0
    assert "34,826" in capsys.readouterr().out
