"""The training loop.

One :class:`Trainer` runs one run: ``fit()`` goes epoch by epoch, each a pass of batches sliced
from tensors already on the device (a fresh permutation per epoch, no DataLoader), then a
validation pass, a checkpoint and an ``"epoch"`` event.

Kept fast on purpose, since this is the loop every user waits on:
- the loss and metric are summed on the device and read once per ``log_every`` steps and at
  an epoch's last step (a read forces the device to catch up), never with a per-step
  ``.item()``;
- the optimiser uses its fused (or foreach) kernel; the learning rate is a number set per step;
- a stop or pause request is checked before each step, through a control that reads the
  database at most twice a second.

Exact resume: the permutation of epoch ``e`` comes from a generator seeded with ``(seed, e)``, so
a checkpoint only needs the epoch and the batches done in it; the global generators (dropout),
the augmentation generator, the optimiser, schedule and scaler states, and the partial epoch's
running sums are saved too. A run stopped anywhere and resumed ends with the very same weights.

Distributed (see ``distributed.py``): each process takes its share of every global batch, the
loss is scaled so that DDP's gradient average equals the one-process gradient of the global
batch, the sums are all-reduced at log time, and only rank 0 reports and saves.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoint import rng_state, save_checkpoint, set_rng_state
from .config import TrainConfig
from .device import pick_device
from .errors import NonFiniteLoss, TrainError
from .evaluate import measure
from .events import Control, Event, Sink
from .model import PreparedModel, with_target_scale
from .optim import Schedule, make_optimizer
from .target_scale import checkpoint_entry, fold, load_trained, recorded

# Seeds the per-epoch shuffle: any odd constant far from small seeds keeps streams apart.
SHUFFLE_STREAM = 0x9E3779B1


@dataclass
class LoopState:
    """Where a run is, and what it has accumulated: all of it goes into checkpoints."""

    epoch: int = 0  # the epoch in progress, 0-based
    position: int = 0  # batches of it done
    step: int = 0  # optimiser steps done in all
    loss_sum: float = 0.0  # the partial epoch's running sums (host copies, for checkpoints)
    metric_sum: float = 0.0
    seen: int = 0  # samples of the partial epoch
    history: list[dict] = field(default_factory=list)  # one row per finished epoch
    best: float | None = None  # the monitored metric's best value, and its epoch (1-based)
    best_epoch: int | None = None
    bad_epochs: int = 0  # epochs since it last improved
    elapsed: float = 0.0  # seconds of training before this session
    # the epoch's last logged point: [step, loss_sum, metric_sum, seen] then (None at the start
    # of an epoch), so that a run resumed mid-epoch averages its next point over the same
    # steps as an uninterrupted run does
    log_mark: list | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class FitResult:
    status: str  # "completed", "stopped" or "paused"
    reason: str  # in words: "finished 5 epochs", "early stopping: …", "stopped by the user"
    state: LoopState
    checkpoint: Path | None


class Trainer:
    def __init__(self, prepared: PreparedModel, dataset, config: TrainConfig, *,
                 sink: Sink | None = None, control: Control | None = None,
                 checkpoint_path: str | Path | None = None, dist=None,
                 device: torch.device | None = None):
        self.config = config
        self.task = prepared.task
        self.target_scale = prepared.target_scale
        self._dataset = dataset  # its target's name, recorded with its scale
        self._cause = prepared.target_cause  # why gradients are huge (target_advice.py)
        self.dist = dist  # a distributed.DistContext, or None for one process
        self.rank, self.world = (dist.rank, dist.world) if dist else (0, 1)
        self.is_main = self.rank == 0
        self.sink = sink if self.is_main else None
        self.control = control or Control()
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self.device = device or (dist.device if dist else pick_device(config))

        self.net = prepared.module.to(self.device)  # the plain module: eval, state_dict
        if dist is not None and config.sync_batchnorm:  # statistics of the global batch
            from .distributed import global_batchnorm

            global_batchnorm(self.net)
        self.channels_last = use_channels_last(config, self.device, self.net,
                                               prepared.input_shape)
        if self.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.model = dist.wrap(self.net) if dist else self.net  # what the steps call
        self.x_train, self.y_train = self._on_device(dataset.x_train, dataset.y_train)
        self.x_val, self.y_val = self._on_device(dataset.x_val, dataset.y_val)
        self.steps_per_epoch = batches_per_epoch(len(self.x_train), config.batch_size)
        if self.steps_per_epoch == 0:
            raise TrainError(f"{dataset.name} has {len(self.x_train)} training sample(s): too few "
                             f"for a batch; use more data")

        self.optimizer = make_optimizer(self.net, config, self.device)
        self.schedule = Schedule(config, self.steps_per_epoch)
        self.autocast, self.scaler = _mixed_precision(config, self.device)
        self.augment = config.augment_config() if len(prepared.input_shape) == 3 else None
        self.augment_gen = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.monitor = choose_monitor(config, self.task, len(self.x_val) > 0)
        self.mode = config.monitor_mode() if self.monitor == config.monitor else "min"
        self.state = LoopState()
        self._pending: str | None = None  # a request a sink made at the end of an epoch
        self._probe, self._kinds, self._said = None, {}, set()  # layer diagnostics
        self._loss_acc = torch.zeros((), device=self.device)  # the epoch's running sums
        self._metric_acc = torch.zeros((), device=self.device)
        self._loss_gradients: dict = {}  # see _loss_gradient

    # -- set-up helpers ---------------------------------------------------------------------

    def _on_device(self, x: torch.Tensor, y: torch.Tensor):
        x = x.to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(self.device, non_blocking=True)

    def restore(self, checkpoint: dict) -> None:
        """Continue from a checkpoint (see ``checkpoint.py``); RNG states are set last. The
        target's standardisation is the checkpoint's: none for a run saved without one."""
        self.target_scale = load_trained(self.net, checkpoint)
        self.task = with_target_scale(self.task, self.target_scale)
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.schedule.load_state_dict(checkpoint["schedule"])
        if self.scaler is not None and checkpoint.get("scaler"):
            self.scaler.load_state_dict(checkpoint["scaler"])
        self.state = LoopState(**checkpoint["loop"])
        if self.is_main:  # distributed: the saved sums are all processes' (see save)
            self._loss_acc.fill_(self.state.loss_sum)
            self._metric_acc.fill_(self.state.metric_sum)
        set_rng_state(checkpoint["rng"], {"augment": self.augment_gen})

    def checkpoint_state(self) -> dict:
        if self.world == 1:  # distributed: save() has put the reduced sums in the state
            self._sync_sums()
        model = self.net.state_dict()
        # "model" predicts in the target's units; the head as trained is kept beside it
        return {"model": fold(model, self.target_scale) if self.target_scale else model,
                "target_scale": checkpoint_entry(model, self.target_scale),
                "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "loop": self.state.to_dict(), "config": self.config.to_dict(),
                "rng": rng_state({"augment": self.augment_gen})}

    def save(self) -> Path | None:
        if self.world > 1:  # every process calls save: a partial epoch's sums are all of theirs
            loss_sum, metric_sum, _ = self._reduced_sums(poll=False)
            self.state.loss_sum, self.state.metric_sum = loss_sum, metric_sum
        if not (self.is_main and self.checkpoint_path):
            return None
        return save_checkpoint(self.checkpoint_path, self.checkpoint_state())

    # -- the loop ---------------------------------------------------------------------------

    def fit(self) -> FitResult:
        cfg, st = self.config, self.state
        self.total_steps = self.steps_per_epoch * cfg.epochs
        self._session_start, self._session_steps = time.perf_counter(), st.step
        self._elapsed_before = st.elapsed
        self._emit("start", message=f"training on {self.device}",
                   target_scale=recorded(self.target_scale, self._dataset))
        self.model.train()
        while st.epoch < cfg.epochs:
            request = self.run_epoch()
            if request:
                return self._interrupted(request)
            row = self.end_epoch()
            if self._early_stop(row):
                return self._finish("completed", f"early stopping: {self.monitor} did not "
                                    f"improve for {cfg.patience + 1} epochs (best "
                                    f"{st.best:.4g} at epoch {st.best_epoch})")
        return self._finish("completed", f"finished {cfg.epochs} epoch{'s' * (cfg.epochs > 1)}")

    def run_epoch(self) -> str | None:
        """The rest of the current epoch; a stop/pause request if one came, else None."""
        st, cfg = self.state, self.config
        perm = epoch_permutation(len(self.x_train), cfg.seed, st.epoch).to(self.device)
        self._log_mark = self._epoch_log_mark()
        stream = self._stream(perm) if getattr(self.x_train, "streaming", False) else None
        for position in range(st.position, self.steps_per_epoch):
            request = self._poll()
            if request:
                return request
            index = self._batch_index(perm, position)
            size = self._global_batch(position)
            probe = self._probe_for(st.step)
            if probe is not None:
                probe.start()
            x = next(stream) if stream is not None else self._rows(self.x_train, index)
            self.train_step(x, self._rows(self.y_train, index), size)
            if probe is not None:
                self._report_layers(probe.finish())
            st.position, st.step, st.seen = position + 1, st.step + 1, st.seen + size
            # the first step of a session is reported at once: the user waits for a first point
            # (a resumed session's, when it is no log step, as provisional: see log_step); the
            # last of an epoch too, so that the training curve reaches the epoch's end (its
            # validation point) rather than stopping at the last multiple of log_every
            last = position + 1 == self.steps_per_epoch
            if st.step % cfg.log_every == 0 or last or st.step == self._session_steps + 1:
                request = self.log_step(provisional=st.step % cfg.log_every != 0
                                        and not last and st.step != 1)
                if request:
                    return request
        return None

    def _epoch_log_mark(self) -> tuple:
        """Where the next logged point's interval starts: ``(step, time, loss_sum, metric_sum,
        seen, seen_at_time)``; the epoch's start, or, resumed mid-epoch, its last logged point
        (saved in the checkpoint) with the speed measured from now."""
        st, now = self.state, time.perf_counter()
        if st.position and st.log_mark:
            step, loss, metric, seen = st.log_mark
            return (int(step), now, float(loss), float(metric), int(seen), st.seen)
        loss, metric, seen = self._host_sums()
        return (st.step, now, loss, metric, seen, seen)

    def train_step(self, x: torch.Tensor, y: torch.Tensor, global_batch: int) -> None:
        """One optimiser step on this process's share (``x``, ``y``) of a global batch of
        ``global_batch`` samples."""
        self.schedule.apply(self.optimizer, self.state.step)
        target = self.task.target(x, y)  # before augmentation: a noisy input's target is clean
        if self.augment is not None and self.augment.enabled:
            from .data import augment_batch

            x = augment_batch(x, self.augment, self.augment_gen)
        with self.autocast():
            out = self.model(x)
            per_sample = self.task.per_sample_loss(out.float(), target)  # (B,)
            loss_sum = per_sample.sum()
        # sum / (global batch / processes): DDP's average over processes is then the mean over
        # the global batch, even when the last batch does not split evenly
        scale = self.world / global_batch
        if self.scaler is not None:
            self.scaler.scale(loss_sum * scale).backward()
            self.scaler.unscale_(self.optimizer)
        else:  # the scale as the sum's gradient: what multiplying by it gives, one op less
            loss_sum.backward(self._loss_gradient(scale, loss_sum))
        if self.config.grad_clip:
            nn.utils.clip_grad_norm_(self.net.parameters(), self.config.grad_clip, foreach=True)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self._loss_acc += loss_sum.detach()
        self._metric_acc += self.task.metric_sum(out.detach().float(), target)

    def log_step(self, provisional: bool = False) -> str | None:
        """Read the sums (one sync), report the interval's numbers; a request if one came.

        ``provisional``: the first step of a resumed session, reported at once for the user
        but not a point of the curve (an uninterrupted run logs none there): the interval goes
        on to the next log step, and the event says ``provisional`` so that the database keeps
        no row of it."""
        st = self.state
        loss_sum, metric_sum, request = self._reduced_sums(poll=True)
        step0, t0, loss0, metric0, seen0, speed0 = self._log_mark
        now = time.perf_counter()
        seen = st.seen - seen0
        if not provisional:
            self._log_mark = (st.step, now, loss_sum, metric_sum, st.seen, st.seen)
            st.log_mark = [st.step, loss_sum, metric_sum, st.seen]
        if seen <= 0:
            return request
        loss = (loss_sum - loss0) / seen
        if not math.isfinite(loss):
            raise NonFiniteLoss(st.epoch, st.step, loss)
        answer = self._emit("step", provisional=provisional, metrics={
            "loss": loss, self.task.metric: (metric_sum - metric0) / seen,
            "lr": self.optimizer.param_groups[0]["lr"],
            # of the global batches (all ranks'), in this session
            "samples_per_s": (st.seen - speed0) / max(now - t0, 1e-9),
            **({"processes": self.world} if self.world > 1 else {})})
        if self.world > 1:  # the other processes learn of it at the next log step
            self._pending = self._pending or answer
            return request
        return request or answer

    def end_epoch(self) -> dict:
        """Validate, update schedule and best, checkpoint, report; the epoch's history row."""
        st, cfg = self.state, self.config
        loss_sum, metric_sum, _ = self._reduced_sums(poll=False)
        train_loss = loss_sum / max(1, st.seen)
        if not math.isfinite(train_loss):
            raise NonFiniteLoss(st.epoch, st.step, train_loss)
        row = {"epoch": st.epoch + 1, "train_loss": train_loss,
               f"train_{self.task.metric}": metric_sum / max(1, st.seen)}
        val = measure(self.net, self.x_val, self.y_val, self.task, cfg.eval_batch_size,
                      self.autocast)
        row.update({f"val_{k}": v for k, v in val.items()})
        row["lr"] = self.optimizer.param_groups[0]["lr"]
        value = row.get(self.monitor)
        self.schedule.end_epoch(value, self.mode)
        if value is not None and math.isfinite(value) and self._improved(value):
            st.best, st.best_epoch, st.bad_epochs = value, st.epoch + 1, 0
        else:
            st.bad_epochs += 1
        st.elapsed = row["time"] = self._elapsed()
        st.history.append(row)
        st.epoch, st.position, st.seen, st.loss_sum, st.metric_sum = st.epoch + 1, 0, 0, 0.0, 0.0
        st.log_mark = None
        self._loss_acc.zero_()
        self._metric_acc.zero_()
        self.save()
        metrics = {k: v for k, v in row.items() if k != "epoch"}
        if self.world > 1:  # the app's progress line says how many processes train
            metrics["processes"] = self.world
        answer = self._emit("epoch", epoch=st.epoch - 1, metrics=metrics)
        self._pending = self._pending or answer
        return row

    # -- layer diagnostics (diagnostics.py) ---------------------------------------------------

    def _probe_for(self, step: int):
        """The probe that watches this step, or None. Watched: the second step (a learning rate
        that wrecks the model does so at once) and then every ``diagnose_every`` steps, on the
        process that reports."""
        every = self.config.diagnose_every
        if not every or self.sink is None:
            return None
        if step != 1 and (step == 0 or step % every):
            return None
        if self._probe is None:
            from .diagnostics import LayerProbe, kinds_of

            self._probe, self._kinds = LayerProbe(self.net), kinds_of(self.net)
        return self._probe

    @property
    def _target_cause(self) -> str | None:
        """The cause of huge gradients when a regression target far from unit scale is learned
        as it is (target_scale.py); None otherwise."""
        if self.task.kind != "regression" or self.target_scale is not None:
            return None
        return self._cause

    def _report_layers(self, stats: dict) -> None:
        from .diagnostics import as_metrics, diagnose

        self._emit("layers", metrics=as_metrics(stats))
        # Adam-like optimisers move every weight by about the rate in their first steps, so
        # only what is wrong beyond doubt is said that early
        early = self.state.step < 10
        for finding in diagnose(stats, self._kinds, early=early, target=self._target_cause):
            if (finding.kind, finding.block) not in self._said:  # each finding said once
                self._said.add((finding.kind, finding.block))
                self._emit("message", message=finding.message)

    # -- loop helpers -----------------------------------------------------------------------

    def _batch_index(self, perm: torch.Tensor, position: int) -> torch.Tensor:
        b = self.config.batch_size
        index = perm[position * b:(position + 1) * b]
        return index[self.rank::self.world] if self.world > 1 else index

    def _loss_gradient(self, scale: float, loss_sum: torch.Tensor) -> torch.Tensor:
        """``scale`` as a tensor like ``loss_sum`` (one per batch size, kept)."""
        key = (scale, loss_sum.dtype, loss_sum.device)
        grad = self._loss_gradients.get(key)
        if grad is None:
            grad = self._loss_gradients[key] = torch.full((), scale, dtype=loss_sum.dtype,
                                                          device=loss_sum.device)
        return grad

    @staticmethod
    def _rows(data, index: torch.Tensor):
        """``data[index]``: the batch's rows. A contiguous tensor's are copied by
        ``index_select`` (the same values; 4 against 11 µs for seed-cnn's batch of 32 images,
        where general indexing sets up for any index); anything else is indexed."""
        if isinstance(data, torch.Tensor) and data.is_contiguous():
            return data.index_select(0, index)
        return data[index]

    def _stream(self, perm: torch.Tensor):
        """The rest of the epoch's batches of a dataset read from disk (data/folder.py),
        decoded ahead by DataLoader workers in the order the in-memory path would slice."""
        batches = [self._batch_index(perm, p) for p in range(self.state.position,
                                                             self.steps_per_epoch)]
        return self.x_train.stream(batches, workers=self.config.data_workers)

    def _global_batch(self, position: int) -> int:
        b, n = self.config.batch_size, len(self.x_train)
        return min(b, n - position * b)

    def _poll(self) -> str | None:
        """A request from a sink's answer to the last epoch, or from the control."""
        if self.world > 1:
            return None  # distributed runs agree on requests at log time (_reduced_sums)
        pending, self._pending = self._pending, None
        return pending or self.control.poll()

    def _host_sums(self) -> tuple[float, float, int]:
        return self.state.loss_sum, self.state.metric_sum, self.state.seen

    def _sync_sums(self) -> None:
        """Copy the device sums into the state (for a checkpoint)."""
        loss_sum, metric_sum = torch.stack([self._loss_acc, self._metric_acc]).tolist()
        self.state.loss_sum, self.state.metric_sum = loss_sum, metric_sum

    def _reduced_sums(self, poll: bool) -> tuple[float, float, str | None]:
        """The epoch's loss and metric sums over all processes, read in one sync; with
        ``poll``, rank 0's stop/pause request travels with them to every process."""
        request = None
        if poll and self.is_main and self.world > 1:
            request, self._pending = self._pending or self.control.poll(), None
        code = {"stop": 1.0, "pause": 2.0}.get(request, 0.0)
        sums = torch.stack([self._loss_acc, self._metric_acc,
                            torch.tensor(code, device=self.device)])
        if self.world > 1:
            sums = self.dist.all_reduce(sums.clone())
        loss_sum, metric_sum, code = sums.tolist()
        request = {1.0: "stop", 2.0: "pause"}.get(code) if self.world > 1 else None
        return loss_sum, metric_sum, request

    def _improved(self, value: float) -> bool:
        best = self.state.best
        if best is None:
            return True
        delta = self.config.min_delta
        return value < best - delta if self.mode == "min" else value > best + delta

    def _early_stop(self, row: dict) -> bool:
        return self.config.early_stopping and self.state.bad_epochs > self.config.patience

    def _elapsed(self) -> float:
        """Seconds of training, this session's and the earlier ones' (before a resume)."""
        return self._elapsed_before + time.perf_counter() - self._session_start

    def _eta(self) -> float | None:
        done = self.state.step - self._session_steps
        if done <= 0:
            return None
        spent = time.perf_counter() - self._session_start
        return spent / done * (self.total_steps - self.state.step)

    def _emit(self, kind: str, **fields) -> str | None:
        if self.sink is None:
            return None
        st = self.state
        fields.setdefault("epoch", st.epoch)
        event = Event(kind, epochs=self.config.epochs, step=st.step,
                      total_steps=self.total_steps, elapsed=self._elapsed(),
                      eta=self._eta(), **fields)
        answer = self.sink(event)
        return answer if answer in ("stop", "pause") else None

    def _interrupted(self, request: str) -> FitResult:
        self.state.elapsed = self._elapsed()
        path = self.save()
        status = "stopped" if request == "stop" else "paused"
        st = self.state
        # "batch N of M": the batch's place in its epoch, never read as the batch size
        where = (f"after epoch {st.epoch}" if st.position == 0 and st.epoch else
                 f"epoch {st.epoch + 1}, after batch {st.position} of {self.steps_per_epoch}")
        return self._finish(status, f"{status} by request at step {st.step} ({where})", path)

    def _finish(self, status: str, reason: str, path: Path | None = None) -> FitResult:
        self._emit("end", status=status, message=reason)
        return FitResult(status, reason, self.state, path or (
            self.checkpoint_path if self.checkpoint_path and self.checkpoint_path.exists()
            else None))


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Full batches plus a last partial one, unless it would hold a single sample (BatchNorm
    cannot normalise one sample)."""
    full, rest = divmod(n, batch_size)
    return full + (1 if rest >= 2 or (rest == 1 and full == 0) else 0)


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of epoch ``epoch``: a function of (seed, epoch) alone, so resuming needs no
    shuffle state."""
    gen = torch.Generator().manual_seed((seed * SHUFFLE_STREAM + epoch) % 2**63)
    return torch.randperm(n, generator=gen)


