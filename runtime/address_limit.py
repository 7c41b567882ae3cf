"""Processes under an address-space limit (``ulimit -v``): said in words, never a C abort.

numpy's OpenBLAS reserves a buffer per core as it loads, and where they do not fit the limit it
ends the process from C ('OpenBLAS error: Memory allocation still failed after 10 retries,
giving up'); glibc ends it likewise for a thread it cannot give room ('cannot allocate memory for
thread-local data: ABORT'). No Python error is raised, so the process could say nothing. Under a
limit, :func:`prepare` gives OpenBLAS one thread unless the user chose a count (numpy's BLAS is
not where LayerLoom computes; the processes started after it inherit the setting), and where the
limit is below what PyTorch and numpy need to load at all, importing either raises
:class:`AddressLimitTooLow` with what to do. Commands that need neither (``validate``,
``summary``, ``templates``, ``new``, ``--help``) run as before.

Every entry point calls :func:`prepare` before anything loads numpy: ``layerloom`` itself, and
the processes that may be started under the same limit without it: a run's worker, a sweep's
process, the warm worker and the app's server. Those, which load torch whatever they are asked,
ask :func:`refusal` first, and say it where their user reads (a run's or a sweep's reason, the
server's terminal).

Under a limit the C library keeps to two malloc arenas too (:func:`_fewer_arenas`): glibc
reserves 64 MiB of address space for each, so a server's threads left torch no room. The app's
script (``ui/app.py``), which ``streamlit run`` may run without any of the above, calls
:func:`prepare` before its pages load and says :func:`load_failure` where they cannot.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib.machinery import PathFinder
from pathlib import Path

try:
    import resource
except ImportError:  # not on Windows
    resource = None

# torch and numpy loaded and a tiny design trained with one BLAS thread: 1.0-1.05 GiB of address
# space (torch 2.13 CPU, Linux x86-64, 2026-12); below it no command that loads them can run
FLOOR = 1 << 30
# a GPU build (CUDA or ROCm: PyPI's torch for Linux) maps its GPU libraries as it loads, on a
# machine without a GPU too: it failed under 3 GiB and loaded under 4 (torch 2.13 cu130, 2026-12)
GPU_FLOOR = 4 << 30
GPU_LIBRARIES = ("libtorch_cuda.so", "libtorch_hip.so")
THREAD_SETTINGS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
HEAVY = ("numpy", "torch")


class AddressLimitTooLow(MemoryError):
    """The address-space limit is below what PyTorch and numpy need to load."""


def address_limit() -> int | None:
    """The bytes this process may map (``ulimit -v``), or None where there is no limit."""
    if resource is None:
        return None
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    return None if soft == resource.RLIM_INFINITY else soft


@functools.cache
def floor() -> int:
    """The address space PyTorch and numpy need to load here: :data:`GPU_FLOOR` where the
    torch on the path is a GPU build (its GPU library beside its others), else :data:`FLOOR`.
    Found on disk, torch not imported."""
    try:
        spec = PathFinder.find_spec("torch")  # the path alone, not this module's finder
    except (ImportError, ValueError):
        return FLOOR
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if any((Path(folder) / "lib" / name).exists() for name in GPU_LIBRARIES):
            return GPU_FLOOR
    return FLOOR


def too_low(limit: int, again: str = "run the command again") -> str:
    """What to do where ``limit`` is below :func:`floor`; ``again``: what to do once it is
    raised.

    >>> too_low(512 * 1024**2)[:64]
    'this process may use at most 0.5 GiB of address space (ulimit -v'
    >>> too_low(512 * 1024**2, "start the run again")[-34:]
    'for 2 GiB) and start the run again'
    """
    need = floor()
    build = " (a GPU build)" if need > FLOOR else ""
    return (f"this process may use at most {limit / 1024**3:.1f} GiB of address space (ulimit "
            f"-v {limit // 1024}), and PyTorch{build} and numpy need more than "
            f"{need / 1024**3:.0f} GiB of it to load; raise the limit (ulimit -v unlimited, or "
            f"ulimit -v {2 * need // 1024} for {2 * need / 1024**3:.0f} GiB) and {again}")


def refusal(again: str = "run the command again") -> str | None:
    """For a process that loads torch whatever it is asked: :func:`prepare`, then what to say
    where the limit is too low for it (:func:`too_low`), else None."""
    prepare()
    limit = address_limit()
    return too_low(limit, again) if limit is not None and limit < floor() else None


# glibc's malloc reserves 64 MiB of address space for each thread's arena, up to 8 a core: the
# app's server, with its dozens of threads, had 1 GiB of a limit taken that way and then could
# not map torch's or numpy's libraries under 2 GiB (two arenas: it loaded under 1.25 GiB)
ARENAS = "2"


def _fewer_arenas() -> None:
    """Two malloc arenas, for this process from now on and for those it starts (unless the user
    chose a count: ``MALLOC_ARENA_MAX``); nothing where the C library is not glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    os.environ["MALLOC_ARENA_MAX"] = ARENAS
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, int(ARENAS))  # M_ARENA_MAX
    except (AttributeError, OSError):  # not glibc
        pass


