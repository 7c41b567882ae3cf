"""Train the model of model.py on the data of data.py, with the settings of config.json.

    python train.py                                   # one process: a GPU if there is one
    torchrun --nproc-per-node 4 train.py              # 4 processes on this machine (DDP)
    torchrun --nnodes 2 --node-rank 0 --nproc-per-node 4 \\
             --rdzv-backend c10d --rdzv-endpoint HOST:29500 train.py   # on each machine
    python train.py --resume output/checkpoint.pt --epochs 20          # continue exactly

Needs only PyTorch, NumPy and Pillow. Each epoch walks the training split in an order that
depends on (seed, epoch) alone, takes ``batch_size`` samples per step (the global batch: with N
processes each takes every N-th sample of it, and the loss is scaled so that DDP's average of
the gradients is the gradient of the whole batch), validates, prints one line and saves a
checkpoint. A checkpoint holds the model, optimiser, schedule, position and every random
generator's state, so ``--resume`` continues as if the run had never stopped; Ctrl-C saves one
before leaving. Metrics go to OUT/metrics.csv (one row per epoch) and OUT/metrics.json (epochs,
logged steps and the test result).

Change anything: the loop is plain PyTorch.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import ctypes
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # model.py and data.py sit beside this file (also under python -I)

import data  # noqa: E402
import model as model_file  # noqa: E402

# Seeds the per-epoch shuffle: the order of epoch e is a function of (seed, e) alone.
SHUFFLE_STREAM = 0x9E3779B1


# -- settings ---------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default=str(HERE / "config.json"), help="the settings file")
    p.add_argument("--out", default="output", help="folder for checkpoint, weights and metrics")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue a run from its checkpoint")
    p.add_argument("--weights", metavar="FILE", help="start from these weights (a state_dict)")
    p.add_argument("--data", metavar="FILE", help="train on another file of the same layout")
    for name, kind in (("epochs", int), ("batch-size", int), ("lr", float), ("seed", int),
                       ("log-every", int)):
        p.add_argument(f"--{name}", type=kind, help=f"override config.json's "
                                                      f"{name.replace('-', '_')}")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    return p.parse_args(argv)


def load_config(args: argparse.Namespace) -> dict:
    config = json.loads(Path(args.config).read_text(encoding="utf-8"))
    train = config["train"]
    for key in ("epochs", "batch_size", "lr", "seed", "log_every", "device"):
        if getattr(args, key) is not None:
            train[key] = getattr(args, key)
    if args.data:
        if config["data"]["kind"] == "arrays":
            raise SystemExit("--data: this project carries its data as split arrays (data/*.npz); "
                             "replace those files to train on other data")
        if not Path(args.data).is_file():
            raise SystemExit(f"--data: no such file {args.data}")
        config["data"] = {**config["data"], "file": str(Path(args.data).resolve()),
                          "split_file": None}
    return config


# -- processes, devices, seeds ------------------------------------------------------------------

def init_distributed(device: str):
    """``(rank, world, device)`` of this process; joins the process group when torchrun started
    several (RANK, WORLD_SIZE, LOCAL_RANK in the environment): NCCL on GPUs, Gloo on CPUs."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return 0, 1, pick_device(device)
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    if device in ("auto", "cuda") and torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        where, backend = torch.device("cuda", local_rank), "nccl"
    else:
        where, backend = torch.device("cpu"), "gloo"
    dist.init_process_group(backend, rank=rank, world_size=world)
    return rank, world, where


def leave_group(where: torch.device) -> None:
    """Wait for every process, then leave the process group: a process that exits while Gloo's
    threads still release its last collective's tensors is aborted ("terminate called without
    an active exception"), so none leaves before all are done."""
    if where.type == "cuda":
        dist.barrier(device_ids=[where.index])
    else:
        dist.barrier()
    dist.destroy_process_group()


def pick_device(want: str) -> torch.device:
    if want == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps and mps.is_available() else "cpu")
    return torch.device(want)


