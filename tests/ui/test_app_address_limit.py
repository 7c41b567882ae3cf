"""``streamlit run ui/app.py`` started directly under an address-space limit (``ulimit -v``):
the app says the limit and what to set, on the server's terminal and in the page, where it used
to end in numpy's ImportError traceback ('failed to map segment from shared object', in the
browser too) or a C abort; and the server's threads leave PyTorch room to load, which with
glibc's default malloc arenas (64 MiB of address space each, 8 a core) they did not under 2 GiB
(``layerloom app`` at 1.25 GiB showed 'This app has encountered an error')."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from layerloom.runtime import address_limit
from layerloom.runtime.address_limit import too_low

resource = pytest.importorskip("resource")

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
LIMIT = 512 * 1024**2
CLEAN = {k: v for k, v in os.environ.items() if k not in (
    "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MALLOC_ARENA_MAX")}


def _limited(code: str, limit: int, env: dict | None = None) -> subprocess.CompletedProcess:
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, preexec_fn=cap, env={**CLEAN, **(env or {})})


def test_the_app_run_directly_under_a_low_limit_says_the_limit_not_a_traceback():
    # the script as `streamlit run` runs it (as __main__), in bare mode: no server needed
    done = _limited(f"import runpy; runpy.run_path({str(APP)!r}, run_name='__main__')", LIMIT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"error: {too_low(LIMIT)}\n" in done.stderr
    assert "Traceback" not in done.stderr and "failed to map" not in done.stderr


@pytest.mark.parametrize("given, arenas", [({}, "2"), ({"MALLOC_ARENA_MAX": "4"}, "4")])
def test_malloc_keeps_to_two_arenas_under_a_limit_unless_the_user_chose(given, arenas):
    code = ("import os; from layerloom.runtime import address_limit; address_limit.prepare(); "
            "print(os.environ.get('MALLOC_ARENA_MAX'))")
    done = _limited(code, 8 * 1024**3, given)
    assert done.stdout.strip() == arenas, done.stderr


def test_a_library_that_cannot_be_mapped_is_said_with_the_limit(monkeypatch):
    monkeypatch.setattr(address_limit, "address_limit", lambda: 1280 * 1024**2)
    failed = ImportError("\nIMPORTANT: PLEASE READ THIS FOR ADVICE…\nOriginal error was: "
                         "/venv/lib/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu"
                         ".so: failed to map segment from shared object\n")
    said = address_limit.load_failure(failed)
    assert said.startswith(
        "this process may use at most 1.2 GiB of address space (ulimit -v 1310720), too little "
        "for LayerLoom's server to load PyTorch and numpy beside Streamlit "
        "(_multiarray_umath.cpython-311-x86_64-linux-gnu.so: failed to map segment from shared "
        "object); raise the limit (ulimit -v unlimited, or ulimit -v ")
    assert said.endswith(" and run the command again")
    assert address_limit.load_failure(ImportError("No module named 'x'")) is None
    monkeypatch.setattr(address_limit, "address_limit", lambda: None)
    assert address_limit.load_failure(failed) is None
