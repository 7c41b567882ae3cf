"""Data-parallel training with DistributedDataParallel.

``layerloom train … --nproc N`` starts N copies of the same command on this machine (the way
``torchrun --standalone --nproc-per-node N`` would), and the same command run under
``torchrun`` across machines works too: each process reads its rank from the environment
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``).

Every process loads the same dataset (same seed, same split) and walks the same permutation;
each takes every N-th sample of each global batch (``batch_size`` is the global batch), and the
trainer scales the loss so that DDP's average of the gradients is the gradient of the whole
global batch: N processes train as one process with the same batch would, up to float rounding.
Gloo on CPUs, NCCL on GPUs (one per process). Rank 0 alone writes the database and checkpoints.

BatchNorm statistics are per process (as in plain DDP): a model with BatchNorm matches one
process only approximately.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass
class DistContext:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    backend: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DDP(module, device_ids=ids)

    def all_reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over all processes, in place; returned for chaining."""
        dist.all_reduce(tensor)
        return tensor

    def barrier(self) -> None:
        dist.barrier()

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()


def world_from_env() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def init_from_env(device: str = "auto") -> DistContext | None:
    """Join the process group the environment describes; None when this is one process."""
    world = world_from_env()
    if world <= 1:
        return None
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(local_rank)
        where, backend = torch.device("cuda", local_rank), "nccl"
    else:
        where, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, rank=rank, world_size=world)
    return DistContext(rank, world, local_rank, where, backend)


def launch(argv: list[str], nproc: int, threads: int | None = None) -> int:
    """Run ``python -m layerloom ARGV`` as ``nproc`` processes of one group on this machine;
    the worst exit code. Rank 0 keeps stdout; a process that fails ends the others."""
    port = _free_port()
    threads = threads or max(1, (os.cpu_count() or 1) // nproc)
    procs = []
    for rank in range(nproc):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank),
               "WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}
        out = None if rank == 0 else subprocess.DEVNULL
        procs.append(subprocess.Popen([sys.executable, "-m", "layerloom", *argv], env=env,
                                      stdout=out))
    codes: dict[int, int] = {}
    try:
        while len(codes) < nproc:
            for rank, proc in enumerate(procs):
                if rank not in codes and proc.poll() is not None:
                    codes[rank] = proc.returncode
                    if proc.returncode != 0:
                        _terminate(procs)
            time.sleep(0.05)
    except KeyboardInterrupt:
        _terminate(procs)
        raise
    return max(codes.values(), key=abs)


def strip_nproc(argv: list[str]) -> list[str]:
    """``argv`` without its ``--nproc N`` / ``--nproc=N``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def _terminate(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
