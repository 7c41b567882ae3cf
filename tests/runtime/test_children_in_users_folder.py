"""LayerLoom's processes started in a user's folder that holds files named like Python's own
modules (``copy.py``, ``json.py``, ``random.py``: a beginner's scripts, or data helpers): each
was started with ``python -m``, which put that folder first on its path, and died importing the
user's ``copy.py`` with its traceback (a run's worker left the run failed, ``layerloom app``
said its server "ended before it served", ``train --nproc 2`` printed the traceback). They now
start with ``-P`` (:mod:`layerloom.runtime.child_python`) and run."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, start_run, wait
from layerloom.cli.app import command, server_answers

SHADOWING = ("copy", "json", "random")


@pytest.fixture
def users_folder(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    for name in SHADOWING:
        (folder / f"{name}.py").write_text(f"raise RuntimeError('the user\\'s {name}.py')\n")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("LAYERLOOM_WARM_WORKER", "0")
    return folder


def test_a_runs_worker_started_there_trains(users_folder, tmp_path):
    store = RunStore(tmp_path / "home" / "runs.db")
    graph = load_template("mlp-tabular")
    run_id = start_run(graph, {"source": "iris"}, {"epochs": 1, "num_threads": 1},
                       store=store)
    run = wait(run_id, timeout=240, store=store)
    assert run.status == "completed", (store.run_dir(run_id) / "worker.log").read_text()


def test_the_apps_server_started_there_serves(users_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(command(port, "127.0.0.1", False), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180  # a wait for the server, not a measure of it
        while server.poll() is None and not server_answers("127.0.0.1", port) \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        assert server.poll() is None, server.communicate()[1][-3000:]
        assert server_answers("127.0.0.1", port)
    finally:
        server.terminate()
        server.communicate(timeout=60)


def test_train_with_two_processes_there_trains(users_folder, tmp_path):
    done = subprocess.run([sys.executable, "-P", "-m", "layerloom", "train", "mlp-tabular",
                           "--dataset", "iris", "--epochs", "1", "--nproc", "2", "--home",
                           str(tmp_path / "home")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "run 1 recorded" in done.stderr
    assert "processes: 2" in done.stdout
