"""Optimisers and learning-rate schedules from a :class:`TrainConfig`.

The schedule is a pure function of the step (plus, for ``plateau``, a scale cut when the
monitored metric stalls), set on the optimiser before each step. Its whole state is a few
numbers, so checkpoints restore it exactly and warm-up combines with every schedule.

>>> cfg = TrainConfig(lr=0.1, schedule="cosine", warmup_steps=2, epochs=1)
>>> sched = Schedule(cfg, steps_per_epoch=6)
>>> [round(sched.lr_at(s), 4) for s in range(6)]
[0.05, 0.1, 0.1, 0.0854, 0.05, 0.0146]
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.optim import optimizer as torch_optimizer

from .config import TrainConfig  # noqa: F401  (the doctest uses it)


def make_optimizer(model: nn.Module, config: TrainConfig, device: torch.device
                   ) -> torch.optim.Optimizer:
    """The configured optimiser over the trainable parameters, with its fused (or foreach)
    kernel: one launch per step for all tensors instead of one per tensor."""
    params = [p for p in model.parameters() if p.requires_grad]
    name = config.optimizer
    if name == "sgd":
        cls, kw = torch.optim.SGD, {"momentum": config.momentum, "nesterov": config.nesterov}
    elif name in ("adam", "adamw"):
        cls = LeanAdam if name == "adam" else LeanAdamW
        kw = {"betas": tuple(config.betas)}
    else:
        cls, kw = torch.optim.RMSprop, {"momentum": config.momentum}
    kw.update(lr=config.lr, weight_decay=config.weight_decay)
    if not params:
        return cls([torch.zeros(0, requires_grad=True)], **kw)  # a weightless model still runs
    fused_devices = ("cpu", "cuda", "mps") if cls is not torch.optim.RMSprop else ()
    if device.type in fused_devices:
        try:
            return cls(params, fused=True, **kw)
        except (RuntimeError, TypeError, ValueError):
            pass  # this build or dtype has no fused kernel: the foreach one is next best
    return cls(params, foreach=device.type != "mps" or None, **kw)


class _LeanFusedStep:
    """torch's Adam/AdamW whose step, once every parameter has its state, calls the fused
    kernel itself: ``_foreach_add_`` on the step counts, then ``_fused_adam(w)_`` on the same
    tensors with the same arguments as torch's own step, so the numbers are the same bit for
    bit; what is skipped is the per-step Python around it (grouping by device and dtype, list
    building), 2-3 % of a seed-cnn CPU step at batch 32. Anything else (a first step, several
    groups, amsgrad, a closure, a loss scaler's attributes, mixed devices or dtypes) takes
    torch's own step. The state_dict is torch's.

    torch wraps every optimiser class's ``step`` in a profiling and hook wrapper (a
    ``record_function`` and the step hooks) when its first instance is made; this class's step
    is marked as wrapped already and goes through that wrapper only while a profiler runs or a
    step hook is registered, and ``zero_grad(set_to_none=True)`` likewise drops the gradients
    itself: 60-90 µs less per seed-cnn step on two threads (2-4 %), the same numbers."""

    def step(self, closure=None):
        if _watched(self):
            return _profiled_lean_step(self, closure)
        return self._lean_step(closure)

    step.hooked = True  # torch's Optimizer._patch_step_function leaves a marked step alone

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none or torch._C._autograd._profiler_enabled():
            return super().zero_grad(set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None
        return None

    def _lean_step(self, closure=None):
        args = None if closure is not None else self._lean_args()
        if args is None:
            return self._torch_step(closure)
        kernel, tensors, options = args
        torch._foreach_add_(tensors[-1], 1)
        kernel(*tensors, **options)
        return None

    def _torch_step(self, closure):
        """torch's own step, without torch's hook wrapper (this step ran the hooks if any)."""
        func = super().step.__func__
        if getattr(func, "hooked", False):  # torch wrapped Adam.step for a plain Adam
            func = func.__wrapped__
        return func(self, closure)

    def _lean_args(self):
        if len(self.param_groups) != 1:
            return None
        group = self.param_groups[0]
        if not group.get("fused") or group["amsgrad"] or group["maximize"] \
                or group["capturable"] or group["differentiable"] \
                or isinstance(group["lr"], torch.Tensor) \
                or getattr(self, "grad_scale", None) is not None \
                or getattr(self, "found_inf", None) is not None:
            return None
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return None
        states = [self.state.get(p) for p in params]
        if not all(states):
            return None  # a first step: torch's step creates the state
        first = params[0]
        if any(p.device != first.device or p.dtype != first.dtype or p.grad.dtype != p.dtype
               or p.is_complex() for p in params):
            return None
        beta1, beta2 = group["betas"]
        decoupled = group.get("decoupled_weight_decay", isinstance(self, torch.optim.AdamW))
        kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
        tensors = (params, [p.grad for p in params], [s["exp_avg"] for s in states],
                   [s["exp_avg_sq"] for s in states], [], [s["step"] for s in states])
        return kernel, tensors, dict(
            amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
            weight_decay=group["weight_decay"], eps=group["eps"], maximize=False,
            grad_scale=None, found_inf=None)


def _watched(optimizer: torch.optim.Optimizer) -> bool:
    """Whether a profiler runs or a step hook is registered (then torch's wrapper runs)."""
    return bool(torch._C._autograd._profiler_enabled()
                or optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks
                or torch_optimizer._global_optimizer_pre_hooks
                or torch_optimizer._global_optimizer_post_hooks)


_profiled_lean_step = torch.optim.Optimizer.profile_hook_step(_LeanFusedStep._lean_step)


class LeanAdam(_LeanFusedStep, torch.optim.Adam):
    pass


class LeanAdamW(_LeanFusedStep, torch.optim.AdamW):
    pass


class Schedule:
    """The learning rate at each step: warm-up, then the configured shape."""

    def __init__(self, config: TrainConfig, steps_per_epoch: int):
        self.config = config
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = self.steps_per_epoch * config.epochs
        self.warmup = min(self.total, round(config.warmup_epochs * self.steps_per_epoch)
                          + config.warmup_steps)
        # plateau: the scale applied so far, the best metric and the epochs since it improved
        self.scale = 1.0
        self.best: float | None = None
        self.bad_epochs = 0

    def lr_at(self, step: int) -> float:
        cfg, lr = self.config, self.config.lr
        if step < self.warmup:
            return lr * (step + 1) / self.warmup
        t, span = step - self.warmup, max(1, self.total - self.warmup)
        if cfg.schedule == "step":
            return lr * cfg.gamma ** ((step // self.steps_per_epoch) // cfg.step_size)
        if cfg.schedule == "cosine":
            return cfg.min_lr + (lr - cfg.min_lr) * 0.5 * (1 + math.cos(math.pi * t / span))
        if cfg.schedule == "onecycle":
            return _one_cycle(cfg, t, span)
        return lr * self.scale

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> float:
        lr = self.lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        return lr

    def end_epoch(self, value: float | None, mode: str) -> bool:
        """Feed the monitored metric after an epoch; True when the plateau schedule cut the rate."""
        if self.config.schedule != "plateau" or value is None or not math.isfinite(value):
            return False
        better = self.best is None or (value < self.best if mode == "min" else value > self.best)
        if better:
            self.best, self.bad_epochs = value, 0
            return False
        self.bad_epochs += 1
        if self.bad_epochs > self.config.plateau_patience:
            self.scale *= self.config.plateau_factor
            self.bad_epochs = 0
            return True
        return False

    def state_dict(self) -> dict:
        return {"scale": self.scale, "best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.scale, self.best, self.bad_epochs = state["scale"], state["best"], state["bad_epochs"]


def _one_cycle(cfg: TrainConfig, t: int, span: int) -> float:
    """Cosine up from lr/div_factor to lr over pct_start, then down to
    lr/(div_factor·final_div_factor), as torch's OneCycleLR anneals."""
    start = cfg.lr / cfg.div_factor
    end = start / cfg.final_div_factor
    rise = max(1, round(cfg.pct_start * span))
    if t < rise:
        return _cos(start, cfg.lr, t / rise)
    return _cos(cfg.lr, end, min(1.0, (t - rise) / max(1, span - 1 - rise)))


def _cos(a: float, b: float, frac: float) -> float:
    return b + (a - b) * 0.5 * (1 + math.cos(math.pi * frac))
