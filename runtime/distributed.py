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

BatchNorm statistics are per process (as in plain DDP), so a model with BatchNorm matches one
process only approximately, unless ``sync_batchnorm`` is set: then every BatchNorm layer is
replaced by :class:`GlobalBatchNorm`, which normalises over the whole global batch (one
all-reduce of each layer's sums per step, on CPUs with gloo as on GPUs; torch's own
SyncBatchNorm runs on GPUs only).

Across machines: ``layerloom train … --nnodes N --node-rank R --master ADDR:PORT`` runs
``--nproc`` processes on this machine as node ``R`` of ``N`` (every node runs the same command
with its own rank; node 0's address is the master). Under ``torchrun`` the same command runs as
it is, reading its rank from torchrun's environment.

Resuming: the checkpoint (written by rank 0 alone) is read by rank 0 and broadcast to every
process together with the run's graph, settings and dataset spec, so the other processes, on
other machines too, need neither the runs database nor the checkpoint file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from .child_python import module_command

BARRIER_TIMEOUT = timedelta(minutes=10)  # how long a finished process waits for the others
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
        """Wait until every process of the group comes here: on gloo a monitored barrier, which
        gives up after :data:`BARRIER_TIMEOUT` and names a process that did not come."""
        if self.backend == "nccl":
            dist.barrier(device_ids=[self.device.index])
        else:
            dist.monitored_barrier(timeout=BARRIER_TIMEOUT)

    def close(self, *, finished: bool = True) -> None:
        """Leave the process group. After a run that ended normally (``finished``), first wait
        for every process (a barrier): a process that exits while gloo's worker threads still
        release its last collective's tensors is aborted by the C++ runtime ("terminate called
        without an active exception"), since those threads need the interpreter it is shutting
        down. After an error the others may never arrive, so the group is left at once; a peer
        that failed while this one waited ends the wait with an error, which is not this
        process's to report."""
        if not dist.is_initialized():
            return
        try:
            if finished:
                self.barrier()
        except RuntimeError:  # torch.distributed.DistError and its kin among them
            pass
        finally:
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


def launch(argv: list[str], nproc: int, threads: int | None = None, *, nnodes: int = 1,
           node_rank: int = 0, master: str | None = None) -> int:
    """Run ``python -m layerloom ARGV`` as ``nproc`` processes of one group on this machine;
    the worst exit code. Rank 0 keeps stdout; a process that fails ends the others.

    With ``nnodes`` > 1 this machine is node ``node_rank`` of ``nnodes``, each running
    ``nproc`` processes; ``master`` (``ADDR:PORT``, node 0's address) is where they meet."""
    workers = Workers(argv, nproc, threads, nnodes=nnodes, node_rank=node_rank, master=master)
    workers.start()
    return workers.wait()


STOPPED_CODES = (0, 128 + 1, 128 + 2, 128 + 15)  # done, or stopped by SIGHUP, SIGINT, SIGTERM


class Workers:
    """The ``nproc`` processes of a ``--nproc`` run on this machine, started by :meth:`start`.

    :meth:`stop` asks them to stop as a SIGTERM does (at their next log step, together, the
    run kept and resumable) and :meth:`wait` then waits for them however long that takes: a
    process stopped on request (exit 129, 130 or 143) leaves the others to stop with it, and
    only a process that failed ends the others."""

    def __init__(self, argv: list[str], nproc: int, threads: int | None = None, *,
                 nnodes: int = 1, node_rank: int = 0, master: str | None = None):
        if nnodes > 1:
            if not master:
                raise ValueError("--nnodes needs --master ADDR:PORT (node 0's address and a "
                                 "free port)")
            addr, port = parse_master(master)
        else:
            addr, port = "127.0.0.1", _free_port()
        if not 0 <= node_rank < nnodes:
            raise ValueError(f"--node-rank must be from 0 to {nnodes - 1}, got {node_rank}")
        world = nproc * nnodes
        threads = threads or max(1, (os.cpu_count() or 1) // nproc)
        self.argv, self.stopping = argv, False
        self.procs: list[subprocess.Popen] = []
        self.envs = []
        for local in range(nproc):
            rank = node_rank * nproc + local
            self.envs.append({
                **os.environ, "RANK": str(rank), "LOCAL_RANK": str(local),
                "WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(nproc),
                "GROUP_RANK": str(node_rank), "MASTER_ADDR": addr, "MASTER_PORT": str(port),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))})

    def start(self) -> None:
        """Start the processes (rank 0 keeps stdout), none more once :meth:`stop` was called:
        a stop that comes while they start (the caller handles the signals first) leaves
        none running unasked."""
        for env in self.envs:
            if self.stopping:
                return
            out = None if env["RANK"] == "0" else subprocess.DEVNULL
            proc = subprocess.Popen(module_command("layerloom", *self.argv), env=env,
                                    stdout=out)
            self.procs.append(proc)
            if self.stopping:  # asked while it started, before it was in the list
                proc.terminate()

    def stop(self) -> None:
        """SIGTERM to each process still running (once): each stops as a SIGTERM stops a
        single-process run. Those that had the signal already (Ctrl+C and a closed terminal
        reach the whole process group) take this one as the second, which changes nothing."""
        if self.stopping:
            return
        self.stopping = True
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    proc.terminate()
                except OSError:  # it ended in between
                    pass

    def wait(self) -> int:
        """Wait for every process; the worst exit code. A KeyboardInterrupt (a second Ctrl+C:
        quit at once) ends them all and is raised again."""
        codes: dict[int, int] = {}
        try:
            while len(codes) < len(self.procs):
                for rank, proc in enumerate(self.procs):
                    if rank not in codes and proc.poll() is not None:
                        codes[rank] = proc.returncode
                        if proc.returncode not in STOPPED_CODES:
                            _terminate(self.procs)
                time.sleep(0.05)
        except KeyboardInterrupt:
            _terminate(self.procs)
            raise
        return max(codes.values(), key=abs, default=0)