def load_failure(exc: BaseException, again: str = "run the command again") -> str | None:
    """What to say where loading a library raised ``exc`` under an address-space limit: a
    library that could not be mapped (``failed to map segment from shared object``, an
    ImportError) or memory that ran out (a MemoryError, :class:`AddressLimitTooLow` among
    them); None where there is no limit or ``exc`` is another error.

    >>> load_failure(ImportError("x.so: failed to map segment from shared object")) is None
    True
    """
    limit = address_limit()
    if limit is None or not isinstance(exc, (ImportError, MemoryError)):
        return None
    if isinstance(exc, AddressLimitTooLow):
        return too_low(limit, again)
    if isinstance(exc, ImportError) and "failed to map" not in str(exc) \
            and "cannot allocate memory" not in str(exc).lower():
        return None
    need = 2 * max(floor(), SERVER_FLOOR)
    return (f"this process may use at most {limit / 1024**3:.1f} GiB of address space (ulimit "
            f"-v {limit // 1024}), too little for LayerLoom's server to load PyTorch and numpy "
            f"beside Streamlit ({_first_line(exc)}); raise the limit (ulimit -v unlimited, or "
            f"ulimit -v {need // 1024} for {need / 1024**3:.0f} GiB) and {again}")


# Streamlit's server with the app's pages loaded: failed under 2 GiB, and under 1.25 GiB with
# two malloc arenas (torch 2.13 CPU, Streamlit 1.67, 2 cores, 2026-12)
SERVER_FLOOR = 2 << 30


def _first_line(exc: BaseException) -> str:
    """``libtorch_cpu.so: failed to map segment from shared object``: the library and why, of
    an error that may name its full path among paragraphs of advice (numpy's)."""
    import re

    found = re.search(r"([^/\s]+\.so[^:\s]*): (failed to map[^\n]*)", str(exc))
    if found:
        return f"{found[1]}: {found[2].strip()}"
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 160 else line[:157] + "…"


class _RefuseHeavy:
    """A meta path finder that refuses numpy and torch before their libraries load."""

    def __init__(self, limit: int):
        self.limit = limit

    def find_spec(self, name, path=None, target=None):
        if name in HEAVY:
            raise AddressLimitTooLow(too_low(self.limit))
        return None


def prepare() -> None:
    """Fit what loads later to the address-space limit, if any (see the module's doc)."""
    limit = address_limit()
    if limit is None:
        return
    if not any(os.environ.get(name) for name in THREAD_SETTINGS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    _fewer_arenas()
    if limit < floor() and not any(name in sys.modules for name in HEAVY) and not any(
            isinstance(f, _RefuseHeavy) for f in sys.meta_path):
        sys.meta_path.insert(0, _RefuseHeavy(limit))
