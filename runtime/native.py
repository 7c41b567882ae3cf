"""C kernels of LayerLoom's own, compiled on this machine on first use and cached.

A few loops are faster as one C function than as a chain of PyTorch operations (each writes its
result to memory and the next reads it back). Their sources ship in ``runtime/csrc/``; the first
run that needs one compiles it for this CPU (``cc -O3 -march=native``, a fraction of a second)
into the cache folder, and later runs load it from there. A kernel is loaded with ``ctypes``, so
nothing is linked against torch and no compiler is needed for anything else: where there is no C
compiler, or it fails, :func:`load` returns None and the caller runs the PyTorch operations
instead (same results, the speed of before). ``LAYERLOOM_NATIVE=0`` turns the kernels off.

Where this process's torch runs its operations on GNU OpenMP's threads (the PyPI builds for
Linux), a kernel asked for ``openmp`` is built with ``-fopenmp`` and so needs ``libgomp.so.1``:
the loader finds torch's already loaded, and the kernel's parallel loops run on torch's own
thread pool, adding no thread. (Like torch's, that pool does not survive a fork: the app's warm
worker runs nothing on several threads before it forks, ``runtime/zygote.py``.)

The cache (``$LAYERLOOM_CACHE``, else ``$XDG_CACHE_HOME/layerloom``, else ``~/.cache/layerloom``,
sub-folder ``kernels``) holds one library per source, compile-time constants, compiler and CPU;
a library is written under a temporary name and renamed, so processes compiling at once never
load a half-written file. Only a folder owned by this user and writable by nobody else is used
(a library is code: one planted in a shared folder would run as the user).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

SOURCES = Path(__file__).parent / "csrc"
FLAGS = ("-O3", "-march=native", "-std=gnu11", "-shared", "-fPIC")
PORTABLE_FLAGS = ("-O3", "-std=gnu11", "-shared", "-fPIC")  # where -march=native is refused
OPENMP_FLAGS = ("-fopenmp",)
COMPILE_SECONDS = 120

_lock = threading.Lock()
_loaded: dict[tuple, ctypes.CDLL | None] = {}
_why_not: dict[tuple, str] = {}


def enabled() -> bool:
    return os.environ.get("LAYERLOOM_NATIVE", "1").strip().lower() not in ("0", "off", "false", "no")


def load(source: str, defines: dict[str, int], openmp: bool = False) -> ctypes.CDLL | None:
    """The library built from ``csrc/<source>`` with ``-D`` ``defines`` (ints only), or None
    where kernels are off or it cannot be built here (:func:`why_not` says why). ``openmp``:
    built with OpenMP where torch's threads are GNU OpenMP's (:func:`shares_torch_threads`),
    else without (the source must build both ways); the library's ``layerloom_threaded`` says
    whether its parallel loops run on torch's threads (else call it with one thread)."""
    key = (source, tuple(sorted(defines.items())))
    if not enabled():
        _why_not[key] = "LAYERLOOM_NATIVE=0"
        return None
    with _lock:
        if key not in _loaded:
            builds = [True, False] if openmp and shares_torch_threads() else [False]
            for threaded in builds:
                try:
                    _loaded[key] = _build_and_load(source, defines, threaded)
                    _why_not.pop(key, None)
                    break
                except (OSError, ValueError, subprocess.SubprocessError) as exc:
                    _loaded[key] = None
                    _why_not[key] = str(exc)
                    log.info("native kernel %s %s%s not used: %s", source, defines,
                             " (OpenMP)" * threaded, exc)
        return _loaded[key]


def load_pair(source: str, defines: dict[str, int], prefix: str, forward_args: list,
              backward_args: list) -> tuple | None:
    """``(forward, backward, threaded)``: the functions ``<prefix>_forward`` and
    ``<prefix>_backward`` of :func:`load`'s library (``openmp``), typed with these ctypes
    arguments, and whether their loops run on torch's threads; None where it cannot be built."""
    lib = load(source, defines, openmp=True)
    if lib is None:
        return None
    forward, backward = getattr(lib, f"{prefix}_forward"), getattr(lib, f"{prefix}_backward")
    forward.argtypes, forward.restype = forward_args, None
    backward.argtypes, backward.restype = backward_args, None
    return forward, backward, lib.layerloom_threaded


