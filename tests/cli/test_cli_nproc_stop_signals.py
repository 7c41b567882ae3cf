"""``layerloom train --nproc N`` stops on Ctrl+C, SIGTERM and SIGHUP as one process does: at
the next log step, recorded ``stopped`` and resumable, exit 130, 143 or 129.

Its launcher used to turn the signal into a KeyboardInterrupt, send SIGTERM to its processes
and kill them 10 s later: a run whose next log step (and checkpoint) came later than that was
killed half-way, left ``running`` and not resumable from where it stopped. The launcher now
passes the stop on and waits for its processes however long they take; rank 0 alone says
"stopping at the next batch" (each process said it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from layerloom.runtime.store import RunStore

# A stand-in for each `python -m layerloom …` process the launcher starts: it says it has
# started, and on SIGTERM (or Ctrl+C) takes 12 s to finish its batch and checkpoint, as a
# large model's step can, before it says it stopped and exits as a stopped run does (143).
PROCESS = textwrap.dedent("""\
    #!{python}
    import os, signal, sys, time
    folder, rank = {folder!r}, os.environ["RANK"]
    received = []

    def stop(signum, frame):
        received.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    open(os.path.join(folder, "started-" + rank), "w").close()
    while not received:
        time.sleep(0.01)
    time.sleep(float(os.environ.get("STOP_TAKES", "12")))
    open(os.path.join(folder, "stopped-" + rank), "w").close()
    sys.exit(128 + received[0])
""")

LAUNCHER = textwrap.dedent("""\
    import sys
    sys.executable = sys.argv[1]  # the launcher starts the stand-ins
    from layerloom.cli import main
    sys.exit(main(["train", "mlp-tabular", "-d", "iris", "--nproc", "2"]))
""")


def _wait_for(test, proc: subprocess.Popen, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = test()
        if found:
            return found
        assert proc.poll() is None, f"ended before {what}: {proc.communicate()}"
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"no {what} after {timeout} s")


@pytest.mark.slow  # the stand-ins take 12 s to stop
def test_the_launcher_waits_for_its_processes_to_stop_however_long_they_take(tmp_path):
    fake = tmp_path / "python"
    fake.write_text(PROCESS.format(python=sys.executable, folder=str(tmp_path)))
    fake.chmod(0o755)
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(fake)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: all((tmp_path / f"started-{r}").exists() for r in "01"), launcher,
              "processes started")
    launcher.send_signal(signal.SIGTERM)
    out, err = launcher.communicate(timeout=90)
    stopped = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("stopped-"))
    assert stopped == ["stopped-0", "stopped-1"], err  # neither was killed half-way
    assert launcher.returncode == 143, err


def _start(args: list[str], home, cwd) -> subprocess.Popen:
    """The command in a process group of its own, as a shell's job is (Ctrl+C reaches the
    whole group)."""
    env = {**os.environ, "LAYERLOOM_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "layerloom", *args], cwd=cwd, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


@pytest.mark.heavy  # three processes training, stopped and resumed (~30 s each)
@pytest.mark.parametrize("sig, to_group, code, said", [
    (signal.SIGINT, True, 130, "stopping at the next batch (Ctrl-C again to quit now)…"),
    (signal.SIGTERM, False, 143, "SIGTERM: stopping at the next batch…"),
    (signal.SIGHUP, False, 129, "SIGTERM: stopping at the next batch…")],
    ids=["ctrl-c", "SIGTERM", "SIGHUP"])
def test_a_two_process_run_stops_recorded_and_resumable(tmp_path, sig, to_group, code, said):
    home = tmp_path / "home"
    proc = _start(["train", "mlp-tabular", "-d", "iris", "--epochs", "5000", "--cfg",
                   "log_every=1", "--nproc", "2"], home, tmp_path)
    _wait_for(lambda: (home / "runs.db").exists(), proc, "runs database")
    store = RunStore(home / "runs.db")

    def an_epoch():
        runs = store.list_runs()
        return runs and (runs[0].progress or {}).get("epoch", 0) >= 1

    _wait_for(an_epoch, proc, "an epoch")
    if to_group:  # Ctrl+C in the terminal: the launcher and its processes each get it
        os.killpg(proc.pid, sig)
    else:  # kill PID (or a SIGHUP sent to the launcher alone): it passes the stop on
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    run = store.get(1)
    assert (run.status, run.pid, run.resumable) == ("stopped", None, True), err
    assert os.path.isfile(run.checkpoint)
    assert proc.returncode == code, err
    assert err.count("stopping at the next batch") == 1, err  # rank 0 alone says it
    assert said in err
    assert "resume it with: layerloom resume 1" in err
    epoch = run.progress["epoch"]
    more = subprocess.run([sys.executable, "-m", "layerloom", "resume", "1", "--epochs",
                           str(epoch + 1), "--home", str(home)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert more.returncode == 0, more.stderr
    after = store.get(1)
    assert after.status == "completed"
    assert after.progress["metrics"]["processes"] == 2  # resumed as two processes


def test_a_signal_while_the_processes_start_stops_those_started_and_starts_no_more(
        tmp_path, monkeypatch):
    """A SIGTERM that landed between the start of rank 0 and that of rank 1 ended the launcher
    at once (a KeyboardInterrupt): rank 0 went on alone, unasked, waiting for a rank 1 that
    never came."""
    from layerloom.cli import main
    from layerloom.runtime import distributed

    fake = tmp_path / "python"
    fake.write_text(PROCESS.format(python=sys.executable, folder=str(tmp_path)))
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    monkeypatch.setenv("STOP_TAKES", "0.5")
    started = []
    real = subprocess.Popen

    def popen(*args, **kwargs):  # the signal lands as the first process has started
        proc = real(*args, **kwargs)
        started.append(proc)
        if len(started) == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return proc

    monkeypatch.setattr(distributed.subprocess, "Popen", popen)
    try:
        code = main(["train", "mlp-tabular", "-d", "iris", "--nproc", "2"])
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                pytest.fail("a process of the run was left running")
    assert len(started) == 1  # rank 1 was never started
    assert started[0].returncode is not None  # rank 0 was asked to stop, and did
    assert code == 143
