"""A broken runs database (issue 11): truncated, random bytes or read-only. The API raises
StoreError naming the file and saying what to do; ``runs``, ``runs show`` and ``train`` print it
as one ``error:`` line; a read-only database can still be listed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager

import pytest

from layerloom.cli import main
from layerloom.runtime.config import TrainConfig
from layerloom.runtime.store import RunStore, StoreError

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "g", "nodes": [], "edges": []}


def _filled(home, runs: int = 3) -> RunStore:
    store = RunStore(home / "runs.db")
    for i in range(runs):
        run_id = store.create_run(f"run-{i}", {**GRAPH, "description": "x" * 20_000},
                                  {"source": "iris"}, TrainConfig().to_dict())
        store.add_metrics([(run_id, s, 0, "step", "loss", 1.0 / (s + 1), 0.0)
                           for s in range(300)])
    store.close()
    return store


def _cli(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "layerloom", *argv], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def random_home(tmp_path):
    home = tmp_path / "random"
    home.mkdir()
    (home / "runs.db").write_bytes(os.urandom(8192))
    return home


@pytest.fixture
def truncated_home(tmp_path):
    home = tmp_path / "truncated"
    _filled(home)
    db = home / "runs.db"
    assert not (home / "runs.db-wal").exists() or (home / "runs.db-wal").stat().st_size == 0
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    return home


@pytest.mark.parametrize("fixture", ["random_home", "truncated_home"])
def test_a_damaged_database_is_a_store_error_naming_the_file(fixture, request):
    home = request.getfixturevalue(fixture)
    with pytest.raises(StoreError, match=r"the runs database .*runs\.db is damaged or is not a "
                                         r"LayerLoom database .* move it aside \(for example "
                                         r"rename it to runs\.db\.broken\)") as caught:
        store = RunStore(home / "runs.db")
        store.list_runs()
        for run in store.list_runs():
            store.metrics(run.id)
    assert caught.value.path == home / "runs.db"


def test_runs_runs_show_and_train_say_so_without_a_traceback(random_home, capsys):
    for argv in (["runs", "--home", str(random_home)],
                 ["runs", "show", "1", "--home", str(random_home)],
                 ["train", "mlp-tabular", "-d", "iris", "--epochs", "1",
                  "--home", str(random_home)]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert f"{random_home / 'runs.db'} is damaged" in err and "move it aside" in err, err
        assert "Traceback" not in err


def test_the_installed_command_says_so_too(truncated_home):
    done = _cli("runs", "--home", str(truncated_home))
    assert done.returncode == 1
    assert done.stderr.startswith("error: the runs database "), done.stderr
    assert "move it aside" in done.stderr and "Traceback" not in done.stderr


@contextmanager
def read_only(path):
    """``path`` (a file) and its folder made read-only for this process. Root ignores
    permission bits, so for root the file is made immutable (``chattr +i``) instead."""
    folder = path.parent
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("running as root where files cannot be made immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    modes = path.stat().st_mode, folder.stat().st_mode
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(stat.S_IMODE(modes[1]))
        path.chmod(stat.S_IMODE(modes[0]))


def test_a_read_only_database_is_listed_and_refuses_writes_in_words(tmp_path, capsys):
    home = tmp_path / "ro"
    _filled(home, runs=2)
    db = home / "runs.db"
    with read_only(db):
        store = RunStore(db)
        assert store.read_only
        assert [run.name for run in store.list_runs()] == ["run-1", "run-0"]
        assert len(store.metrics(store.list_runs()[0].id)) == 300
        assert store.recover() == []
        with pytest.raises(StoreError, match=r"the runs database .*runs\.db is read-only .*: "
                                             r"runs can be listed and shown but not recorded; "
                                             r"make the file and its folder writable"):
            store.create_run("new", GRAPH, {"source": "iris"}, {})
        store.close()
        assert main(["runs", "--home", str(home)]) == 0
        out = capsys.readouterr().out
        assert "run-0" in out and "run-1" in out
        assert main(["runs", "show", "1", "--home", str(home)]) == 0
        assert "run 1: run-0" in capsys.readouterr().out
        assert main(["train", "mlp-tabular", "-d", "iris", "--epochs", "1",
                     "--home", str(home)]) == 1
        err = capsys.readouterr().err
        assert "is read-only" in err and str(db) in err and "Traceback" not in err
