"""The README of an exported training project: what is in the folder and how to run it."""

from __future__ import annotations

DATA_WORDS = {
    "arrays": "the splits themselves, model-ready (normalised, encoded), in `data/train.npz`, "
              "`data/val.npz` and `data/test.npz` (arrays `x` and `y`)",
    "table": "the table `{file}` (CSV, or an Excel workbook's sheet), read by `data.py` as LayerLoom read it: numeric columns "
             "as numbers, categorical ones one-hot over the categories seen in training, then "
             "standardised with the training split's mean and std (in `config.json`)",
    "text": "the CSV file `{file}`, tokenised by `data.py` as LayerLoom did (lowercase words) "
            "and looked up in the training vocabulary `data/vocab.json`",
    "npz": "the NumPy file `{file}` (arrays `x` and `y`), standardised with the training "
           "split's statistics recorded in `config.json`",
    "images": "the zip of class folders `{file}`, decoded, resized and standardised by "
              "`data.py` with the statistics recorded in `config.json` (`--data` also takes "
              "a folder of class folders)",
}


def readme_text(settings: dict, ds, notes: list[str]) -> str:
    name = settings["name"]
    data = settings["data"]
    train = settings["train"]
    origin = settings["exported_from"]
    run = origin.get("run_id")
    what = DATA_WORDS[data["kind"]].format(file=data.get("file", ""))
    classes = data.get("classes")
    lines = [
        f"# {name}: a training project",
        "",
        f"Exported by LayerLoom{f' from run {run}' if run is not None else ''}. It trains the "
        f"model of `model.py` on {ds.name} ({ds.task}, {len(ds.x_train)} training, "
        f"{len(ds.x_val)} validation and {len(ds.x_test)} test samples) and needs only "
        f"PyTorch, NumPy and Pillow: `pip install -r requirements.txt`.",
        "",
        "| file | what it is |",
        "| --- | --- |",
        "| `model.py` | the model, as LayerLoom's code generator writes it |",
        "| `train.py` | the training loop: optimiser, schedule with warm-up, loss, clipping, "
        "early stopping, augmentation, checkpoints and exact resume, metrics log, DDP |",
        "| `data.py` | reads the data and prepares them as LayerLoom did |",
        "| `config.json` | every setting: `train` (optimiser, schedule, epochs, seed…), `task`, "
        "`data` (normalisation, class names), `model` |",
    ]
    if settings.get("weights"):
        lines.append("| `weights.pt` | the run's trained weights (a `state_dict`) |")
    if settings.get("checkpoint"):
        lines.append("| `checkpoint.pt` | the run's last checkpoint, for `--resume` |")
    if settings["model"].get("initial_weights"):
        lines.append("| `weights/initial.pt` | the weights training starts from |")
    lines += [
        f"| `data/` | {what} |",
        "",
        "## Train",
        "",
        "```bash",
        "python train.py                     # one process: CUDA, Apple MPS or the CPU",
        "python train.py --epochs 20 --lr 3e-4 --batch-size 64 --out output2",
        "```",
        "",
        f"Settings as exported: {train['optimizer']} at lr {train['lr']:g}, schedule "
        f"{train['schedule']}, batch {train['batch_size']}, {train['epochs']} epoch(s), seed "
        f"{train['seed']}. Each epoch prints one line; `output/` receives `checkpoint.pt` "
        "(after every epoch), `metrics.csv` (one row per epoch), `metrics.json` (epochs, the "
        "logged steps and the test result) and, at the end, `weights.pt`.",
        "",
        "### On several processes or GPUs of one machine (DDP)",
        "",
        "```bash",
        "torchrun --standalone --nproc-per-node 4 train.py",
        "```",
        "",
        "`batch_size` is the global batch: each of the N processes takes every N-th sample of "
        "it, and the loss is scaled so that DDP's average of the gradients is the gradient of "
        "the whole batch, so N processes train as one process would, up to float rounding "
        "(a model with BatchNorm normalises each process's share separately, as plain DDP "
        "does). NCCL on GPUs (one per process), Gloo on CPUs. Only rank 0 prints and saves.",
        "",
        "### Across machines",
        "",
        "Run the same command on every machine, with the same rendezvous endpoint (a host "
        "all of them reach, and a free port on it):",
        "",
        "```bash",
        "# machine 0",
        "torchrun --nnodes 2 --node-rank 0 --nproc-per-node 4 \\",
        "         --rdzv-backend c10d --rdzv-endpoint HOST0:29500 --rdzv-id job1 train.py",
        "# machine 1",
        "torchrun --nnodes 2 --node-rank 1 --nproc-per-node 4 \\",
        "         --rdzv-backend c10d --rdzv-endpoint HOST0:29500 --rdzv-id job1 train.py",
        "```",
        "",
        "Every machine needs this folder (the data included) at the same relative place. "
        "Schedulers such as Slurm start `torchrun` the same way (one task per node).",
        "",
        "## Continue, fine-tune, predict",
        "",
        "```bash",
        "python train.py --resume output/checkpoint.pt               # continue exactly",
        "python train.py --resume output/checkpoint.pt --epochs 20   # and train longer",
    ]
    if settings.get("checkpoint"):
        lines.append("python train.py --resume checkpoint.pt --epochs "
                     f"{train['epochs'] + 5}  # the run's own checkpoint, 5 more epochs")
    if settings.get("weights"):
        lines.append("python train.py --weights weights.pt             # start from the "
                     "trained weights")
    if data["kind"] != "arrays":
        lines.append(f"python train.py --data other{data['file'][data['file'].rfind('.'):]}"
                     "                           # a file of the same layout")
    lines += [
        "```",
        "",
        "A checkpoint holds the model, optimiser, schedule, position (epoch, batches done) and "
        "every random generator's state, so a run stopped anywhere (Ctrl-C saves one) and "
        "resumed ends with the very same weights. With more epochs, a schedule that spans "
        "training (cosine, onecycle) stretches to the new total from there on.",
        "",
        "To use the model:",
        "",
        "```python",
        "import torch",
        f"from model import {settings['model']['class']}",
        f"model = {settings['model']['class']}()",
        ("model.load_state_dict(torch.load(\"weights.pt\", weights_only=True))  # the run's; "
         "output/weights.pt once train.py has run" if settings.get("weights") else
         "model.load_state_dict(torch.load(\"output/weights.pt\", weights_only=True))"),
        "model.eval()",
        "```",
        "",
    ]
    if classes:
        shown = ", ".join(classes[:20]) + (" …" if len(classes) > 20 else "")
        lines += [f"Its outputs are the classes in this order: {shown}.", ""]
    lines += [
        "Inputs must be prepared as `data.py` prepares the training data: its readers, with "
        "the statistics, categories and vocabulary recorded in `config.json` and `data/`.",
        "",
        "## Weights",
        "",
        "Weights and checkpoints are plain PyTorch files (`torch.save` of a `state_dict`), "
        "read with `torch.load(..., weights_only=True)`, which cannot run code. Safetensors "
        "would need one more package; `pip install safetensors` and "
        "`safetensors.torch.save_file(model.state_dict(), \"model.safetensors\")` converts them "
        "if you prefer.",
        "",
        "## Same numbers as LayerLoom",
        "",
        "With the same seed and data, the first epoch's losses on the CPU (with as many "
        "threads: `OMP_NUM_THREADS`) are those of "
        "LayerLoom's own trainer bit for bit: the same initial weights (same seed, same "
        "initialisation order), the same order of batches (a permutation seeded by (seed, "
        "epoch)), the same optimiser kernels, learning-rate schedule, loss and augmentation "
        "draws. On GPUs, kernels that are not deterministic can make the numbers drift by "
        "float rounding (set `deterministic: true` in `config.json` to avoid that); under DDP "
        "the gradients are summed in another order, so the losses agree up to float "
        "rounding, and BatchNorm sees each process's share.",
        "",
    ]
    if train.get("channels_last") in ("auto", "on") and len(settings["model"]["input_shape"]) == 3:
        lines += ["Convolutional models train in the channels-last memory layout on CPUs (as "
                  "LayerLoom does; `channels_last: \"off\"` in `config.json` turns it off).",
                  ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)
