"""SIGTERM (``kill``, a shutdown) and SIGHUP (the terminal closed) stop a command as Ctrl+C does.

They ended it on the spot: an export left its hidden ``.layerloom-export-*`` or
``.layerloom-project-*`` folder beside the file it was writing, and a run being trained stayed
``running`` in the database (found dead later, then ``failed``) where Ctrl+C stops it at the
next batch, kept and resumable. Each test starts the real command, signals it part-way and
reads what it left: files, the runs database, the exit code (128 + the signal, as shells say).
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time

import pytest

from layerloom.runtime.store import RunStore

pytestmark = pytest.mark.slow  # real commands: an export or a training each (~10 s)


def _start(args: list[str], home, cwd, **streams) -> subprocess.Popen:
    env = {**os.environ, "LAYERLOOM_HOME": str(home)}
    streams = streams or {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.Popen([sys.executable, "-m", "layerloom", *args], cwd=cwd, env=env,
                            text=True, **streams)


def _until(test, proc: subprocess.Popen, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = test()
        if found:
            return found
        assert proc.poll() is None, f"the command ended before {what}: {proc.communicate()}"
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"no {what} after {timeout} s")


def _temporary(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".layerloom-")]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("args, written", [
    (["export", "resnet18", "-f", "onnx", "-o", "net.onnx"], "net.onnx"),
    (["export", "seed-cnn", "-f", "project", "--data", "mnist-5k", "-o", "proj"], "proj")],
    ids=["onnx", "project"])
def test_a_signal_during_an_export_leaves_no_temporary_folder(tmp_path, args, written, sig):
    work = tmp_path / "work"
    work.mkdir()
    proc = _start(args, tmp_path / "home", work)
    _until(lambda: _temporary(work), proc, "temporary folder")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert sorted(p.name for p in work.iterdir()) == [], err  # nothing half-written either
    assert proc.returncode == 128 + sig, err
    said = "SIGTERM" if sig == signal.SIGTERM else "SIGHUP (the terminal was closed)"
    assert err.splitlines()[-1] == f"stopped by {said}"


def _training(tmp_path, **streams) -> tuple[subprocess.Popen, RunStore]:
    """``layerloom train`` for many epochs, once its run has taken a step or two."""
    home = tmp_path / "home"
    proc = _start(["train", "mlp-tabular", "-d", "iris", "--epochs", "5000", "--cfg",
                   "log_every=1"], home, tmp_path, **streams)
    _until(lambda: (home / "runs.db").exists(), proc, "runs database")
    store = RunStore(home / "runs.db")

    def stepped():
        runs = store.list_runs()
        return runs and (runs[0].progress or {}).get("epoch", 0) >= 1

    _until(stepped, proc, "training step")
    return proc, store


def test_sigterm_stops_a_training_as_ctrl_c_does(tmp_path):
    proc, store = _training(tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    run = store.get(1)
    assert (run.status, run.pid, run.resumable) == ("stopped", None, True), err
    assert os.path.isfile(run.checkpoint)
    assert proc.returncode == 143, err
    assert "SIGTERM: stopping at the next batch…" in err
    assert "resume it with: layerloom resume 1" in err


def test_sighup_from_a_closed_terminal_stops_a_training_as_ctrl_c_does(tmp_path):
    """The terminal gone, writing to it fails: the command still stops cleanly."""
    terminal, its_end = pty.openpty()
    proc, store = _training(tmp_path, stdin=its_end, stdout=its_end, stderr=its_end)
    os.close(its_end)
    os.close(terminal)  # the terminal window closed: its end now answers every write with EIO
    proc.send_signal(signal.SIGHUP)
    proc.wait(timeout=120)
    run = store.get(1)
    assert (run.status, run.pid, run.resumable) == ("stopped", None, True), run.reason
    assert os.path.isfile(run.checkpoint)
    assert proc.returncode == 129
