"""The training configuration: one object, saved with every run, loadable from JSON.

Each field is declared once, with its default, its allowed values and one line of help; the same
declaration feeds validation (:meth:`TrainConfig.problems`), the UI's form
(:func:`describe_fields`) and the CLI.

>>> cfg = TrainConfig(lr=0.01, epochs=3)
>>> TrainConfig.from_json(cfg.to_json()) == cfg
True
>>> try:
...     TrainConfig(lr=-1, optimizer="adm")
... except ConfigError as err:
...     print(err)
optimizer must be one of sgd, adam, adamw, rmsprop, got 'adm'; lr must be > 0, got -1
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKS = ("auto", "classification", "regression", "reconstruction")
LOSSES = ("auto", "cross_entropy", "mse", "l1", "huber")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "onecycle", "plateau")
DEVICES = ("auto", "cpu", "cuda", "mps")
MODES = ("auto", "min", "max")
PRECISIONS = ("fp32", "bf16-mixed", "fp16-mixed", "auto-mixed")
# the running metric each task logs besides its loss (runtime.tasks.Task.metric reads it here)
TASK_METRIC = {"classification": "accuracy", "regression": "mae", "reconstruction": "mae"}
# every metric a run logs, each on the training and the validation split: the names that
# monitor may take (validation first, as the form offers them)
MONITORS = tuple(f"{split}_{metric}" for split in ("val", "train")
                 for metric in ("loss", *dict.fromkeys(TASK_METRIC.values())))


INT_FIELDS = ("warmup_steps", "step_size", "plateau_patience", "batch_size", "epochs",
              "eval_batch_size", "patience", "seed", "num_threads", "log_every", "crop_padding",
              "diagnose_every", "data_workers")


class ConfigError(ValueError):
    """One or more config values are out of range; ``problems`` lists each, naming the field."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _f(default, help: str, *, group: str, choices=None, min=None, max=None, above=None,
       nullable=False, zero=None):
    """A config field: its default and the declaration that validation and forms read
    (``zero``: what 0 means, where it is not a plain count, said when a value is refused)."""
    meta = {"help": help, "group": group, "choices": choices, "min": min, "max": max,
            "above": above, "nullable": nullable, "zero": zero}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TrainConfig:
    # -- what is learned --------------------------------------------------------------------
    # "auto" takes the dataset's task, so most users never touch it; "reconstruction" makes
    # the input its own target, for autoencoders.
    task: str = _f("auto", "What to learn: the dataset's own task (auto), or reconstruct the "
                   "input (autoencoders).", group="task", choices=TASKS)
    # auto picks cross-entropy for classes and MSE otherwise: the losses nearly everyone wants.
    loss: str = _f("auto", "Loss: cross_entropy for classes; mse, l1 or huber for numbers.",
                   group="task", choices=LOSSES)
    # Softer targets often generalise better on small image sets; 0 is the plain loss.
    label_smoothing: float = _f(0.0, "Cross-entropy label smoothing (0 = off).", group="task",
                                min=0.0, max=0.99)
    # A network's output starts near 0: a target of 2e5 (prices) is learned standardised and
    # read back in its units, as scikit-learn's TransformedTargetRegressor does (target_scale.py).
    target_scaling: str = _f("auto", "Regression: learn a target far from unit scale (mean or "
                             "spread above 10) standardised; predictions and metrics stay in "
                             "its units. off: learn it as it is.", group="task",
                             choices=("auto", "off"))
    # Where Huber turns from quadratic to linear: the size of an error still trusted.
    huber_delta: float = _f(1.0, "Huber loss: errors above this count linearly.", group="task",
                            above=0.0)

    # -- optimiser --------------------------------------------------------------------------
    # Adam at 1e-3 trains almost anything reasonably: the Keras default the design note uses.
    optimizer: str = _f("adam", "Optimiser.", group="optimizer", choices=OPTIMIZERS)
    lr: float = _f(1e-3, "Learning rate (the peak rate when a schedule warms up or cycles).",
                   group="optimizer", above=0.0, max=100.0)
    # Plain SGD without momentum is rarely what anyone means by "SGD" today.
    momentum: float = _f(0.9, "Momentum of SGD and RMSprop.", group="optimizer", min=0.0,
                         max=0.999)
    nesterov: bool = _f(False, "Nesterov momentum (SGD only).", group="optimizer")
    betas: tuple = _f((0.9, 0.999), "Adam/AdamW decay rates of the gradient averages.",
                      group="optimizer")
    # Decoupled in AdamW, an L2 penalty in the others, as torch.optim defines it.
    weight_decay: float = _f(0.0, "Weight decay.", group="optimizer", min=0.0, max=1.0)

    # -- learning-rate schedule -------------------------------------------------------------
    schedule: str = _f("constant", "How the rate changes over training.", group="schedule",
                       choices=SCHEDULES)
    # Warm-up keeps Adam and large batches from blowing up in the first steps; epochs and
    # steps add up, so either unit can be used.
    warmup_epochs: float = _f(0.0, "Linear warm-up length in epochs.", group="schedule",
                              min=0.0)
    warmup_steps: int = _f(0, "Linear warm-up length in steps (adds to warmup_epochs).",
                           group="schedule", min=0)
    step_size: int = _f(10, "step: epochs between two decays.", group="schedule", min=1)
    gamma: float = _f(0.1, "step: factor applied at each decay.", group="schedule", above=0.0,
                      max=1.0)
    # A floor keeps the last cosine epochs from wasting steps at a rate of zero.
    min_lr: float = _f(0.0, "cosine: the rate at the end.", group="schedule", min=0.0)
    pct_start: float = _f(0.3, "onecycle: share of training spent rising to lr.",
                          group="schedule", above=0.0, max=0.99)
    div_factor: float = _f(25.0, "onecycle: starts at lr / div_factor.", group="schedule",
                           min=1.0)
    final_div_factor: float = _f(1e4, "onecycle: ends at lr / (div_factor × this).",
                                 group="schedule", min=1.0)
    plateau_factor: float = _f(0.1, "plateau: factor applied when the monitored metric stalls.",
                               group="schedule", above=0.0, max=0.99)
    plateau_patience: int = _f(3, "plateau: epochs without improvement before a cut.",
                               group="schedule", min=0)

    # -- the loop ---------------------------------------------------------------------------
    # 32 is the Keras default; larger batches run faster per sample but generalise worse.
    batch_size: int = _f(32, "Samples per step (the global batch when distributed).",
                         group="loop", min=1)
    epochs: int = _f(10, "Passes over the training split.", group="loop", min=1, max=100_000)
    # Clipping the global gradient norm is the cheapest cure for occasional loss spikes.
    grad_clip: float | None = _f(None, "Clip the gradients' global norm to this (empty = off).",
                                 group="loop", above=0.0, nullable=True)
    # Validation is a full pass; big batches make it cheap since nothing is stored for backward.
    eval_batch_size: int = _f(512, "Samples per batch when measuring validation and test.",
                              group="loop", min=1)

    # Fine-tuning starts from weights brought in (import-torch/import-onnx --weights): tensors
    # whose shape no longer fits (a head replaced for other classes) start fresh.
    init_weights: str | None = _f(None, "A .safetensors file of weights to start from (empty "
                                  "= fresh weights).", group="weights", nullable=True)

    # -- early stopping and the metric that picks the best epoch -----------------------------
    early_stopping: bool = _f(False, "Stop when the monitored metric stops improving.",
                              group="early_stopping")
    # The same metric drives early stopping, the plateau schedule, a run's "best" and sweeps,
    # so one choice means one thing everywhere.
    monitor: str = _f("val_loss", "Metric to watch: the loss or the task's metric (accuracy "
                      "for classes, mae for numbers) on the validation or training split.",
                      group="early_stopping", choices=MONITORS)
    patience: int = _f(5, "Epochs without improvement before stopping.", group="early_stopping",
                       min=0)
    mode: str = _f("auto", "Whether the metric should go down (min) or up (max); auto knows "
                   "loss and error go down, accuracy up.", group="early_stopping",
                   choices=MODES)
    min_delta: float = _f(0.0, "The smallest change that counts as an improvement.",
                          group="early_stopping", min=0.0)

    # -- reproducibility and hardware -------------------------------------------------------
    # One seed sets the initial weights, the shuffling, dropout and augmentation.
    seed: int = _f(0, "Random seed for weights, shuffling, dropout and augmentation.",
                   group="hardware", min=0, max=2**31 - 1)
    # Deterministic kernels are slower on GPUs; CPU training is deterministic either way.
    deterministic: bool = _f(False, "Use deterministic algorithms only (bit-exact reruns).",
                             group="hardware")
    device: str = _f("auto", "Where to train: auto picks CUDA, then MPS, then the CPU.",
                     group="hardware", choices=DEVICES)
    # Half precision roughly doubles GPU throughput; it has no benefit on CPUs, so it is
    # used only on CUDA.
    amp: bool = _f(False, "Mixed precision on CUDA (bf16 where the GPU has it, else fp16); "
                   "ignored elsewhere. Same as precision 'auto-mixed'.", group="hardware")
    # bf16 halves the bytes every convolution and matmul moves, and CPUs with AVX512-BF16 or
    # AMX run it natively (seed-cnn 1.3-1.5x on one core, benchmarks/peer_keras); weights,
    # optimiser state and the loss stay fp32. fp16 needs a GPU and a loss scaler.
    precision: str = _f("fp32", "Arithmetic: fp32; bf16-mixed (CPUs with AVX512-BF16/AMX, "
                        "or CUDA); fp16-mixed (CUDA); auto-mixed (the best mixed precision "
                        "the device has).", group="hardware", choices=PRECISIONS)
    # Channels-last (NHWC) ran 10–30 % faster for every image template on CPUs (see
    # benchmarks/runtime_bench.py) and suits tensor cores under mixed precision; auto uses it
    # there, for models with 2-D convolutions.
    channels_last: str = _f("auto", "Channels-last memory layout for convolutional models: "
                            "auto (on CPUs, and on CUDA with amp), on, off.", group="hardware",
                            choices=("auto", "on", "off"))
    # None leaves PyTorch's choice (one thread per core; runs the app starts leave one core
    # to the app); 0 asks for every core, as 0 means "all" in other tools' thread settings.
    num_threads: int | None = _f(None, "CPU threads for training (0 = all cores; empty = all "
                                 "cores, but one in runs the app starts).", group="hardware",
                                 min=0, max=1024, nullable=True, zero="all cores")

    # Images read from a folder on disk are decoded by worker processes while the model trains;
    # each holds at most two batches, so memory is bounded by batch size × workers.
    data_workers: int | None = _f(None, "Processes decoding images read from a folder (empty = "
                                  "one per core but one, at least 2, at most 4; 0 = in the "
                                  "training process).", group="hardware", min=0, max=64, nullable=True)
    # Under DDP each process normalises a BatchNorm over its own share of the batch; synced,
    # the statistics are those of the whole global batch (one all-reduce per BatchNorm layer).
    sync_batchnorm: bool = _f(False, "Distributed runs: BatchNorm statistics over the global "
                              "batch (SyncBatchNorm) instead of each process's share.",
                              group="hardware")

    # -- reporting --------------------------------------------------------------------------
    # Reading the loss forces the device to finish its queued work, so it is read only this
    # often; metrics in the database and the live charts come at this rate.
    log_every: int = _f(10, "Report training loss, accuracy, rate and speed every N steps "
                            "(and at each epoch's last step).",
                        group="reporting", min=1)
    # One watched step in 50 (and the second step) costs 1-3 % of training: seed-cnn on
    # mnist-5k 1.026 at batch 32, 1.009 at batch 128 (benchmarks/diagnostics_bench.py).
    diagnose_every: int = _f(50, "Record each layer's activations, gradient and update size "
                             "every N steps, and say what looks wrong (0 = off).",
                             group="reporting", min=0)

    # -- augmentation (images only; see layerloom.runtime.data.AugmentConfig) ---------------
    crop_padding: int = _f(0, "Random crop after padding each side by this many pixels.",
                           group="augmentation", min=0, max=64)
    hflip: bool = _f(False, "Mirror half of the images left to right.", group="augmentation")
    noise_std: float = _f(0.0, "Gaussian noise added to the (normalised) inputs.",
                          group="augmentation", min=0.0, max=10.0)

    def __post_init__(self) -> None:
        if isinstance(self.betas, list):
            object.__setattr__(self, "betas", tuple(self.betas))
        if isinstance(self.channels_last, bool):  # true/false, as older configs wrote it
            object.__setattr__(self, "channels_last", "on" if self.channels_last else "off")
        for name in INT_FIELDS:  # 5.0 from a JSON file or a sweep means 5
            value = getattr(self, name)
            if isinstance(value, float) and value.is_integer():
                object.__setattr__(self, name, int(value))
        problems = self.problems()
        if problems:
            raise ConfigError(problems)

    # -- validation -------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Every value out of range, one message each, naming the field."""
        out = [msg for f in dataclasses.fields(self)
               if (msg := _check_field(f, getattr(self, f.name)))]
        if not (isinstance(self.betas, tuple) and len(self.betas) == 2
                and all(_is_number(b) and 0 <= b < 1 for b in self.betas)):
            out.append(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if out:
            return out  # the checks below compare fields, so they need valid values
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            out.append("nesterov needs optimizer 'sgd' with momentum > 0")
        if self.schedule == "onecycle" and (self.warmup_epochs or self.warmup_steps):
            out.append("warmup_epochs/warmup_steps: onecycle warms up by itself (pct_start); "
                       "set them to 0")
        task_loss = {"classification": ("auto", "cross_entropy"),
                     "regression": ("auto", "mse", "l1", "huber"),
                     "reconstruction": ("auto", "mse", "l1", "huber")}
        if self.task in task_loss and self.loss not in task_loss[self.task]:
            out.append(f"loss {self.loss!r} does not suit task {self.task!r} (use "
                       f"{' or '.join(task_loss[self.task])})")
        if self.min_lr >= self.lr and self.schedule == "cosine":
            out.append(f"min_lr must be below lr ({self.lr}), got {self.min_lr}")
        return out

    # -- derived ----------------------------------------------------------------------------

    def augment_config(self):
        """The data package's AugmentConfig for these settings."""
        from .data import AugmentConfig

        return AugmentConfig(crop_padding=self.crop_padding, hflip=self.hflip,
                             noise_std=self.noise_std)

    def monitor_mode(self) -> str:
        """"min" or "max" for :attr:`monitor`."""
        if self.mode != "auto":
            return self.mode
        return "max" if any(w in self.monitor for w in ("acc", "f1", "r2", "precision",
                                                       "recall")) else "min"

    def replace(self, **changes: Any) -> TrainConfig:
        unknown = [k for k in changes if k not in FIELD_NAMES]
        if unknown:
            raise ConfigError([_unknown_message(k) for k in unknown])
        return dataclasses.replace(self, **changes)

    # -- (de)serialisation ------------------------------------------------------------------

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["betas"] = list(self.betas)
        return out

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A config from a dict; missing keys take their defaults, unknown keys are an error.

        An ``"augmentation"`` sub-dict (``crop_padding``, ``hflip``, ``noise_std``) is accepted
        as well as the flat keys.
        """
        if not isinstance(data, dict):
            raise ConfigError([f"a training config must be a JSON object, got "
                               f"{type(data).__name__}"])
        data = dict(data)
        data.update(data.pop("augmentation", None) or {})
        unknown = [k for k in data if k not in FIELD_NAMES]
        if unknown:
            raise ConfigError([_unknown_message(k) for k in unknown])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"the config is not valid JSON: {exc}"]) from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a JSON config file; OSError when it cannot be read, ConfigError when invalid."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(TrainConfig))


def describe_fields() -> list[dict]:
    """Each field as a JSON-ready dict (name, type, default, help, group, choices, range),
    in declaration order, for forms and docs."""
    out = []
    for f in dataclasses.fields(TrainConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        meta = dict(f.metadata)
        out.append({"name": f.name, "type": str(f.type), "default":
                    list(default) if isinstance(default, tuple) else default, **meta})
    return out


def monitor_choices(task: str | None = None) -> tuple[str, ...]:
    """The metrics a run of ``task`` logs, which monitor may name: validation first, then
    training; every task's where ``task`` is None or ``auto`` (not known yet).

    >>> monitor_choices("classification")
    ('val_loss', 'val_accuracy', 'train_loss', 'train_accuracy')
    >>> monitor_choices("auto") == MONITORS
    True
    """
    if task not in TASK_METRIC:
        return MONITORS
    return tuple(m for m in MONITORS if m.endswith(("_loss", f"_{TASK_METRIC[task]}")))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_field(f: dataclasses.Field, value: Any) -> str | None:
    meta, name = f.metadata, f.name
    if value is None:
        return None if meta.get("nullable") else f"{name} must be set"
    if name == "init_weights":
        return None if isinstance(value, str) and value else \
            f"init_weights must be a file name, got {value!r}"
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    if meta.get("choices"):
        if value not in meta["choices"]:
            return f"{name} must be one of {', '.join(meta['choices'])}, got {value!r}"
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"{name} must be true or false, got {value!r}"
    if isinstance(default, str):
        return None if isinstance(value, str) and value else f"{name} must be a name, got {value!r}"
    if isinstance(default, tuple):
        return None  # betas: checked as a whole in problems()
    if name in INT_FIELDS and not (isinstance(value, int) and not isinstance(value, bool)):
        if not (isinstance(value, float) and value.is_integer()):
            return f"{name} must be a whole number, got {value!r}"
    if not _is_number(value):
        return f"{name} must be a number, got {value!r}"
    if meta.get("above") is not None and not value > meta["above"]:
        return f"{name} must be > {meta['above']:g}, got {value!r}"
    if meta.get("min") is not None and value < meta["min"]:
        zero = f" (0 = {meta['zero']})" if meta.get("zero") else ""
        return f"{name} must be ≥ {meta['min']:g}{zero}, got {value!r}"
    if meta.get("max") is not None and value > meta["max"]:
        return f"{name} must be ≤ {meta['max']:g}, got {value!r}"
    return None


# names other tools use for a field, too far from its name for a spelling match
SYNONYMS = {"learning_rate": "lr", "learningrate": "lr", "batchsize": "batch_size",
            "epoch": "epochs", "num_epochs": "epochs", "n_epochs": "epochs"}


def _unknown_message(key: str) -> str:
    synonym = SYNONYMS.get(str(key).lower().replace("-", "_"))
    close = [synonym] if synonym else difflib.get_close_matches(key, FIELD_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown config field {key!r}{hint}"
