"""Where a run trains, and the process-wide settings it needs: threads, seeds, determinism."""

from __future__ import annotations

import os
import random

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


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def configure_process(config: TrainConfig) -> None:
    """Thread count and determinism: settings of the whole process, made once per run."""
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    if config.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS needs it to be
    # both ways, so that a deterministic run does not leave a notebook's next run slowed down
    torch.use_deterministic_algorithms(config.deterministic, warn_only=True)
    # fixed shapes: let cuDNN pick its fastest kernels, unless they must be reproducible
    torch.backends.cudnn.benchmark = not config.deterministic and torch.cuda.is_available()


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
