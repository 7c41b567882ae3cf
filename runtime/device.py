"""Where a run trains, and the process-wide settings it needs: threads, seeds, determinism."""

from __future__ import annotations

import ctypes
import os
import random
import sys

import numpy as np
import torch

from .config import TrainConfig
from .errors import TrainError


def pick_device(config: TrainConfig) -> torch.device:
    """The configured device; ``auto`` takes CUDA, then Apple's MPS, then the CPU."""
    want = config.device
    if want == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if want == "cuda" and not torch.cuda.is_available():
        raise TrainError("device 'cuda' was asked for but no CUDA GPU is available: use "
                         "device 'auto' or 'cpu'")
    if want == "mps" and not _mps_available():
        raise TrainError("device 'mps' was asked for but Apple's MPS is not available: use "
                         "device 'auto' or 'cpu'")
    return torch.device(want)


# torch's own thread count for this machine (one per core), read before a process changes it;
# the app's warm worker, which sets fewer before a run, records the count it found
_ALL_CORES = [torch.get_num_threads()]


def all_cores() -> int:
    """The threads that ``num_threads=0`` asks for: torch's own count for this machine."""
    return _ALL_CORES[0]


def remember_all_cores(threads: int) -> None:
    """Record torch's own thread count where a process changed it before importing this."""
    _ALL_CORES[0] = max(1, int(threads))


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def configure_process(config: TrainConfig) -> None:
    """Thread count, determinism and memory reuse: settings of the whole process, made once per
    run."""
    keep_freed_memory()
    if config.num_threads == 0:
        torch.set_num_threads(all_cores())
    elif config.num_threads:
        torch.set_num_threads(config.num_threads)
    if config.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS needs it to be
    # both ways, so that a deterministic run does not leave a notebook's next run slowed down
    torch.use_deterministic_algorithms(config.deterministic, warn_only=True)
    # fixed shapes: let cuDNN pick its fastest kernels, unless they must be reproducible
    torch.backends.cudnn.benchmark = not config.deterministic and torch.cuda.is_available()


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Have glibc's malloc reuse freed blocks rather than give them back to the system.

    A training step allocates and frees the same activation buffers every time. By default glibc
    serves each block over 128 KiB with fresh pages (mmap) and trims the heap's top, so each step
    faults its buffers in and zeroes them again: a quarter of a CPU run's time went to the
    kernel. With blocks up to 32 MiB (glibc's ceiling) served from the heap, and up to 1 GiB of
    freed heap kept for reuse, seed-cnn trains 1.4-1.6x and resnet-mini 1.25x faster on one
    thread (benchmarks/peer_keras). The process keeps that memory until it ends, as a training
    process should. Linux with glibc only: True when it applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library (musl): leave it be
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 1 << 30))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