def configure(train: dict) -> None:
    keep_freed_memory()
    if train.get("num_threads"):
        torch.set_num_threads(train["num_threads"])
    if train.get("deterministic"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(bool(train.get("deterministic")), warn_only=True)
    torch.backends.cudnn.benchmark = not train.get("deterministic") and torch.cuda.is_available()


def keep_freed_memory() -> None:
    """Let glibc's malloc reuse the blocks a step frees instead of returning them to the system
    and faulting them in again at the next step (blocks up to 32 MiB from the heap, 1 GiB of it
    kept): CPU training runs 1.2-1.6x faster. Linux with glibc only; elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state(augment: torch.Generator) -> dict:
    """Every generator's state, as tensors and plain values (loads with weights_only=True)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),
                      "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)},
            "python": {"version": version, "internal": list(internal), "gauss": gauss},
            "augment": augment.get_state()}


def set_rng_state(state: dict, augment: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    if "augment" in state:
        augment.set_state(state["augment"])


# -- the model ------------------------------------------------------------------------------------

def build_model(config: dict, weights: str | None) -> nn.Module:
    """model.py's class; a softmax that only feeds the output is left out while training, so
    that cross-entropy sees logits (the weights still load into the model as drawn)."""
    spec = config["model"]
    net = getattr(model_file, spec["class"])()
    for name in spec.get("train_without") or []:
        setattr(net, name, nn.Identity())
    weights = weights or (HERE / spec["initial_weights"] if spec.get("initial_weights")
                          else None)
    if weights:
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net


def use_channels_last(train: dict, device: torch.device, net: nn.Module, shape) -> bool:
    """Channels-last layout for 2-D convolutions on [C, H, W] inputs: faster on CPUs, and on
    CUDA with mixed precision."""
    if train.get("channels_last", "auto") == "off" or len(shape) != 3:
        return False
    if not any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in net.modules()):
        return False
    return train.get("channels_last") == "on" or device.type == "cpu" or (
        device.type == "cuda" and train.get("amp"))


def mixed_precision(train: dict, device: torch.device):
    """``(autocast factory, GradScaler or None)``: bfloat16 where the GPU has it, float16 with a
    scaler otherwise; full precision off CUDA."""
    if not (train.get("amp") and device.type == "cuda"):
        return contextlib.nullcontext, None
    if torch.cuda.is_bf16_supported():
        return (lambda: torch.autocast("cuda", dtype=torch.bfloat16)), None
    return (lambda: torch.autocast("cuda", dtype=torch.float16)), torch.amp.GradScaler("cuda")


# -- loss and metric ------------------------------------------------------------------------------

class Task:
    """What the output means and how it is scored: a loss per sample, and accuracy (classes)
    or mean absolute error (numbers) summed over samples.

    A regression target far from unit scale (``target_scale`` in config.json: its training
    split's mean and sd per column) is learned standardised: the loss compares the output with
    ``(y - mean) / sd``, and the MAE reads the output back in y's units (``in_units``)."""

    def __init__(self, spec: dict):
        self.kind, self.loss, self.head = spec["kind"], spec["loss"], spec.get("head", "logits")
        self.label_smoothing = spec.get("label_smoothing", 0.0)
        self.huber_delta = spec.get("huber_delta", 1.0)
        self.metric = "accuracy" if self.kind == "classification" else "mae"
        self.scale = spec.get("target_scale")  # {"head", "mean", "std"} or None

    def _stats(self, like):
        return (torch.tensor(self.scale["mean"], dtype=like.dtype, device=like.device),
                torch.tensor(self.scale["std"], dtype=like.dtype, device=like.device))

    def in_units(self, out):
        """A regression output in the target's units."""
        if not self.scale:
            return out
        mean, std = self._stats(out)
        return out.reshape(len(out), -1) * std + mean

    def target(self, x, y):
        return x if self.kind == "reconstruction" else y

    def per_sample_loss(self, out, target):
        if self.kind == "classification":
            if self.head == "logits":
                return F.cross_entropy(out, target, reduction="none",
                                       label_smoothing=self.label_smoothing)
            log_probs = out if self.head == "log_probs" else out.clamp_min(1e-12).log()
            nll = -log_probs.gather(1, target[:, None]).squeeze(1)
            if not self.label_smoothing:
                return nll
            return (1 - self.label_smoothing) * nll - self.label_smoothing * log_probs.mean(1)
        out = out.reshape(target.shape)
        if self.scale:
            mean, std = self._stats(target)
            target = (target - mean) / std
        if self.loss == "l1":
            loss = F.l1_loss(out, target, reduction="none")
        elif self.loss == "huber":
            loss = F.huber_loss(out, target, reduction="none", delta=self.huber_delta)
        else:
            loss = F.mse_loss(out, target, reduction="none")
        return loss.flatten(1).mean(1)

    def metric_sum(self, out, target):
        if self.kind == "classification":
            return (out.argmax(1) == target).sum()
        return (self.in_units(out).reshape(target.shape) - target).abs().flatten(1).mean(1).sum()


