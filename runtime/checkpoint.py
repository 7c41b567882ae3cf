"""Checkpoints: everything a run needs to continue exactly where it was.

A checkpoint holds the model, optimiser, schedule and loss-scaler states, the position (epoch,
batches done in it, global step), the partial epoch's running sums, early-stopping state, the
history so far and every random generator's state. All of it is tensors and plain Python values,
so :func:`load_checkpoint` reads it with ``torch.load(weights_only=True)``: a checkpoint file can
never run code.

Writes go to a temporary file first and are renamed over the old one, so a run killed while
saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from .errors import TrainError

FORMAT = "layerloom-checkpoint"
VERSION = 1


def rng_state(extra: dict[str, torch.Generator] | None = None) -> dict:
    """Every generator's state, as tensors and plain values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached": float(cached)},
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
    }
    for name, gen in (extra or {}).items():
        state[name] = gen.get_state()
    return state


def set_rng_state(state: dict, extra: dict[str, torch.Generator] | None = None) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    for name, gen in (extra or {}).items():
        if name in state:
            gen.set_state(state[name])


def save_checkpoint(path: str | Path, state: dict) -> Path:
    """Write ``state`` (plus the format tag) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # a part-written file would keep a full disk full
        # torch's writer says a full disk as "[enforce fail at inline_container.cc] unexpected
        # pos": said here as the full disk it is, naming the checkpoint
        if isinstance(exc, RuntimeError) and shutil.disk_usage(path.parent).free == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from None
        raise
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; TrainError when it is missing or
    is not one."""
    path = Path(path)
    if not path.exists():
        raise TrainError(f"no checkpoint at {path}: the run saved none (it stopped before the "
                         f"end of its first epoch?)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated, foreign or unsafe content: say so in words
        why = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        raise TrainError(f"{path.name} is not a readable LayerLoom checkpoint ({path}: {why}); "
                         f"it is damaged or is another file: put back a good copy, or start "
                         f"the run again") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise TrainError(f"{path.name} is not a LayerLoom checkpoint")
    if state.get("version", 0) > VERSION:
        raise TrainError(f"{path.name} was written by a newer LayerLoom (checkpoint version "
                         f"{state['version']}); upgrade to read it")
    return state