@lru_cache(maxsize=1)
def shares_torch_threads() -> bool:
    """Whether a kernel built with ``-fopenmp`` can run on torch's own threads: torch is
    loaded with GNU OpenMP's ``libgomp.so.1`` (Linux; where torch uses Intel's or LLVM's
    runtime, a second one would start threads of its own, so there kernels stay serial, as they
    do where such a runtime is loaded at all). Copies that other packages bundle under other
    names (scikit-learn's ``libgomp-<hash>.so.1``) are theirs and change nothing."""
    if "torch" not in sys.modules:
        return False
    names = {Path(path).name for path in _openmp_files()}
    # with Intel's or LLVM's runtime in the process, which one torch uses is not clear: serial
    return "libgomp.so.1" in names and not any(n.startswith(("libiomp", "libomp")) for n in names)


def _openmp_files() -> set[str]:
    """The OpenMP runtimes mapped into this process (Linux), by path."""
    try:
        maps = Path("/proc/self/maps").read_text(errors="replace")
    except OSError:
        return set()
    paths = {line.split(None, 5)[5] for line in maps.splitlines() if len(line.split(None, 5)) == 6}
    return {p for p in paths if re.match(r"lib[gi]?omp", Path(p).name)}


def why_not(source: str, defines: dict[str, int]) -> str | None:
    """Why :func:`load` returned None for these arguments (None if it did not)."""
    return _why_not.get((source, tuple(sorted(defines.items()))))


def compiler() -> str | None:
    """The C compiler: ``$CC``, else the one Python was built with, else ``cc``/``gcc``/``clang``."""
    names = [os.environ.get("CC"), (sysconfig.get_config_var("CC") or "").split(" ")[0],
             "cc", "gcc", "clang"]
    for name in names:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def cache_dir() -> Path:
    root = os.environ.get("LAYERLOOM_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "layerloom"
    return base / "kernels"


def _build_and_load(source: str, defines: dict[str, int], openmp: bool) -> ctypes.CDLL:
    for name, value in defines.items():
        if not (name.isidentifier() and name.isupper() and type(value) is int):
            raise ValueError(f"bad compile-time constant {name}={value!r}")
    code = (SOURCES / source).read_bytes()
    cc = compiler()
    if cc is None:
        raise OSError("no C compiler (cc, gcc or clang) on PATH")
    version = subprocess.run([cc, "--version"], capture_output=True, text=True,
                             timeout=COMPILE_SECONDS).stdout
    folder = _private_folder(cache_dir())
    consts = [f"-D{k}={v}" for k, v in sorted(defines.items())]
    extra = OPENMP_FLAGS if openmp else ()
    digest = hashlib.sha256(b"\0".join([
        code, " ".join(FLAGS + extra + tuple(consts)).encode(), version.encode(),
        _cpu_id().encode(),
    ])).hexdigest()[:24]
    target = folder / f"{Path(source).stem}-{digest}.so"
    if not target.exists():
        _compile(cc, SOURCES / source, [*extra, *consts], target)
    before = _openmp_files()
    lib = ctypes.CDLL(str(target))
    # threaded only where loading it mapped no OpenMP runtime of its own (it found torch's)
    lib.layerloom_threaded = openmp and _openmp_files() <= before
    if openmp and not lib.layerloom_threaded:
        log.info("native kernel %s: its OpenMP runtime is not torch's, so it runs serially", source)
    return lib


def _compile(cc: str, source: Path, consts: list[str], target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".tmp")
    os.close(fd)
    try:
        errors = ""
        for flags in (FLAGS, PORTABLE_FLAGS):
            done = subprocess.run([cc, *flags, *consts, "-o", tmp, str(source)],
                                  capture_output=True, text=True, timeout=COMPILE_SECONDS)
            if done.returncode == 0:
                os.replace(tmp, target)
                return
            errors = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise OSError(f"{Path(cc).name} could not build {source.name}: {errors[0]}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _private_folder(folder: Path) -> Path:
    """``folder``, made if missing; refused unless this user owns it and nobody else may write
    in it (on systems without POSIX owners, as it is)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if hasattr(os, "getuid"):
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise OSError(f"kernel cache {folder} is not private to this user (owner or "
                          f"permissions); set LAYERLOOM_CACHE to a folder of your own")
    return folder


@lru_cache(maxsize=1)
def _cpu_id() -> str:
    """What ``-march=native`` depends on: the machine, and the CPU's model and features."""
    parts = [sys.platform, platform.machine()]
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():  # the first processor's block is every core's
        if not line.strip():
            break
        if line.split(":")[0].strip() in ("model name", "flags", "Features", "CPU part"):
            parts.append(line)
    return "\n".join(parts)