def folded(state: dict, scale: dict | None) -> dict:
    """The weights predicting in the target's units: the head that learned the standardised
    values times sd, plus mean (none to fold without ``scale``)."""
    if not scale:
        return state
    out, head = dict(state), scale["head"]
    weight, bias = state[f"{head}.weight"], state[f"{head}.bias"]
    std = torch.tensor(scale["std"], dtype=torch.float64, device=weight.device)
    mean = torch.tensor(scale["mean"], dtype=torch.float64, device=weight.device)
    out[f"{head}.weight"] = (weight.double() * std[:, None]).to(weight.dtype)
    out[f"{head}.bias"] = (bias.double() * std + mean).to(bias.dtype)
    return out


# -- optimiser and learning-rate schedule ---------------------------------------------------------

def make_optimizer(net: nn.Module, train: dict, device: torch.device) -> torch.optim.Optimizer:
    params = [p for p in net.parameters() if p.requires_grad]
    name = train["optimizer"]
    if name == "sgd":
        cls, kw = torch.optim.SGD, {"momentum": train["momentum"], "nesterov": train["nesterov"]}
    elif name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        kw = {"betas": tuple(train["betas"])}
    else:
        cls, kw = torch.optim.RMSprop, {"momentum": train["momentum"]}
    kw.update(lr=train["lr"], weight_decay=train["weight_decay"])
    if not params:
        return cls([torch.zeros(0, requires_grad=True)], **kw)
    if device.type in ("cpu", "cuda", "mps") and cls is not torch.optim.RMSprop:
        try:
            return cls(params, fused=True, **kw)  # one kernel for all tensors
        except (RuntimeError, TypeError, ValueError):
            pass
    return cls(params, foreach=device.type != "mps" or None, **kw)


