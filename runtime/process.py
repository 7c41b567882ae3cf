"""Runs in their own processes: start, stop, pause, resume, status, wait; and sweeps in theirs.

Each run is ``python -m layerloom.runtime.worker RUN_ID --db PATH``, a process of its own in a
session of its own: a crash, a NaN or running out of memory ends that run, with its reason in
the database, and never the app that started it. The app and the run talk only through the
database: the run writes status, progress and metrics; the app writes stop/pause requests,
which the run reads at most twice a second and honours at the next batch boundary.

>>> run_id = start_run("graph.json", "mnist-5k", {"epochs": 5})     # doctest: +SKIP
>>> wait(run_id).status                                              # doctest: +SKIP
'completed'

A sweep (:func:`start_sweep`) is ``python -m layerloom.runtime.sweep_worker SWEEP_ID --db PATH``:
its row is recorded first (status ``queued``, so its id is known at once), the process runs the
trials one after another as runs tagged with the sweep's id, and its end — completed, stopped
(:func:`stop_sweep`) or failed, with the reason — is written to the sweep's row.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layerloom.graph import validate

from . import failure_note, zygote
from .child_python import module_command
from .errors import TrainError
from .liveness import died_reason, pid_alive, run_dead
from .runner import as_config, as_graph, attach_dataset, dataset_spec, refuse_misfit
from .store import ACTIVE, Run, RunStore, StoreError, _disk_full

# The processes this process started, by run id: polled to learn exit codes (and reaped, so
# that finished runs leave no zombies behind).
_children: dict[tuple[str, int], subprocess.Popen] = {}
# The same for sweeps, by sweep id.
_sweep_children: dict[tuple[str, int], subprocess.Popen] = {}
SWEEP_ACTIVE = ("queued", "running")


def start_run(graph, dataset, config=None, *, name: str | None = None,
              variables: Mapping[str, Any] | None = None, store: RunStore | None = None,
              sweep_id: int | None = None, project: str | None = None) -> int:
    """Record a run and start its process; its id. An invalid graph or config raises here
    (GraphError, ConfigError), before any process starts, and so does a Dataset handed over in
    memory that the design does not fit (DataError, TrainError: as :func:`train` refuses it).
    A dataset named by source or spec is loaded only in the run's process: its misfit, like
    anything found later (a NaN), is recorded as the run's failure. ``project`` records the
    designer project that started it (``RunStore.list_runs(project=...)`` finds it again)."""
    store = store or RunStore()
    graph = as_graph(graph)
    validate(graph, variables).raise_if_invalid()
    config = as_config(config)
    in_memory = hasattr(dataset, "x_train")  # a Dataset: its process reads a saved copy
    if in_memory:  # checked here at no cost, as train() does
        refuse_misfit(graph, dataset, config, variables)
    spec = dataset_spec(dataset)
    run_id = store.create_run(name or graph.name, graph.to_dict(), spec, config.to_dict(),
                              dict(variables or {}), sweep_id, project=project)
    if in_memory:
        attach_dataset(store, run_id, dataset, spec)
    _spawn(store, run_id)
    return run_id


def stop_run(run_id: int, store: RunStore | None = None) -> Run:
    """Ask a run to stop at its next batch boundary (it saves a checkpoint and evaluates)."""
    return _request(run_id, "stop", store)


def pause_run(run_id: int, store: RunStore | None = None) -> Run:
    """Ask a run to pause: it saves a checkpoint at its next batch boundary and its process
    ends, freeing memory; :func:`resume_run` continues it exactly."""
    return _request(run_id, "pause", store)


def resume_run(run_id: int, store: RunStore | None = None, epochs: int | None = None) -> Run:
    """Continue a paused, stopped or failed run from its last checkpoint, in a new process;
    ``epochs`` changes the planned total (a completed run trains on when it is more than the
    epochs it trained). :class:`TrainError` (the run left as it was) when it cannot."""
    store = store or RunStore()
    run = run_status(run_id, store)
    check_resume(run, store, epochs)
    store.update(run_id, status="queued", control=None, reason=None)
    _spawn(store, run_id, resume=True, epochs=epochs)
    return store.get(run_id)


def check_resume(run: Run, store: RunStore, epochs: int | None = None) -> None:
    """Whether ``run`` can be resumed (to ``epochs`` in all): :class:`TrainError` saying why
    not and what to do, before anything about the run is changed. Its checkpoint is read: a
    damaged file is said now, not after the run was marked running and then failed."""
    from .checkpoint import load_checkpoint

    if run.status in ACTIVE:
        where = f" in process {run.pid}" if run.pid else ""
        raise TrainError(f"run {run.id} is {run.status}{where}; only a paused, stopped or failed "
                         f"run can be resumed: wait for it to end, or stop it first (Ctrl+C "
                         f"where it trains, or stop_run({run.id}))")
    if run.status == "completed":
        done = len(store.history(run.id))
        if epochs is None or epochs <= done:
            more = f"; --epochs {epochs} is not more" if epochs is not None else ""
            raise TrainError(f"run {run.id} is completed: it trained {done} epoch"
                             f"{'s' * (done != 1)}{more}. To train it further, give the new "
                             f"total: layerloom resume {run.id} --epochs {done + 5} (in Python: "
                             f"resume_run({run.id}, epochs={done + 5}))")
        if not run.checkpoint or not Path(run.checkpoint).exists():
            raise TrainError(f"run {run.id} is completed but its checkpoint is gone "
                             f"({run.checkpoint or 'none recorded'}): it cannot be trained "
                             f"further; start a new run")
    elif not run.resumable:
        from .export import no_checkpoint

        raise TrainError(no_checkpoint(run, "is nothing to resume from"))
    load_checkpoint(run.checkpoint)
    from .runner import missing_source

    gone = missing_source(run.dataset or {})
    if gone:
        raise TrainError(f"run {run.id} cannot go on: {gone}. Put it back there and resume "
                         f"again; the run is left as it was ({run.status})")


def run_status(run_id: int, store: RunStore | None = None) -> Run:
    """The run's row, after checking that an active run's process is still there: one that
    vanished without reporting is marked failed, with the reason."""
    store = store or RunStore()
    run = store.get(run_id)
    proc = _children.get((str(store.path), run_id))
    if proc is not None and proc.poll() is not None:
        del _children[(str(store.path), run_id)]
        run = store.get(run_id)  # the process may have written its end just before exiting
        if run.status in ACTIVE:
            return _died(store, run, proc.pid, proc.returncode)
    elif proc is None and run.status in ACTIVE and run_dead(run):
        return _died(store, run, run.pid, None)
    return store.get(run_id)


def _died(store: RunStore, run: Run, pid: int | None, returncode: int | None) -> Run:
    """The run whose process ended without recording its end, failed: the reason it wrote in
    its note where it could write nothing else (a full disk), else how the process ended.
    Recorded where the database can be written; told all the same where it cannot."""
    reason = failure_note.read(store.root / "runs" / str(run.id))
    if reason is not None:
        reason = f"{reason} (the process could not record it: its disk may be full)"
    else:
        reason = died_reason(pid, returncode, run.resumable)
        if _disk_full(store.path):  # not even the note's room could be taken
            reason += (f"; the disk that holds {store.root} is full, so it could record "
                       f"nothing of why: free some space on it")
    try:
        store.set_status(run.id, "failed", reason, pid=None)
    except StoreError:
        return dataclasses.replace(run, status="failed", reason=reason, pid=None)
    return store.get(run.id)


def wait(run_id: int, timeout: float | None = None, store: RunStore | None = None,
         interval: float = 0.2) -> Run:
    """Block until the run is no longer queued or running; its row. TimeoutError after
    ``timeout`` seconds."""
    store = store or RunStore()
    return _until_done(lambda: run_status(run_id, store), lambda run: run.status, ACTIVE,
                       f"run {run_id}", timeout, interval)


def _until_done(read, status_of, active, what: str, timeout: float | None, interval: float):
    """``read()`` every ``interval`` seconds until ``status_of`` its result is not in
    ``active``; that result. TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        row = read()
        if status_of(row) not in active:
            return row
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{what} is still {status_of(row)} after {timeout:g} s")
        time.sleep(interval)


