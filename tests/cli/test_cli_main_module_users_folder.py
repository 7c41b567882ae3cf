"""``python -m layerloom`` in a folder that holds a user's ``copy.py``, ``json.py`` or
``fnmatch.py``: ``-m`` puts that folder first on ``sys.path``, and every command died with the
user's file's traceback (``dataclasses`` imports ``copy`` as the CLI loads; ``pathlib``, which
the package imported, imports ``fnmatch``). ``layerloom/__main__.py`` takes the folder off the
path first, and the package imports nothing the interpreter has not already loaded, so the
commands run; import-torch still finds a model's module in that folder by itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHADOWING = ("copy", "json", "fnmatch", "urllib")  # urllib: pathlib imports urllib.parse

pytestmark = pytest.mark.slow  # each runs the CLI in processes that import torch


@pytest.fixture
def users_folder(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    for name in SHADOWING:
        (folder / f"{name}.py").write_text(
            f"raise SystemExit(\"the user's {name}.py was imported\")\n")
    return folder


def _layerloom(folder, *args):
    env = {**os.environ, "LAYERLOOM_HOME": str(folder.parent / "home")}
    env.pop("PYTHONSAFEPATH", None)  # the folder on the path, as for a user's python -m
    return subprocess.run([sys.executable, "-m", "layerloom", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)


def test_python_m_layerloom_runs_beside_files_named_like_pythons_modules(users_folder):
    done = _layerloom(users_folder, "new", "seed-cnn", "-o", "cnn.json")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("wrote cnn.json from template 'seed-cnn'")
    done = _layerloom(users_folder, "validate", "cnn.json")
    assert done.returncode == 0, done.stderr
    assert "was imported" not in done.stdout + done.stderr


def test_import_torch_still_finds_a_module_of_that_folder(users_folder):
    (users_folder / "mynet.py").write_text(
        "from torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 3)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n")
    done = _layerloom(users_folder, "import-torch", "mynet:Net", "--input-shape", "4",
                      "-o", "net.json")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "was imported" not in done.stdout + done.stderr
    assert (users_folder / "net.json").is_file()
