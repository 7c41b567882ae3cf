"""Training settings in a student's words: each config field's label ("Learning rate"), and its
help tooltip saying what it does in one line, then its PyTorch term and its key (the name the
saved config, ``layerloom runs`` and a sweep's ``--param`` use). The keys and the stored config are the runtime's
(``describe_fields``); only what the form shows is said here.

>>> label_of("lr"), label_of("num_threads"), label_of("no_such_field")
('Learning rate', 'CPU threads', 'no such field')
>>> help_of({"name": "lr", "help": "Learning rate."}).splitlines()[-1]
'In PyTorch: `lr` · saved as `lr`'
>>> problem_in_words("lr must be > 0, got 0.0"), problem_in_words("epochs must be ≥ 1, got 0")
('Learning rate (lr) must be > 0, got 0.0', 'Epochs must be ≥ 1, got 0')
"""

from __future__ import annotations

# key: (label, its PyTorch term or None, a line saying what it does, or None for the runtime's)
WORDS: dict[str, tuple[str, str | None, str | None]] = {
    "task": ("Task", None, "What the model learns: the dataset's own task (auto), or to "
             "rebuild its input (reconstruction, for autoencoders)."),
    "loss": ("Loss function", "nn.CrossEntropyLoss, nn.MSELoss, nn.L1Loss, nn.HuberLoss",
             "How a wrong answer is scored while learning: cross_entropy for classes; mse, l1 "
             "or huber for numbers; auto picks for the task."),
    "label_smoothing": ("Label smoothing", "nn.CrossEntropyLoss(label_smoothing=…)",
                        "Aim a little below full certainty (0.1 aims at 90 %), which can help "
                        "the model generalise; 0 = off."),
    "target_scaling": ("Scale the target", None, None),
    "huber_delta": ("Huber threshold", "nn.HuberLoss(delta=…)",
                    "Huber loss: misses larger than this count in proportion, smaller ones "
                    "squared."),
    "optimizer": ("Optimiser", "torch.optim.SGD, Adam, AdamW, RMSprop",
                  "The rule that changes the weights from the gradients at each step; adam is "
                  "a good first choice."),
    "lr": ("Learning rate", "lr",
           "How big a step each update takes: too high and the loss jumps about, too low and "
           "it learns slowly (the peak rate when a schedule warms up or cycles)."),
    "momentum": ("Momentum", "momentum",
                 "How much of the previous steps' direction each step keeps (SGD and RMSprop)."),
    "nesterov": ("Nesterov momentum", "torch.optim.SGD(nesterov=True)",
                 "Look ahead along the momentum before taking the gradient (SGD only)."),
    "betas": ("Adam's averaging rates", "betas",
              "How slowly Adam's running averages of the gradient and of its square forget "
              "(Adam and AdamW)."),
    "weight_decay": ("Weight decay", "weight_decay",
                     "Pulls every weight a little towards zero at each step, which keeps the "
                     "model from fitting the training data too closely; 0 = off."),
    "schedule": ("Learning-rate schedule", "torch.optim.lr_scheduler",
                 "How the learning rate changes over training: constant, cut in steps, a "
                 "cosine curve, one cycle up and down, or cut when progress stalls (plateau)."),
    "warmup_epochs": ("Warm-up epochs", "lr_scheduler.LinearLR",
                      "Start at a small rate and rise to the learning rate over this many "
                      "epochs."),
    "warmup_steps": ("Warm-up steps", "lr_scheduler.LinearLR",
                     "The same warm-up counted in steps (added to the warm-up epochs)."),
    "step_size": ("Epochs between rate cuts", "lr_scheduler.StepLR(step_size=…)",
                  "Step schedule: how many epochs pass between two cuts of the rate."),
    "gamma": ("Rate cut factor", "lr_scheduler.StepLR(gamma=…)",
              "Step schedule: each cut multiplies the rate by this (0.1 = a tenth)."),
    "min_lr": ("Final learning rate", "lr_scheduler.CosineAnnealingLR(eta_min=…)",
               "Cosine schedule: the rate at the end of training."),
    "pct_start": ("Share spent rising", "lr_scheduler.OneCycleLR(pct_start=…)",
                  "One-cycle schedule: the share of training spent rising to the learning "
                  "rate."),
    "div_factor": ("Starting divisor", "lr_scheduler.OneCycleLR(div_factor=…)",
                   "One-cycle schedule: it starts at the learning rate divided by this."),
    "final_div_factor": ("Final divisor", "lr_scheduler.OneCycleLR(final_div_factor=…)",
                         "One-cycle schedule: it ends at the starting rate divided by this."),
    "plateau_factor": ("Cut factor on a plateau", "lr_scheduler.ReduceLROnPlateau(factor=…)",
                       "Plateau schedule: the rate is multiplied by this when the watched "
                       "metric stops improving."),
    "plateau_patience": ("Epochs before a cut", "lr_scheduler.ReduceLROnPlateau(patience=…)",
                         "Plateau schedule: epochs without improvement before the rate is "
                         "cut."),
    "batch_size": ("Batch size", "DataLoader(batch_size=…)",
                   "How many samples the model sees before each update of its weights (the "
                   "global batch when distributed)."),
    "epochs": ("Epochs", None, "How many times training goes through the whole training set."),
    "grad_clip": ("Gradient clipping", "nn.utils.clip_grad_norm_(max_norm=…)",
                  "Caps the gradients' size (their global norm) so that one bad batch cannot "
                  "throw the weights far; empty = off."),
    "eval_batch_size": ("Batch size for measuring", "DataLoader(batch_size=…)",
                        "Samples per batch when measuring on the validation and test sets: "
                        "changes speed and memory, not the scores."),
    "init_weights": ("Starting weights", "load_state_dict", None),
    "early_stopping": ("Stop early", None,
                       "Stop training once the watched metric has stopped improving."),
    "monitor": ("Metric to watch", None,
                "What early stopping, the plateau schedule and the run's best epoch go by: "
                "the loss, or the task's own measure (accuracy for classes, MAE for numbers), "
                "on the validation data (held out from training: the one to watch) or on the "
                "training data."),
    "patience": ("Patience (epochs)", None,
                 "Epochs without improvement before training stops early."),
    "mode": ("Better when", None, None),
    "min_delta": ("Smallest improvement", None, None),
    "seed": ("Random seed", "torch.manual_seed",
             "Fixes the random start (weights, shuffling, dropout, augmentation), so that a "
             "rerun gives the same result."),
    "deterministic": ("Deterministic", "torch.use_deterministic_algorithms", None),
    "device": ("Device", "torch.device",
               "Where to train: auto picks a CUDA GPU, then Apple's MPS, then the CPU."),
    "amp": ("Mixed precision (CUDA)", "torch.autocast", None),
    "precision": ("Number precision", "torch.autocast(dtype=…)", None),
    "channels_last": ("Channels-last layout", "torch.channels_last", None),
    "num_threads": ("CPU threads", "torch.set_num_threads", None),
    "data_workers": ("Image loading processes", "DataLoader(num_workers=…)", None),
    "sync_batchnorm": ("Sync BatchNorm", "nn.SyncBatchNorm", None),
    "log_every": ("Report every (steps)", None, None),
    "diagnose_every": ("Check the layers every (steps)", None, None),
    "crop_padding": ("Random crop padding", "torchvision RandomCrop(padding=…)", None),
    "hflip": ("Mirror images", "torchvision RandomHorizontalFlip", None),
    "noise_std": ("Input noise", None, None),
}