def kill_run(run_id: int, store: RunStore | None = None, grace: float = 5.0) -> Run:
    """End a run's process now (SIGTERM, then SIGKILL after ``grace`` seconds): for a run that
    does not answer requests. The worker turns SIGTERM into a stop, so it still checkpoints."""
    store = store or RunStore()
    run = store.get(run_id)
    if run.pid and pid_alive(run.pid):
        os.kill(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while pid_alive(run.pid) and time.monotonic() < deadline:
            _reap(store, run_id)
            time.sleep(0.1)
        if pid_alive(run.pid):
            os.kill(run.pid, signal.SIGKILL)
    _reap(store, run_id)
    run = store.get(run_id)
    if run.status in ACTIVE:
        store.set_status(run_id, "stopped", "killed by request", pid=None)
    return store.get(run_id)


def _request(run_id: int, what: str, store: RunStore | None) -> Run:
    store = store or RunStore()
    run = run_status(run_id, store)
    if run.status not in ACTIVE:
        raise TrainError(f"run {run_id} is {run.status}, not running: nothing to {what}")
    store.request(run_id, what)
    return store.get(run_id)


def _reap(store: RunStore, run_id: int) -> None:
    proc = _children.get((str(store.path), run_id))
    if proc is not None and proc.poll() is not None:
        del _children[(str(store.path), run_id)]


def _spawn(store: RunStore, run_id: int, resume: bool = False, epochs: int | None = None) -> None:
    args = [str(run_id), "--db", str(store.path)]
    if resume:
        args.append("--resume")
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    run = store.get(run_id)
    store.update(run_id, progress={**(run.progress or {}), "phase": "process"})
    log = store.run_dir(run_id) / "worker.log"
    # the app's warm worker forks the run at once when there is one; else a fresh process
    pid = zygote.launch("worker", args, log)
    if pid is None:
        proc = _launch(module_command("layerloom.runtime.worker", *args), log)
        _children[(str(store.path), run_id)] = proc
        pid = proc.pid
    store.update(run_id, pid=pid, heartbeat=time.time())


def _launch(cmd: list[str], log_path) -> subprocess.Popen:
    """``cmd`` detached in a session of its own, its output appended to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps it)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        log.close()
    # Collected as soon as it ends, never left <defunct> until someone polls it; its exit
    # code stays on the Popen for run_status and sweep_status.
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc


# -- sweeps ---------------------------------------------------------------------------------

def start_sweep(graph, dataset, config=None, params=(), *, trials: int = 10,
                sampler: str = "tpe", name: str | None = None,
                variables: Mapping[str, Any] | None = None, seed: int = 0,
                store: RunStore | None = None) -> int:
    """Record a sweep (see ``runtime.search.sweep``) and start its process; its id, at once.
    A bad sampler, an unknown setting or variable, or an invalid config raises here (TrainError,
    GraphError, ConfigError) before any process starts; anything later — the data failing to
    load, the process dying — is recorded as the sweep's failure (status ``failed``, reason in
    words). Read its progress with :func:`sweep_status` and ``store.list_runs(sweep_id=…)``."""
    from .search import sweep_spec

    store = store or RunStore()
    graph = as_graph(graph)
    info = sweep_spec(graph, dataset, config, params, trials=trials, sampler=sampler,
                      variables=variables)
    info.update(graph=graph.to_dict(), seed=seed)
    sweep_id = store.create_sweep(name or f"{graph.name} sweep", info, status="queued")
    folder = store.root / "sweeps" / str(sweep_id)
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(dataset, "x_train") and not getattr(dataset.x_train, "streaming", False):
        # a Dataset in memory: its process reads a saved copy (a folder on disk is reloaded)
        from .runner import DATASET_NAME, save_dataset

        info["dataset"] = {**info["dataset"],
                           "saved": str(save_dataset(dataset, folder / DATASET_NAME))}
        store.update_sweep(sweep_id, spec=info)
    cmd = module_command("layerloom.runtime.sweep_worker", str(sweep_id), "--db",
                         str(store.path))
    try:
        proc = _launch(cmd, folder / "sweep.log")
    except OSError as exc:
        store.update_sweep(sweep_id, status="failed",
                           reason=f"its process could not start: {exc}")
        raise TrainError(f"the sweep's process could not start: {exc}") from exc
    _sweep_children[(str(store.path), sweep_id)] = proc
    store.update_sweep(sweep_id, pid=proc.pid)
    return sweep_id


def sweep_status(sweep_id: int, store: RunStore | None = None) -> dict:
    """The sweep's row (``id, name, spec, created, status, reason, pid``), after checking that
    an active sweep's process is still there: one that vanished without reporting is marked
    failed, with the reason. Also reaps any finished sweep process this process started."""
    store = store or RunStore()
    reap_sweeps()
    info = store.sweep(sweep_id)
    key = (str(store.path), sweep_id)
    proc = _sweep_children.get(key)
    returncode = None
    if proc is not None:
        if proc.poll() is None:
            return info
        returncode = proc.returncode
        del _sweep_children[key]
        info = store.sweep(sweep_id)  # it may have written its end just before exiting
    if info["status"] in SWEEP_ACTIVE and info["pid"] is not None and (
            returncode is not None or not pid_alive(info["pid"], "layerloom")):
        reason = failure_note.read(store.root / "sweeps" / str(sweep_id))
        reason = (f"{reason} (the process could not record it: its disk may be full)"
                  if reason is not None else died_reason(info["pid"], returncode, False))
        try:
            store.update_sweep(sweep_id, status="failed", pid=None, reason=reason)
        except StoreError:  # told all the same
            return {**info, "status": "failed", "pid": None, "reason": reason}
        for run in store.list_runs(sweep_id=sweep_id):  # the trial it was training died too
            if run.status in ACTIVE and run.pid == info["pid"]:
                store.set_status(run.id, "failed", died_reason(run.pid, returncode,
                                                               run.resumable), pid=None)
        info = store.sweep(sweep_id)
    return info


def stop_sweep(sweep_id: int, store: RunStore | None = None) -> dict:
    """Ask a sweep to stop: no new trial starts, the trial training now stops at its next
    batch boundary as :func:`stop_run` stops a run (it ends ``stopped``, its results so far
    kept), and the sweep ends with status ``stopped`` and a reason in words. Its row. A sweep
    that is not queued or running raises TrainError naming its status."""
    store = store or RunStore()
    info = sweep_status(sweep_id, store)
    if info["status"] not in SWEEP_ACTIVE:
        raise TrainError(f"sweep {sweep_id} is {info['status']}, not running: nothing to stop")
    # The sweep's flag first, then its active trials: a trial recorded after this reading of
    # the runs sees the flag when its sweep checks it (runtime.search.sweep), so none escapes.
    store.update_sweep(sweep_id, control="stop")
    for run in store.list_runs(sweep_id=sweep_id):
        if run.status in ACTIVE:
            store.request(run.id, "stop")
    return store.sweep(sweep_id)


def wait_sweep(sweep_id: int, timeout: float | None = None, store: RunStore | None = None,
               interval: float = 0.2) -> dict:
    """Block until the sweep is no longer queued or running; its row with its ``best`` trial
    (see :func:`sweep_best`). TimeoutError after ``timeout`` seconds."""
    store = store or RunStore()
    info = _until_done(lambda: sweep_status(sweep_id, store), lambda info: info["status"],
                       SWEEP_ACTIVE, f"sweep {sweep_id}", timeout, interval)
    return {**info, "best": sweep_best(sweep_id, store)}


def sweep_best(sweep_id: int, store: RunStore | None = None) -> dict | None:
    """The sweep's best completed trial, by its objective (the monitored metric at its best
    epoch) in its direction: ``{"run_id", "objective", "value", "epoch", "params": {swept
    name: value}}``; None while no trial has completed with a finite value."""
    store = store or RunStore()
    spec = store.sweep(sweep_id)["spec"]
    names = [p["name"] for p in spec.get("params", [])]
    sign = -1.0 if spec.get("direction") == "maximize" else 1.0
    scored = [r for r in store.list_runs(sweep_id=sweep_id)
              if r.status == "completed" and r.best_metric is not None
              and r.best_metric == r.best_metric and abs(r.best_metric) != float("inf")]
    if not scored:
        return None
    run = min(scored, key=lambda r: (sign * r.best_metric, r.id))
    params = {n: run.config[n] if n in run.config else (run.variables or {}).get(n)
              for n in names}
    return {"run_id": run.id, "objective": spec.get("objective", run.best_metric_name),
            "value": float(run.best_metric), "epoch": run.best_epoch, "params": params}


def reap_sweeps() -> None:
    """Collect the exit status of finished sweep processes (no zombies left behind); their
    rows are checked by :func:`sweep_status`."""
    for key, proc in list(_sweep_children.items()):
        if proc.poll() == 0:  # a failure stays, for sweep_status to read its exit code
            del _sweep_children[key]
