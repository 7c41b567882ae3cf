"""Under an address-space limit (``ulimit -v``) too low for PyTorch and numpy, a command that
loads them says so in one line with what to do; it ended in a C abort as numpy's OpenBLAS
loaded ('OpenBLAS error: Memory allocation still failed after 10 retries, giving up', exit 1,
no word from LayerLoom). Commands that need neither still run there, and under any limit
OpenBLAS gets one thread (its buffers per core are what did not fit) unless the user chose."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from layerloom.cli import app, main
from layerloom.runtime.address_limit import too_low

resource = pytest.importorskip("resource")

LIMIT = 512 * 1024**2
TEMPLATE = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "templates",
                        "mlp-tabular.json")


def _limited(args, limit=LIMIT, env=None):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    clean = {k: v for k, v in os.environ.items() if k not in (
        "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          preexec_fn=cap, env={**clean, **(env or {})})


def test_a_command_loading_torch_says_the_limit_and_what_to_do(tmp_path):
    done = _limited(["-m", "layerloom", "train", "mlp-tabular", "-d", "iris", "--epochs", "1",
                     "--set", "features=4", "--set", "classes=3", "--home", str(tmp_path)])
    assert (done.returncode, done.stderr) == (1, f"error: {too_low(LIMIT)}\n")
    assert "ulimit -v 524288" in done.stderr and "ulimit -v unlimited" in done.stderr


def test_a_command_needing_neither_still_runs_under_the_limit():
    done = _limited(["-m", "layerloom", "validate", TEMPLATE])
    assert done.returncode == 0 and "valid" in done.stdout, done.stderr


@pytest.mark.parametrize("given, threads", [({}, "1"), ({"OPENBLAS_NUM_THREADS": "3"}, "3")])
def test_openblas_gets_one_thread_under_a_limit_unless_the_user_chose(given, threads):
    code = ("import os; from layerloom.runtime import address_limit; address_limit.prepare(); "
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))")
    done = _limited(["-c", code], limit=8 * 1024**3, env=given)
    assert done.stdout.strip() == threads, done.stderr


def test_the_app_is_refused_before_its_server_starts(monkeypatch, capsys):
    monkeypatch.setattr(app, "address_limit", lambda: LIMIT)
    monkeypatch.setattr(app, "run_server", lambda *a, **kw: pytest.fail("a server started"))
    assert main(["app"]) == 1
    assert capsys.readouterr().err == f"error: {too_low(LIMIT)}\n"