def choose_monitor(config: TrainConfig, task, has_val: bool) -> str:
    """The metric to watch: the configured one when this run measures it. The default
    (val_loss) falls back to train_loss without a validation split; another name that is not
    measured is an error naming those that are."""
    names = ["train_loss", f"train_{task.metric}"]
    if has_val:
        names += ["val_loss", f"val_{task.metric}"]
    if config.monitor in names:
        return config.monitor
    if config.monitor == "val_loss" and not has_val:
        return "train_loss"
    raise TrainError(f"monitor {config.monitor!r} is not measured by this run; choose one of "
                     f"{', '.join(names)}")


def use_channels_last(config: TrainConfig, device: torch.device, module: nn.Module,
                      input_shape: tuple) -> bool:
    """Whether to train in channels-last layout: asked for, or ``auto`` on a CPU (measured
    faster on every image template) or on CUDA with mixed precision, for [C, H, W] inputs into
    2-D convolutions."""
    if config.channels_last == "off" or len(input_shape) != 3:
        return False
    if not any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in module.modules()):
        return False
    if config.channels_last == "on":
        return True
    return device.type == "cpu" or (device.type == "cuda" and (
        config.amp or config.precision != "fp32"))


def _mixed_precision(config: TrainConfig, device: torch.device):
    """``(autocast context factory, GradScaler or None)`` for ``config.precision`` (``amp``
    asks for ``auto-mixed`` on CUDA, as it always did); see :func:`precision_plan`."""
    dtype = precision_plan(config, device)
    if dtype is None:
        return contextlib.nullcontext, None
    kind = device.type
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast(kind, dtype=dtype)), scaler


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), as oneDNN sees it."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        if check is not None and not check():
            return False
    except Exception:  # noqa: BLE001 - an older build without the probe: read the flags
        pass
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            flags = info.read()
    except OSError:
        return check is not None
    return "avx512_bf16" in flags or "amx_bf16" in flags


