"""``layerloom import-torch FILE.py:Class`` where the file cannot be read as Python: one line
naming it and what is wrong, exit 2 as for every file that cannot be read, nothing written.
A missing file was exit 1 ("no Python file missing.py in /abs/folder"), a folder named
``models.py`` was said to be no file at all, and a binary file "invalid Python at img.py line
None"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from layerloom.cli import main

NET = "from torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n" \
      "        return x\n"


@pytest.mark.parametrize("given, make, code, line", [
    ("missing.py:Net", None, 2,
     "missing.py: no such file; give the path of the model's Python file"),
    ("nofolder/net.py:Net", None, 2,
     "nofolder/net.py: no such file (there is no folder nofolder either); give the path of "
     "the model's Python file"),
    ("models.py:Net", "folder", 2,
     "models.py is a folder, not a Python file; name the model's file in it (e.g. "
     "models.py/model.py:Net)"),
    ("weights.py:Net", b"PK\x03\x04\x00\x00binary", 2,
     "weights.py is not Python source: it holds binary data (a NUL byte at byte 4); name the "
     "model's .py file"),
    ("réseau net.txt:Net", NET.encode(), 1,
     "réseau net.txt: a model file's name ends in .py; rename it (e.g. to réseau net.py) and "
     "give réseau net.py:Net, or give a module's name, such as mymodels:Net"),
])
def test_a_model_file_that_cannot_be_read_is_one_line(tmp_path, monkeypatch, capsys, given,
                                                      make, code, line):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / given.split(":")[0]
    if make == "folder":
        path.mkdir()
    elif make is not None:
        path.write_bytes(make)
    assert main(["import-torch", given, "--input-shape", "4", "-o", "net.json"]) == code
    assert capsys.readouterr().err == f"error: {line}\n"
    assert not (tmp_path / "net.json").exists()


def test_the_command_says_it_in_a_subprocess_too(tmp_path):
    (tmp_path / "img.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    done = subprocess.run([sys.executable, "-m", "layerloom", "import-torch", "img.py:Net",
                           "--input-shape", "4", "-o", "net.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("error: img.py is not Python source: it holds binary data (a NUL "
                           "byte at byte 8); name the model's .py file\n")