def parse_master(master: str) -> tuple[str, int]:
    """``ADDR:PORT`` (``[v6addr]:PORT`` too) as (address, port); ValueError in words."""
    addr, sep, port = master.rpartition(":")
    addr = addr.strip("[]")
    if not sep or not addr or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--master must be ADDR:PORT (node 0's address and a free port, "
                         f"e.g. 10.0.0.1:29500), got {master!r}")
    return addr, int(port)


def share(dist_ctx: DistContext | None, payload=None):
    """``payload`` of rank 0, handed to every process (a broadcast of plain values and
    tensors, among the processes of this run only); ``payload`` itself with one process."""
    if dist_ctx is None:
        return payload
    box = [payload if dist_ctx.is_main else None]
    where = dist_ctx.device if dist_ctx.backend == "nccl" else None
    dist.broadcast_object_list(box, src=0, device=where)
    return box[0]


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training statistics are those of the global batch: each process's sums
    of ``x`` and ``x²`` and its count are summed over the process group (an all-reduce that
    carries gradients back), on any device and backend. In eval mode, or in one process, it is
    plain BatchNorm; its parameters and buffers are BatchNorm's, so its state dict loads into
    the design's own BatchNorm layers."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (got {input.dim()}-D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized()
                and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce

        self._check_input_dim(x)
        channels = x.shape[1]
        dims = [0, *range(2, x.dim())]
        xf = x.float()
        count = torch.full((1,), float(x.numel() // max(1, channels)), device=x.device)
        sums = all_reduce(torch.cat([xf.sum(dims), (xf * xf).sum(dims), count]))
        n = sums[-1]
        mean = sums[:channels] / n
        var = (sums[channels:2 * channels] / n - mean * mean).clamp_min(0.0)
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                momentum = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                            else self.momentum)
                unbiased = var * (n / (n - 1).clamp_min(1.0))
                self.running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased.detach())
        shape = (1, channels) + (1,) * (x.dim() - 2)
        out = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out.to(x.dtype)


def global_batchnorm(module: nn.Module) -> int:
    """Replace, in place, every BatchNorm layer inside ``module`` by a :class:`GlobalBatchNorm`
    holding the same parameters and buffers; the number replaced."""
    replaced = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(
                    child, GlobalBatchNorm) and "train" not in vars(child):
                # (a frozen node's norm, held in eval mode, keeps its statistics: left alone)
                new = GlobalBatchNorm(child.num_features, child.eps, child.momentum,
                                      child.affine, child.track_running_stats)
                new.load_state_dict(child.state_dict())
                state = [*child.parameters(), *child.buffers()]
                new.to(state[0].device if state else torch.device("cpu"))
                new.train(child.training)
                for mine, theirs in zip(new.parameters(), child.parameters(), strict=True):
                    mine.requires_grad_(theirs.requires_grad)
                new.__dict__.update({k: v for k, v in vars(child).items()
                                     if k.startswith("layerloom_")})
                setattr(parent, name, new)
                replaced += 1
    return replaced


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
