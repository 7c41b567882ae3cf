"""Fast starts (issue 12): runs forked by the app's warm worker, their first point written after
the first batch, and what a starting run is doing (``Run.phase``)."""

from __future__ import annotations

import functools

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layerloom.runtime import (RunStore, resume_run, run_status, start_run, stop_run, train,
                               wait, zygote)
from layerloom.runtime.store import ACTIVE, StoreSink

SPEC = {"source": "moons", "options": {"n_samples": 2000}}
SLOW = {"epochs": 100, "lr": 0.01, "num_threads": 1, "log_every": 50, "batch_size": 16}


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A warm worker for this process, ready; ended afterwards."""
    old = os.environ.pop(zygote.ENV, None)
    proc = zygote.start()
    assert proc is not None
    try:
        wait_for(zygote.ready, timeout=120, what="the warm worker")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.environ.pop(zygote.ENV, None)
        if old:
            os.environ[zygote.ENV] = old


def test_warm_worker_forks_runs_that_start_at_once(warm, tmp_path, mlp):
    store = RunStore(tmp_path / "runs.db")
    run_id = start_run(mlp(), SPEC, SLOW, store=store)
    wait_for(lambda: store.metrics(run_id, split="step"), what="a first point")
    run = run_status(run_id, store)
    # forked by the warm worker: a child of it, not of this process
    assert run.pid != os.getpid()
    with open(f"/proc/{run.pid}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == warm.pid
    # the first point is the first step's, though it logs every 50 steps
    steps = [m.step for m in store.metrics(run_id, split="step", name="loss")]
    assert steps[0] == 1
    assert run.phase is None and run.status == "running"

    stopped = (stop_run(run_id, store), wait(run_id, timeout=60, store=store))[1]
    assert stopped.status == "stopped" and stopped.resumable
    done = stopped.progress["step"]
    resume_run(run_id, store)

    def resumed():
        step = (run_status(run_id, store).progress or {}).get("step") or 0
        return step if step > done else None

    # the resumed session's first step shows at once in the progress; it is provisional, no
    # point of the curve (an uninterrupted run has none there), so no row of it is stored
    wait_for(resumed, what="a resumed step")
    progress = run_status(run_id, store).progress
    per_epoch = progress["total_steps"] // progress["epochs"]
    # stored after the resume: log steps and each epoch's last step (the curve reaches the
    # epoch's end), never the provisional first one
    assert not [m for m in store.metrics(run_id, split="step")
                if done < m.step and m.step % SLOW["log_every"] and m.step % per_epoch]
    stop_run(run_id, store)
    assert wait(run_id, timeout=60, store=store).status == "stopped"
    # its output went to the run's log, not to the app's terminal
    assert (store.run_dir(run_id) / "worker.log").exists()


def test_warm_run_failure_is_recorded(warm, tmp_path, mlp):
    store = RunStore(tmp_path / "runs.db")
    run_id = start_run(mlp(features=3), SPEC, SLOW, store=store)  # moons has 2 features
    run = wait(run_id, timeout=60, store=store)
    assert run.status == "failed"
    assert "feature" in run.reason or "shape" in run.reason or "3" in run.reason


def test_phases_are_recorded_while_starting(tmp_path, mlp, monkeypatch):
    """In-process: each phase the runner records, in order, then none once it trains."""
    store = RunStore(tmp_path / "runs.db")
    seen = []
    real = store.update

    def spy(run_id, **fields):
        if "progress" in fields and fields["progress"]:
            seen.append(fields["progress"].get("phase"))
        return real(run_id, **fields)

    monkeypatch.setattr(store, "update", spy)
    train(mlp(), SPEC, {**SLOW, "epochs": 1, "log_every": 1000}, store=store)
    phases = [p for i, p in enumerate(seen) if i == 0 or p != seen[i - 1]]
    assert phases[:4] == ["data", "model", "first batch", None]
    run = store.list_runs()[0]
    assert run.status == "completed" and run.phase is None
    # with log_every above the steps of the run, the first step still gave a point, and the
    # epoch's last step (88) another: the curve reaches the epoch's end
    assert [m.step for m in store.metrics(run.id, split="step", name="loss")] == [1, 88]


def test_phase_only_while_active(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    store.update(run_id, progress={"phase": "data"}, status="running")
    assert store.get(run_id).phase == "data"
    store.update(run_id, status="failed")
    assert store.get(run_id).phase is None


def test_first_step_flushed_at_once(tmp_path):
    """The sink writes the first point as soon as it comes, not a second later."""
    from layerloom.runtime import Event

    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", {"nodes": [], "edges": []}, {"source": "moons"}, {}, {})
    sink = StoreSink(store, run_id, flush_every=3600)
    sink(Event("start", epochs=1, step=0, total_steps=10))
    assert store.get(run_id).progress["phase"] == "first batch"
    sink(Event("step", epochs=1, step=1, total_steps=10, metrics={"loss": 1.0}))
    assert [m.value for m in store.metrics(run_id)] == [1.0]
    assert "phase" not in store.get(run_id).progress
    sink(Event("step", epochs=1, step=2, total_steps=10, metrics={"loss": 0.5}))
    assert len(store.metrics(run_id)) == 1  # later points batched as before


def test_warm_worker_ends_with_its_parent(tmp_path):
    code = ("import time, sys; from layerloom.runtime import zygote; p = zygote.start(); "
            "print(p.pid, flush=True); time.sleep(60)")
    env = {k: v for k, v in os.environ.items() if k != zygote.ENV}
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        child = int(parent.stdout.readline())
        wait_for(lambda: _alive(child), what="the warm worker to start")
    finally:
        parent.kill()
        parent.wait()
    t0 = time.monotonic()
    wait_for(lambda: not _alive(child), timeout=30, what="the warm worker to end")
    assert time.monotonic() - t0 < 5  # told by the system, not found out after warming up


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_launch_without_warm_worker_answers_none(tmp_path, monkeypatch):
    monkeypatch.delenv(zygote.ENV, raising=False)
    assert zygote.launch("worker", ["1"], tmp_path / "log") is None
    monkeypatch.setenv(zygote.ENV, str(tmp_path / "gone.sock"))
    assert zygote.launch("worker", ["1"], tmp_path / "log") is None
    assert zygote.launch("rm", ["-rf"], tmp_path / "log") is None  # only known kinds


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("LAYERLOOM_WARM_WORKER", "0")
    assert zygote.start() is None
    assert ACTIVE == ("queued", "running")


def test_app_runs_leave_a_core_to_the_app():
    assert [zygote.app_threads(n) for n in (1, 2, 4, 16)] == [1, 1, 3, 15]


def test_server_priority_lowered_beside_the_warm_worker(tmp_path):
    """``layerloom.ui.serve`` lowers its own priority (runs forked by the warm worker keep the
    normal one); ``LAYERLOOM_SERVER_NICE=0`` leaves it."""
    code = ("import os; from layerloom.ui.serve import lower_priority; "
            "before = os.nice(0); print(lower_priority(), os.nice(0) - before)")
    env = {k: v for k, v in os.environ.items() if k != "LAYERLOOM_SERVER_NICE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True).stdout.split()
    assert out == ["5", "5"]
    env["LAYERLOOM_SERVER_NICE"] = "0"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True).stdout.split()
    assert out == ["0", "0"]


AUTOGROUP = Path("/proc/self/autogroup")


def _in_an_autogroup() -> bool:
    """True where a new session's process is scheduled by autogroup. The file exists on any
    kernel built with it, but reads empty for a process a cgroup's CPU controller governs (as in
    many containers), or when autogroup is switched off: then there is no session weight."""
    if not AUTOGROUP.exists():
        return False
    probe = subprocess.run([sys.executable, "-c", "print(open('/proc/self/autogroup').read())"],
                           capture_output=True, text=True, timeout=60, start_new_session=True)
    return probe.returncode == 0 and "nice" in probe.stdout


def test_lower_session_leaves_a_process_outside_an_autogroup_alone(tmp_path, monkeypatch):
    from layerloom.ui.serve import lower_session

    monkeypatch.setattr(os, "getsid", lambda pid: os.getpid())  # as a session leader
    ours = tmp_path / "ours"
    ours.write_text("/autogroup-7 nice 2\n")
    assert lower_session(5, autogroup=ours) is True
    assert ours.read_text() == "7"  # the kernel would then read back "/autogroup-7 nice 7"
    empty = tmp_path / "autogroup"
    empty.write_text("")  # what a cgroup-governed process reads
    assert lower_session(5, autogroup=empty) is False
    assert lower_session(5, autogroup=tmp_path / "missing") is False


@pytest.mark.skipif(not _in_an_autogroup(), reason="processes here are not in an autogroup")
def test_server_lowers_its_sessions_weight_only_when_it_leads_the_session(tmp_path):
    """Under autogroup scheduling nice weighs only within a session: the server, which
    `layerloom app` starts as a session leader, lowers its session's weight too; a process in
    the session of a terminal (not its leader) leaves the session alone."""
    code = ("import os; from pathlib import Path; from layerloom.ui.serve import lower_priority; "
            "read = lambda: int(Path('/proc/self/autogroup').read_text().split('nice')[-1]); "
            "before = read(); lower_priority(5); print(read() - before)")
    env = {k: v for k, v in os.environ.items() if k != "LAYERLOOM_SERVER_NICE"}
    own = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True, start_new_session=True)
    assert own.stdout.split() == ["5"], own.stderr
    # A process in a session it does not lead: started by a new session's leader (the session of
    # this test's own process may be in no autogroup, as under a CI runner's cgroup).
    inner = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {code!r}], check=True)"
    shared = subprocess.run([sys.executable, "-c", inner], capture_output=True, text=True,
                            env=env, timeout=60, check=True, start_new_session=True)
    assert shared.stdout.split() == ["0"], shared.stderr


def test_app_launcher_starts_the_server_as_a_session_leader():
    from layerloom.cli import app

    code = "import os; print(os.getsid(0) == os.getpid())"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             preexec_fn=functools.partial(app._die_with_parent, os.getpid()))
    assert child.communicate(timeout=60)[0].split() == ["True"]


def test_train_page_says_what_a_starting_run_does():
    from streamlit.testing.v1 import AppTest

    from layerloom.ui.pages import train as page

    assert set(page.PHASES) == {"process", "data", "model", "first batch"}

    def script():
        from layerloom.runtime.store import Run
        from layerloom.ui.pages.train import status_line

        base = dict(id=1, name="r", graph={}, dataset={}, config={}, variables={},
                    sweep_id=None, reason=None, created=0.0, started=None, ended=None,
                    best_metric=None, best_metric_name=None, best_epoch=None,
                    final_metrics=None, checkpoint=None, pid=None, heartbeat=None,
                    control=None)
        status_line(Run(status="running", progress={"phase": "data"}, **base))
        status_line(Run(status="queued", progress=None, **base))
        status_line(Run(status="running", progress={"step": 5}, **base))  # training: nothing

    at = AppTest.from_function(script).run(timeout=60)
    assert [i.value for i in at.info] == ["Starting: loading the data…",
                                          "Starting: starting the run's process…"]