def precision_plan(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype a run computes in (None: plain fp32), or TrainError saying why the
    precision asked for cannot be had on ``device``."""
    precision = config.precision
    if precision == "fp32" and config.amp and device.type == "cuda":
        precision = "auto-mixed"
    if precision == "fp32":
        return None
    if device.type == "cuda":
        bf16 = torch.cuda.is_bf16_supported()
        if precision == "bf16-mixed" and not bf16:
            raise TrainError("precision bf16-mixed: this GPU has no bfloat16; use fp16-mixed "
                             "or auto-mixed")
        if precision == "auto-mixed":
            precision = "bf16-mixed" if bf16 else "fp16-mixed"
        return torch.bfloat16 if precision == "bf16-mixed" else torch.float16
    if device.type == "cpu":
        if precision == "fp16-mixed":
            raise TrainError("precision fp16-mixed needs a CUDA GPU; on a CPU use bf16-mixed "
                             "(where the CPU has AVX512-BF16 or AMX) or fp32")
        if not cpu_has_bf16():
            if precision == "auto-mixed":
                return None
            raise TrainError("precision bf16-mixed: this CPU has no native bfloat16 "
                             "(AVX512-BF16 or AMX), where it would run slower than fp32; use "
                             "fp32")
        return torch.bfloat16
    if precision == "auto-mixed":
        return None
    raise TrainError(f"precision {precision} is for CUDA GPUs and CPUs with bfloat16; on "
                     f"{device.type} use fp32")