class Schedule:
    """The learning rate at each step: a linear warm-up, then constant, step, cosine, onecycle
    or plateau (cut by plateau_factor when the monitored metric stalls)."""

    def __init__(self, train: dict, steps_per_epoch: int):
        self.t = train
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.total = self.steps_per_epoch * train["epochs"]
        self.warmup = min(self.total, round(train["warmup_epochs"] * self.steps_per_epoch)
                          + train["warmup_steps"])
        self.scale, self.best, self.bad_epochs = 1.0, None, 0

    def lr_at(self, step: int) -> float:
        t, lr = self.t, self.t["lr"]
        if step < self.warmup:
            return lr * (step + 1) / self.warmup
        done, span = step - self.warmup, max(1, self.total - self.warmup)
        if t["schedule"] == "step":
            return lr * t["gamma"] ** ((step // self.steps_per_epoch) // t["step_size"])
        if t["schedule"] == "cosine":
            return t["min_lr"] + (lr - t["min_lr"]) * 0.5 * (1 + math.cos(math.pi * done / span))
        if t["schedule"] == "onecycle":
            start = lr / t["div_factor"]
            end = start / t["final_div_factor"]
            rise = max(1, round(t["pct_start"] * span))
            if done < rise:
                return _cos(start, lr, done / rise)
            return _cos(lr, end, min(1.0, (done - rise) / max(1, span - 1 - rise)))
        return lr * self.scale

    def apply(self, optimizer, step: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = self.lr_at(step)

    def end_epoch(self, value, mode: str) -> None:
        if self.t["schedule"] != "plateau" or value is None or not math.isfinite(value):
            return
        if self.best is None or (value < self.best if mode == "min" else value > self.best):
            self.best, self.bad_epochs = value, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.t["plateau_patience"]:
            self.scale *= self.t["plateau_factor"]
            self.bad_epochs = 0

    def state_dict(self) -> dict:
        return {"scale": self.scale, "best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict) -> None:
        self.scale, self.best, self.bad_epochs = state["scale"], state["best"], state["bad_epochs"]


def _cos(a: float, b: float, frac: float) -> float:
    return b + (a - b) * 0.5 * (1 + math.cos(math.pi * frac))


# -- augmentation (image batches) -----------------------------------------------------------------

def augment(x: torch.Tensor, train: dict, gen: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding, horizontal flips, Gaussian noise; drawn from ``gen``
    only, so a resumed run sees the same batches."""
    pad, where = train.get("crop_padding", 0), gen.device
    if pad:
        b, _, h, w = x.shape
        padded = F.pad(x, (pad, pad, pad, pad))
        top, left = torch.randint(2 * pad + 1, (2, b), generator=gen, device=where).to(x.device)
        rows = (top[:, None] + torch.arange(h, device=x.device))[:, :, None]
        cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, :]
        batch = torch.arange(b, device=x.device)[:, None, None]
        x = padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()
    if train.get("hflip"):
        flip = torch.rand(x.shape[0], generator=gen, device=where).to(x.device) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    if train.get("noise_std"):
        noise = torch.randn(x.shape, generator=gen, device=where, dtype=x.dtype)
        x = x + train["noise_std"] * noise.to(x.device)
    return x


def choose_monitor(train: dict, task: Task, has_val: bool) -> tuple[str, str]:
    """The metric that early stopping, the plateau schedule and "best" watch, and whether it
    should go down ("min") or up ("max"). Without a validation split val_loss falls back to
    train_loss."""
    names = ["train_loss", f"train_{task.metric}"]
    names += ["val_loss", f"val_{task.metric}"] if has_val else []
    monitor = train["monitor"]
    if monitor not in names:
        if monitor != "val_loss" or has_val:
            raise SystemExit(f"monitor {monitor!r} is not measured; choose one of "
                             f"{', '.join(names)}")
        return "train_loss", "min"
    if train["mode"] != "auto":
        return monitor, train["mode"]
    up = ("acc", "f1", "r2", "precision", "recall")
    return monitor, "max" if any(w in monitor for w in up) else "min"


# -- batching -------------------------------------------------------------------------------------

def batches_per_epoch(n: int, batch_size: int) -> int:
    """Full batches plus a last partial one, unless it would hold a single sample."""
    full, rest = divmod(n, batch_size)
    return full + (1 if rest >= 2 or (rest == 1 and full == 0) else 0)


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed((seed * SHUFFLE_STREAM + epoch) % 2**63)
    return torch.randperm(n, generator=gen)


def measure(net, x, y, task: Task, batch_size: int, autocast) -> dict:
    """Loss and metric over a whole split, in eval mode."""
    if len(x) == 0:
        return {}
    was_training = net.training
    net.eval()
    loss = torch.zeros((), device=x.device)
    metric = torch.zeros((), device=x.device)
    with torch.no_grad(), autocast():
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            out = net(xb).float()
            target = task.target(xb, yb)
            loss += task.per_sample_loss(out, target).sum()
            metric += task.metric_sum(out, target)
    net.train(was_training)
    total_loss, total_metric = torch.stack([loss, metric]).tolist()
    return {"loss": total_loss / len(x), task.metric: total_metric / len(x)}


def evaluate_test(net, x, y, task: Task, batch_size: int, autocast) -> dict:
    """The test split's loss (mean of the per-sample losses) and accuracy or MAE."""
    if len(x) == 0:
        return {}
    net.eval()
    with torch.no_grad(), autocast():
        out = torch.cat([net(x[i:i + batch_size]).float() for i in range(0, len(x), batch_size)])
    target = task.target(x, y)
    losses = task.per_sample_loss(out, target).cpu().numpy()
    report = {"test_loss": float(losses.mean())}
    if task.kind == "classification":
        report["test_accuracy"] = float((out.argmax(1) == target).double().mean().item())
    else:
        err = (task.in_units(out).reshape(target.shape) - target).reshape(len(target), -1)
        err = err.double()
        report["test_mae"] = float(err.abs().mean().item())
        report["test_rmse"] = float(err.pow(2).mean().sqrt().item())
    return report


# -- the loop -------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    config = load_config(args)
    train, task = config["train"], Task(config["task"])
    rank, world, device = init_distributed(train["device"])
    main_process = rank == 0
    out = Path(args.out)
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
    configure(train)
    seed_everything(train["seed"])
    net = build_model(config, args.weights)
    splits = data.load_splits(config, HERE)  # numpy arrays, model-ready
    shape = tuple(config["model"]["input_shape"])

    net = net.to(device)
    channels_last = use_channels_last(train, device, net, shape)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(net, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        model = net

    def on_device(name):
        x, y = (torch.from_numpy(a).to(device) for a in splits[name])
        return (x.contiguous(memory_format=torch.channels_last) if channels_last else x), y

    x_train, y_train = on_device("train")
    x_val, y_val = on_device("val")
    x_test, y_test = on_device("test")
    steps = batches_per_epoch(len(x_train), train["batch_size"])
    if steps == 0:
        raise SystemExit(f"{len(x_train)} training sample(s): too few for a batch")
    optimizer = make_optimizer(net, train, device)
    schedule = Schedule(train, steps)
    autocast, scaler = mixed_precision(train, device)
    augmenting = len(shape) == 3 and (train.get("crop_padding") or train.get("hflip")
                                      or train.get("noise_std"))
    augment_gen = torch.Generator(device=device).manual_seed(train["seed"] + 1)
    monitor, mode = choose_monitor(train, task, has_val=len(x_val) > 0)

    # where the run is: all of it goes into checkpoints
    loop = {"epoch": 0, "position": 0, "step": 0, "loss_sum": 0.0, "metric_sum": 0.0,
            "seen": 0, "history": [], "best": None, "best_epoch": None, "bad_epochs": 0,
            "elapsed": 0.0}
    if args.resume:
        # on the CPU: generator states must be CPU tensors; the rest is copied to the device
        state = torch.load(args.resume, map_location="cpu", weights_only=True)
        net.load_state_dict(state["model"])
        if task.scale and state.get("target_scale"):  # the head as it trains, standardised
            trained = state["target_scale"]["trained"]
            head = net.get_submodule(task.scale["head"])
            with torch.no_grad():
                head.weight.copy_(trained["weight"])
                head.bias.copy_(trained["bias"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        loop.update(state["loop"])
        set_rng_state(state["rng"], augment_gen)
    loss_acc = torch.full((), loop["loss_sum"], device=device)  # the epoch's running sums
    metric_acc = torch.full((), loop["metric_sum"], device=device)
    steps_log: list[dict] = []
    started, elapsed_before, first_step = time.perf_counter(), loop["elapsed"], loop["step"] + 1

    def sums() -> tuple[float, float]:
        both = torch.stack([loss_acc, metric_acc])
        if world > 1:
            dist.all_reduce(both)
        return tuple(both.tolist())

    def save(path: Path) -> None:
        if not main_process:
            return
        loop["loss_sum"], loop["metric_sum"] = torch.stack([loss_acc, metric_acc]).tolist()
        weights = net.state_dict()
        trained = ({k: weights[f"{task.scale['head']}.{k}"].detach().clone()
                    for k in ("weight", "bias")} if task.scale else None)
        state = {"format": "layerloom-checkpoint", "version": 1,
                 "model": folded(weights, task.scale),  # predicts in the target's units
                 "target_scale": {**task.scale, "trained": trained} if task.scale else None,
                 "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                 "scaler": scaler.state_dict() if scaler is not None else None,
                 "loop": dict(loop), "config": train, "rng": rng_state(augment_gen)}
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)  # a run killed while saving keeps its previous checkpoint

    model.train()
    reason = f"finished {train['epochs']} epoch(s)"
    try:
        while loop["epoch"] < train["epochs"]:
            perm = epoch_permutation(len(x_train), train["seed"], loop["epoch"]).to(device)
            mark = (loop["seen"], loop["loss_sum"], loop["metric_sum"])  # of the last log line
            for position in range(loop["position"], steps):
                b = train["batch_size"]
                index = perm[position * b:(position + 1) * b]
                size = len(index)  # the global batch
                if world > 1:
                    index = index[rank::world]  # this process's share of it
                x, y = x_train[index], y_train[index]
                schedule.apply(optimizer, loop["step"])
                target = task.target(x, y)  # before augmentation: a noisy input's target is clean
                if augmenting:
                    x = augment(x, train, augment_gen)
                with autocast():
                    output = model(x)
                    loss_sum = task.per_sample_loss(output.float(), target).sum()
                # sum / (global batch / processes): DDP's average over processes is then the
                # mean over the global batch
                loss = loss_sum * (world / size)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.unscale_(optimizer)
                else:
                    loss.backward()
                if train.get("grad_clip"):
                    nn.utils.clip_grad_norm_(net.parameters(), train["grad_clip"], foreach=True)
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                loss_acc += loss_sum.detach()
                metric_acc += task.metric_sum(output.detach().float(), target)
                loop["position"], loop["step"] = position + 1, loop["step"] + 1
                loop["seen"] += size
                # every log_every steps, the first step at once (a first sign of life) and
                # the last of each epoch (the curve reaches the epoch's validation point)
                if loop["step"] % train["log_every"] == 0 or loop["step"] == first_step \
                        or position + 1 == steps:
                    total_loss, total_metric = sums()
                    seen = loop["seen"] - mark[0]
                    steps_log.append({"step": loop["step"], "epoch": loop["epoch"] + 1,
                                      "loss": (total_loss - mark[1]) / seen,
                                      task.metric: (total_metric - mark[2]) / seen,
                                      "lr": optimizer.param_groups[0]["lr"]})
                    if not math.isfinite(steps_log[-1]["loss"]):
                        raise SystemExit(f"the loss became {steps_log[-1]['loss']} at step "
                                         f"{loop['step']}: lower lr, or clip gradients")
                    mark = (loop["seen"], total_loss, total_metric)

            # end of the epoch: validate, schedule, early stopping, checkpoint, report
            total_loss, total_metric = sums()
            row = {"epoch": loop["epoch"] + 1,
                   "train_loss": total_loss / max(1, loop["seen"]),
                   f"train_{task.metric}": total_metric / max(1, loop["seen"])}
            val = measure(net, x_val, y_val, task, train["eval_batch_size"], autocast)
            row.update({f"val_{k}": v for k, v in val.items()})
            row["lr"] = optimizer.param_groups[0]["lr"]
            value = row.get(monitor)
            schedule.end_epoch(value, mode)
            best, delta = loop["best"], train["min_delta"]
            if value is not None and math.isfinite(value) and (
                    best is None or (value < best - delta if mode == "min"
                                     else value > best + delta)):
                loop["best"], loop["best_epoch"], loop["bad_epochs"] = value, row["epoch"], 0
            else:
                loop["bad_epochs"] += 1
            loop["elapsed"] = row["time"] = elapsed_before + time.perf_counter() - started
            loop["history"].append(row)
            loop.update(epoch=loop["epoch"] + 1, position=0, seen=0, loss_sum=0.0,
                        metric_sum=0.0)
            loss_acc.zero_()
            metric_acc.zero_()
            save(out / "checkpoint.pt")
            if main_process:
                shown = "  ".join(f"{k} {v:.4f}" for k, v in row.items()
                                  if k not in ("epoch", "lr", "time"))
                print(f"epoch {row['epoch']}/{train['epochs']}  {shown}  lr {row['lr']:.3g}  "
                      f"{row['time']:.1f} s", flush=True)
            if train["early_stopping"] and loop["bad_epochs"] > train["patience"]:
                reason = (f"early stopping: {monitor} did not improve for "
                          f"{train['patience'] + 1} epochs (best {loop['best']:.4g} at epoch "
                          f"{loop['best_epoch']})")
                break
    except KeyboardInterrupt:
        loop["elapsed"] = elapsed_before + time.perf_counter() - started
        save(out / "checkpoint.pt")
        if main_process:
            print(f"interrupted at step {loop['step']}; continue with --resume "
                  f"{out / 'checkpoint.pt'}", flush=True)
        return 130

    result = {"status": "completed", "reason": reason, "epochs": loop["history"],
              "steps": steps_log, "best": {"metric": monitor, "value": loop["best"],
                                           "epoch": loop["best_epoch"]}}
    if main_process:
        result["test"] = evaluate_test(net, x_test, y_test, task, train["eval_batch_size"],
                                     autocast)
        torch.save(folded(net.state_dict(), task.scale), out / "weights.pt")
        write_metrics(out, result)
        shown = "  ".join(f"{k} {v:.4f}" for k, v in result["test"].items())
        print(f"{reason}; test: {shown or 'no test split'}; weights in {out / 'weights.pt'}",
              flush=True)
    if world > 1:
        leave_group(device)
    return 0


def write_metrics(out: Path, result: dict) -> None:
    rows = result["epochs"]
    names = list(dict.fromkeys(k for row in rows for k in row))
    with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