# what an empty box means, where it is not "off" (a setting that may be left empty)
EMPTY_MEANS = {"num_threads": "all cores", "data_workers": "automatic",
               "init_weights": "fresh weights"}

# the "More settings" groups, named for a reader (the runtime's group keys)
GROUP_WORDS = {"task": "Task and loss", "optimizer": "Optimiser", "schedule":
               "Learning-rate schedule", "loop": "Training loop", "early_stopping":
               "Early stopping", "hardware": "Hardware and repeatability", "reporting":
               "Reports", "augmentation": "Data augmentation (images)"}


def label_of(name: str) -> str:
    """The form's label of setting ``name``; a setting not listed shows its key in words."""
    return WORDS[name][0] if name in WORDS else name.replace("_", " ")


def help_of(decl: dict) -> str:
    """The tooltip of a setting (a ``describe_fields`` entry): what it does, then its PyTorch
    term and its key."""
    name = decl["name"]
    _, term, line = WORDS.get(name, (None, None, None))
    said = line or decl.get("help") or ""
    saved = f"saved as `{name}`"
    return f"{said}\n\n" + (f"In PyTorch: `{term}` · {saved}" if term else saved.capitalize())


def problem_in_words(problem: str) -> str:
    """A config problem (``lr must be > 0, got 0.0``) naming the setting by its label and key:
    ``Learning rate (lr) must be > 0, got 0.0``."""
    name, space, rest = problem.partition(" ")
    if not (space and name in WORDS):
        return problem
    label = label_of(name)
    if label.lower() == name.replace("_", " "):  # "Epochs", not "Epochs (epochs)"
        return f"{label} {rest}"
    return f"{label} ({name}) {rest}"
