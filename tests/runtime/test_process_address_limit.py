"""A run's worker, a sweep's process, the warm worker and the app's server, started under an
address-space limit (``ulimit -v``) too low for PyTorch and numpy, say so with what to do, as
the CLI does: each ended in a C abort as torch loaded ('OpenBLAS error: Memory allocation still
failed after 10 retries, giving up'), a run left 'running' with no reason, a server serving
until its first page loaded torch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore
from layerloom.runtime.address_limit import too_low

resource = pytest.importorskip("resource")

LIMIT = 512 * 1024**2
# what the torch installed needs (1 GiB; 4 for a GPU build), the limit and what to do
SAID = too_low(LIMIT).removesuffix(" and run the command again")


def test_the_words_name_the_limit_and_what_to_set():
    assert SAID.startswith("this process may use at most 0.5 GiB of address space (ulimit -v "
                           "524288), and PyTorch")
    assert "raise the limit (ulimit -v unlimited, or ulimit -v " in SAID


def _limited(args, env=None, timeout=60):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    clean = {k: v for k, v in os.environ.items() if k not in (
        "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap, env={**clean, **(env or {})})


def test_a_runs_worker_records_the_run_failed_with_the_limit_and_what_to_do(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run("r", load_template("mlp-tabular").to_dict(), {"source": "iris"},
                              {"epochs": 1})
    done = _limited(["layerloom.runtime.worker", str(run_id), "--db", str(store.path)])
    run = store.get(run_id)
    assert (done.returncode, run.status) == (1, "failed"), done.stderr
    assert run.reason == f"{SAID} and start the run again"
    assert done.stderr == f"run {run_id} failed: {run.reason}\n"


def test_a_sweeps_process_records_the_sweep_failed_with_the_limit(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    sweep_id = store.create_sweep("s", {})
    done = _limited(["layerloom.runtime.sweep_worker", str(sweep_id), "--db", str(store.path)])
    sweep = store.sweep(sweep_id)
    assert (done.returncode, sweep["status"]) == (1, "failed"), done.stderr
    assert sweep["reason"] == f"{SAID} and start the sweep again"
    assert done.stderr == f"sweep {sweep_id} failed: {sweep['reason']}\n"


def test_the_warm_worker_says_the_limit_and_listens_nowhere(tmp_path):
    path = tmp_path / "worker.sock"
    done = _limited(["layerloom.runtime.zygote", str(path)])
    assert (done.returncode, done.stderr) == (1, f"error: {SAID} and run the command again\n")
    assert not path.exists()


def test_the_apps_server_says_the_limit_before_it_serves(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _limited(["layerloom.ui.serve", "--server.port", str(port), "--server.headless",
                     "true"], env={"LAYERLOOM_HOME": str(tmp_path), "LAYERLOOM_WARM_WORKER": "0"})
    assert (done.returncode, done.stderr) == (1, f"error: {SAID} and run the command again\n")


def fake_torch(root, gpu: bool):
    """A torch package on disk as pip installs one: a GPU build has its CUDA library in lib/."""
    (root / "torch" / "lib").mkdir(parents=True)
    (root / "torch" / "__init__.py").write_text("")
    if gpu:
        (root / "torch" / "lib" / "libtorch_cuda.so").write_bytes(b"")
    return root


@pytest.mark.parametrize("gpu, refused", [(True, True), (False, False)])
def test_a_gpu_build_of_torch_is_refused_under_a_limit_it_cannot_load_in(tmp_path, gpu, refused):
    # a CUDA build maps its GPU libraries as it loads: under 2 GiB, above the CPU build's
    # 1 GiB, it failed as 'ImportError: libtorch_cpu.so: failed to map segment from shared
    # object', under 3 GiB as a bare MemoryError, with no word of the limit
    two = 2 * 1024**3
    code = ("from layerloom.runtime import address_limit; address_limit.prepare()\n"
            "try:\n    import torch\nexcept MemoryError as exc:\n    print(exc)\n"
            "else:\n    print('loaded')")

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (two, two))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(fake_torch(tmp_path, gpu)), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, preexec_fn=cap, env=env, cwd=tmp_path)
    assert done.stdout == ("this process may use at most 2.0 GiB of address space (ulimit -v "
                           "2097152), and PyTorch (a GPU build) and numpy need more than 4 GiB "
                           "of it to load; raise the limit (ulimit -v unlimited, or ulimit -v "
                           "8388608 for 8 GiB) and run the command again\n"
                           if refused else "loaded\n"), done.stderr
