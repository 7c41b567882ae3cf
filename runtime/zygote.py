"""A warm worker: a process that has already imported torch and the runtime, and forks runs.

Starting a run as a fresh ``python -m layerloom.runtime.worker`` costs seconds before its first
batch: the interpreter, ``import torch``, the runtime and scikit-learn (about 2.5 s on a 2-core
machine), reading MNIST (2 s), torch's lazy imports on the first model. The app starts one warm
worker beside its server (:func:`start`, called by ``layerloom.ui.serve``); it pays those costs
once, then waits on a Unix socket. :func:`launch` asks it for a run: it forks, and the child —
a process of its own, in a session of its own, its output appended to the run's log — runs
``worker.main`` (or ``sweep_worker.main``) exactly as the spawned process would, at once.

The warm worker does nothing multi-threaded before forking (GNU OpenMP's thread pool does not
survive a fork: a child would hang on its first parallel operation), so it warms up on one
thread and each child sets its thread count: all cores but one (:func:`app_threads`), the one
left to the app's server and browsers, unless the run's config sets ``num_threads``.

It ends when the process that started it ends (it checks every second), removing its socket.
Where no warm worker is running (the CLI, notebooks, tests), :func:`launch` answers None and the
caller spawns a process as before. ``LAYERLOOM_WARM_WORKER=0`` keeps the app from starting one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import address_limit
from .child_python import module_command

ENV = "LAYERLOOM_ZYGOTE"  # the socket of this app's warm worker, set by start()
MODULES = {"worker": "layerloom.runtime.worker", "sweep_worker": "layerloom.runtime.sweep_worker"}


# -- the app's side -------------------------------------------------------------------------

def start(env: dict | None = None) -> subprocess.Popen | None:
    """Start a warm worker for this process (unless ``LAYERLOOM_WARM_WORKER=0``) and point
    :func:`launch` at it through ``os.environ``; the process, or None. It becomes usable once
    it has warmed up (a few seconds); until then :func:`launch` answers None."""
    if os.environ.get("LAYERLOOM_WARM_WORKER", "1").strip().lower() in ("0", "false", "no"):
        return None
    path = os.environ.get(ENV)
    if not path or os.path.exists(path):  # a path named beforehand (benchmarks) is taken
        folder = tempfile.mkdtemp(prefix="layerloom-warm-")  # private: 0700
        path = os.path.join(folder, "worker.sock")
    try:
        proc = subprocess.Popen(module_command("layerloom.runtime.zygote", path,
                                               "--parent", str(os.getpid())),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env or dict(os.environ))
    except OSError:
        return None
    os.environ[ENV] = path
    return proc


def ready(path: str | None = None) -> bool:
    """Whether a warm worker answers on ``path`` (default: this process's)."""
    path = path or os.environ.get(ENV)
    return bool(path) and os.path.exists(path)


def launch(kind: str, args: list[str], log_path, timeout: float = 5.0) -> int | None:
    """Ask the warm worker to fork a ``kind`` (``worker`` or ``sweep_worker``) process with
    ``args``, its output appended to ``log_path``; the new process's id, or None when there is
    no warm worker (or it did not answer), so that the caller spawns one instead."""
    path = os.environ.get(ENV)
    if kind not in MODULES or not ready(path):
        return None
    request = {"kind": kind, "args": [str(a) for a in args], "log": str(log_path),
               "env": dict(os.environ), "cwd": os.getcwd()}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(path)
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(_read_line(conn))
    except (OSError, ValueError):
        return None
    pid = reply.get("pid")
    return pid if isinstance(pid, int) and pid > 0 else None


def _read_line(conn: socket.socket, limit: int = 1 << 20) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            raise ValueError("request too long")
    return data


# -- the warm worker's side -----------------------------------------------------------------

def warm_up() -> int:
    """Import and exercise what a run needs, on one thread; the thread count a run should use
    (torch's default for this machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nothing multi-threaded before a fork (see the module's doc)
    from . import checkpoint, evaluate, model, runner, store, trainer, worker  # noqa: F401
    from .config import TrainConfig
    from .data import load_dataset
    from .data.builtin import _mnist

    try:
        _mnist()  # the commonest dataset's pixels, kept in memory for every child
    except Exception:  # noqa: BLE001 - a warm-up: a run reports its own errors
        pass
    graph = {"format": "layerloom-graph", "version": 1, "name": "warm-up",
             "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                       {"id": "c", "type": "Conv2d", "params": {"out_channels": 4,
                                                                 "kernel_size": 3}},
                       {"id": "r", "type": "ReLU"}, {"id": "p", "type": "MaxPool2d",
                                                     "params": {"kernel_size": 2}},
                       {"id": "f", "type": "Flatten"},
                       {"id": "l", "type": "Linear", "params": {"out_features": 10}},
                       {"id": "y", "type": "Output"}],
             "edges": [{"source": a, "target": b} for a, b in
                       zip("xcrpfl", "crpfly", strict=True)]}
    try:
        ds = load_dataset("digits")
        runner.run_training(runner.as_graph(graph), ds,
                            TrainConfig(epochs=1, batch_size=256, num_threads=1))
    except Exception:  # noqa: BLE001
        pass
    torch.set_num_threads(1)
    _give_back_memory()
    return threads


def _give_back_memory() -> None:
    """Return the warm-up's freed heap to the system (the warm-up's run kept it for reuse, as
    runs do; each forked run sets that again for itself)."""
    import gc

    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 128 * 1024)  # M_TRIM_THRESHOLD back to glibc's default
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def serve(path: str, parent: int | None = None) -> int:
    """Warm up, then fork a process for each request on ``path`` until ``parent`` ends."""
    _die_with_parent()
    if parent is not None and not _alive(parent):  # it ended before the line above
        return 0
    threads = warm_up()
    os.environ.pop(ENV, None)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    server.bind(tmp)
    os.chmod(tmp, 0o600)
    server.listen(16)
    os.replace(tmp, path)  # ready only once it listens
    server.settimeout(1.0)
    signal.signal(signal.SIGTERM, lambda *_: _exit_cleanly(path))
    try:
        while parent is None or _alive(parent):
            _reap()
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                time.sleep(0.1)
                continue
            with conn:
                conn.settimeout(5.0)
                try:
                    request = json.loads(_read_line(conn))
                    pid = _fork(request, server, conn, threads)
                    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    try:
                        conn.sendall(json.dumps({"error": str(exc)}).encode() + b"\n")
                    except OSError:
                        pass
    finally:
        _cleanup(path)
    return 0


def _fork(request: dict, server: socket.socket, conn: socket.socket, threads: int) -> int:
    module = MODULES[request["kind"]]
    args = [str(a) for a in request["args"]]
    log_path = str(request["log"])
    env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items()}
    cwd = request.get("cwd")
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    pid = os.fork()
    if pid:
        os.close(log)
        return pid
    # the child: becomes the run's process
    code = 1
    try:
        server.close()
        conn.close()
        os.setsid()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(devnull)
        os.close(log)
        os.environ.clear()
        os.environ.update(env)
        os.environ["PYTHONUNBUFFERED"] = "1"
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        import importlib

        import torch

        from .device import remember_all_cores

        remember_all_cores(threads)  # what num_threads=0 asks for
        torch.set_num_threads(app_threads(threads))
        code = int(importlib.import_module(module).main(args) or 0)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the worker records its own failures
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def app_threads(cores: int) -> int:
    """Threads for a run started from the app (unless its config sets ``num_threads``): all
    cores but one, which is left to the app's server and the browsers watching. On a small
    machine a run's OpenMP threads wait for one another at every operation, so a single busy
    neighbour on "its" core stalls them all; one core fewer keeps the run steady beside a busy
    app (``benchmarks/run_beside_editors_bench.py``)."""
    return max(1, cores - 1)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _alive(pid: int) -> bool:
    if os.getppid() != pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _die_with_parent() -> None:
    """Linux: be sent SIGTERM when the process that started this one ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _cleanup(path: str) -> None:
    for p in (path, path + ".tmp"):
        try:
            os.unlink(p)
        except OSError:
            pass
    try:
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass


def _exit_cleanly(path: str) -> None:
    _cleanup(path)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="layerloom.runtime.zygote")
    parser.add_argument("socket", help="the Unix socket to listen on")
    parser.add_argument("--parent", type=int, help="end when this process ends")
    args = parser.parse_args(argv)
    too_low = address_limit.refusal()  # torch would end it from C as it loads
    if too_low:
        print(f"error: {too_low}", file=sys.stderr)
        return 1
    return serve(str(Path(args.socket)), args.parent)


if __name__ == "__main__":
    sys.exit(main())
