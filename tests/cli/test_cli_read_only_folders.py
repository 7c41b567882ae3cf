"""The CLI where its user may not write: a read-only output folder, a read-only current folder
(the default names), a read-only home (empty, or holding runs), a read-only data file's folder.
Root ignores permissions, so where the test runs as root each command runs as ``nobody``
(``setpriv``), or, where nobody cannot run this Python, as root on folders made immutable
(``chattr +i``); run by another user it runs as that user. Every refusal is one ``error:`` line,
exit 2, nothing written, no traceback; what only reads goes on. ``export -f project`` said
``error: [Errno 13] Permission denied: 'ro'``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from layerloom.cli import main

NOBODY = 65534
MYNET = ("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
         "        super().__init__()\n        self.fc = nn.Linear(4, 3)\n\n"
         "    def forward(self, x):\n        return self.fc(x)\n")

pytestmark = pytest.mark.slow  # each runs the CLI in processes that import torch


def _nobody_runs_python(folder: Path) -> list[str] | None:
    """The words that run a command as nobody, where setpriv is there and nobody can run this
    Python (a venv made from an interpreter under /root cannot be); else None."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    as_nobody = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    os.chown(folder, NOBODY, NOBODY)
    probe = subprocess.run([*as_nobody, sys.executable, "-P", "-c",
                            "import sys, layerloom.cli; print(sys.version)"],
                           cwd=folder, capture_output=True, text=True, timeout=120)
    return as_nobody if probe.returncode == 0 and probe.stdout.strip() == sys.version else None


def _immutable(path: Path, on: bool = True) -> bool:
    """``chattr +i`` (``-i``) on ``path`` and all it holds: what stops root too."""
    chattr = shutil.which("chattr")
    return chattr is not None and subprocess.run(
        [chattr, "-R", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def work():
    """A folder in /tmp (pytest's own is root's alone) with a design, a model file, a run
    recorded in ``rohome``, and the read-only folders; and the words that run the CLI as a user
    they are read-only for. As root: nobody, through setpriv, where nobody can run this Python;
    else root itself, the folders made immutable (chattr +i)."""
    folder = Path(tempfile.mkdtemp(prefix="layerloom-read-only-"))
    folder.chmod(0o755)
    read_only = ("ro", "emptyhome", "rodata", "rohome")
    as_user, immutable = [], False
    try:
        if os.geteuid() == 0:
            as_user = _nobody_runs_python(folder)
            immutable = as_user is None
            as_user = as_user or []
        assert main(["new", "mlp-tabular", "-o", str(folder / "mlp.json")]) == 0
        (folder / "mynet.py").write_text(MYNET)
        assert main(["train", str(folder / "mlp.json"), "-d", "iris", "--epochs", "1",
                     "--home", str(folder / "rohome")]) == 0
        for name in ("ro", "emptyhome", "rodata", "home"):
            (folder / name).mkdir()
        assert main(["export", str(folder / "mlp.json"), "-f", "json", "-o",
                     str(folder / "rodata" / "design.json")]) == 0
        rows = [f"{i % 7},{i % 5},{i % 3},{i % 11},{'abc'[i % 3]}" for i in range(60)]
        (folder / "rodata" / "table.csv").write_text("\n".join(["a,b,c,d,label", *rows]) + "\n")
        if as_user:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        if immutable:
            if not all(_immutable(folder / name) for name in read_only):
                pytest.skip("runs as root, which ignores permissions, where nobody cannot run "
                            "this Python (setpriv missing, or the Python in a folder only root "
                            "may read) and chattr cannot make a folder immutable")
        else:
            for name in read_only:
                for path in [folder / name, *(folder / name).rglob("*")]:
                    path.chmod(0o555 if path.is_dir() else 0o444)
        yield folder, as_user
    finally:
        if immutable:
            for name in read_only:
                if (folder / name).exists():
                    _immutable(folder / name, on=False)
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _layerloom(work, *args, cwd=None):
    folder, as_user = work
    env = {**os.environ, "HOME": str(folder), "LAYERLOOM_HOME": str(folder / "home"),
           "MPLCONFIGDIR": str(folder / "home")}
    return subprocess.run([*as_user, sys.executable, "-P", "-m", "layerloom", *args],
                          cwd=cwd or folder, env=env, capture_output=True, text=True, timeout=300)


def _refused(done, start: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: {start}") and done.stderr.count("\n") == 1, \
        done.stderr
    assert "permission denied" in done.stderr.lower() or "cannot be written" in done.stderr


@pytest.mark.parametrize(("command", "named"), [
    (["new", "seed-cnn", "-o", "ro/x.json"], "ro/x.json: permission denied"),
    (["codegen", "mlp.json", "-o", "ro/m.py"], "ro/m.py: permission denied"),
    (["export", "mlp.json", "-f", "onnx", "-o", "ro/x.onnx"], "ro: permission denied"),
    (["export", "mlp.json", "-f", "python", "-o", "ro/m.py"], "ro: permission denied"),
    (["export", "mlp.json", "-f", "project", "--data", "iris", "-o", "ro/proj"],
     "ro: permission denied"),
    (["import-torch", "mynet.py:Net", "--input-shape", "4", "-o", "ro/net.json"],
     "ro/net.json: permission denied"),
])
def test_a_read_only_output_folder_is_one_line(work, command, named):
    _refused(_layerloom(work, *command), named)
    assert list((work[0] / "ro").iterdir()) == []


def test_default_names_in_a_read_only_current_folder(work):
    _refused(_layerloom(work, "new", "seed-cnn", cwd=work[0] / "ro"),
             "seed-cnn.json: permission denied")
    _refused(_layerloom(work, "export", "../mlp.json", "-f", "onnx", cwd=work[0] / "ro"),
             ".: permission denied")


def test_a_read_only_home(work):
    folder = work[0]
    _refused(_layerloom(work, "train", "mlp.json", "-d", "iris", "--home", "emptyhome"),
             "cannot use emptyhome as LayerLoom's home: it cannot be written")
    listed = _layerloom(work, "runs", "--home", "rohome")
    assert listed.returncode == 0 and "mlp-tabular #1" in listed.stdout, listed.stderr
    done = _layerloom(work, "export", "1", "-f", "onnx", "-o", "run1.onnx", "--home", "rohome")
    assert done.returncode == 0 and (folder / "run1.onnx").is_file(), done.stderr
    done = _layerloom(work, "train", "mlp.json", "-d", "iris", "--home", "rohome")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: the runs database {folder / 'rohome' / 'runs.db'} "
                                  f"is read-only")


def test_a_read_only_data_folder_is_only_read(work):
    folder = work[0]
    done = _layerloom(work, "validate", "rodata/design.json")
    assert done.returncode == 0, done.stderr
    done = _layerloom(work, "validate", "rodata/design.json", "-d", "rodata/table.csv")
    assert done.returncode == 0, done.stderr
    done = _layerloom(work, "train", "rodata/design.json", "-d", "rodata/table.csv",
                      "--epochs", "1")
    assert done.returncode == 0, done.stderr
    assert "run 1 recorded" in done.stderr
    assert sorted(p.name for p in (folder / "rodata").iterdir()) == ["design.json", "table.csv"]
