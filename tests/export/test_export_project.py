"""Exported training projects run without LayerLoom and train as LayerLoom's own trainer does.

Each project is run by a Python that cannot import LayerLoom (a bare virtual environment that
sees the same site-packages but not LayerLoom's editable install), with ``python -I``, from a
folder outside the repository; its per-step losses must equal LayerLoom's bit for bit (same
seed, same data, one process on the CPU), and the same project must also train under
``torchrun`` with 2 processes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from layerloom.graph.templates import load_template
from layerloom.runtime.data import load_dataset
from layerloom.runtime.export_project import ProjectError, export_project, project_zip
from layerloom.runtime.runner import train

TIMEOUT = 240


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A Python with torch, NumPy and Pillow but no LayerLoom: a virtual environment whose
    only addition is this environment's site-packages folder as a plain path (so the .pth file
    of LayerLoom's editable install is not processed)."""
    env = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   timeout=120)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def run_project(python: Path, project: Path, cwd: Path, *args: str,
                nproc: int = 1) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run the project's train.py with ``python -I`` (under torchrun for ``nproc`` > 1) from
    ``cwd``; the process and its metrics.json."""
    out = cwd / f"out{nproc}"
    if nproc == 1:
        command = [str(python), "-I", str(project / "train.py")]
    else:
        command = [str(python), "-I", "-m", "torch.distributed.run", "--standalone",
                   "--nproc-per-node", str(nproc), str(project / "train.py")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # one process: as many threads as LayerLoom's trainer had here (reductions such as
    # BatchNorm's are split by thread, so the thread count is part of "the same order")
    env["OMP_NUM_THREADS"] = str(torch.get_num_threads() if nproc == 1 else 1)
    done = subprocess.run(command + ["--out", str(out), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    metrics = out / "metrics.json"
    return done, json.loads(metrics.read_text()) if metrics.exists() else None


def subset(ds, n_train: int, n_val: int, n_test: int):
    """The first samples of each split of ``ds``: a smaller Dataset, quick to train."""
    cut = {}
    for name, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        x, y = ds.split(name)
        cut[f"x_{name}"], cut[f"y_{name}"] = x[:n].clone(), y[:n].clone()
    return dataclasses.replace(ds, **cut)


def layerloom_run(graph, ds, config: dict, variables=None):
    """LayerLoom's trainer on ``ds``: its step losses, epoch rows and test metrics."""
    steps = []

    def sink(event):
        if event.kind == "step":
            steps.append(event.metrics["loss"])

    result = train(graph, ds, config, callback=sink, variables=variables)
    return steps, result


def load_module(path: Path):
    """A project's module (data.py: NumPy and Pillow only), imported from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"project_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_csv(path: Path, n: int = 150) -> Path:
    """A small CSV: two numeric columns (one with a gap), a categorical one and a class."""
    rng = np.random.default_rng(3)
    lines = ["width,height,colour,kind"]
    for i in range(n):
        w, h = rng.normal(size=2)
        colour = ["red", "green", "blue"][i % 3]
        kind = "tall" if h + 0.3 * (colour == "red") > w else "wide"
        lines.append(f"{w:.3f},{'' if i == 7 else f'{h:.3f}'},{colour},{kind}")
    path.write_text("\n".join(lines) + "\n")
    return path


# One thread on both sides: bit-for-bit equality needs the same split of every reduction, and
# a process that ran other tests before (pytest -n) may have another thread count than a fresh one
CONFIG = {"epochs": 1, "batch_size": 16, "log_every": 2, "seed": 3, "num_threads": 1}


def check_project(bare_python, tmp_path, project, steps, result, *, bitwise=True):
    """Run the project alone, compare with LayerLoom, then run it under torchrun."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = subprocess.run([str(bare_python), "-I", "-c", "import layerloom"], cwd=work,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "No module named 'layerloom'" in probe.stderr

    done, metrics = run_project(bare_python, project, work)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "epoch 1/1" in done.stdout and "test_accuracy" in done.stdout
    got = [row["loss"] for row in metrics["steps"]]
    assert len(got) == len(steps) > 0
    if bitwise:
        assert got == steps  # bit for bit
    else:
        np.testing.assert_allclose(got, steps, rtol=1e-5)
    row, want = metrics["epochs"][0], result.history[0]
    assert row["train_loss"] == want["train_loss"]
    assert row["val_loss"] == want["val_loss"]
    assert metrics["test"]["test_accuracy"] == result.metrics["test_accuracy"]
    assert metrics["test"]["test_loss"] == pytest.approx(result.metrics["test_loss"], rel=1e-6)
    assert (work / "out1" / "checkpoint.pt").exists() and (work / "out1" / "weights.pt").exists()
    assert (work / "out1" / "metrics.csv").read_text().startswith("epoch,train_loss")

    done, metrics2 = run_project(bare_python, project, work, nproc=2)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 1/1") == 1  # rank 0 alone reports
    two = metrics2["epochs"][0]
    assert np.isfinite(two["train_loss"]) and 0 < two["train_loss"] < 2 * np.log(10)
    return metrics, metrics2


@pytest.mark.heavy  # the project run twice, once under torchrun: make test-all
def test_seed_cnn_project_matches_layerloom_and_runs_under_torchrun(bare_python, tmp_path,
                                                                    monkeypatch):
    graph = load_template("seed-cnn")
    ds = subset(load_dataset("mnist-5k", seed=0), 96, 32, 32)
    # LayerLoom trains seed-cnn's first stage with its own C loop (runtime/fused_stage.py), whose
    # sums are added in another order than PyTorch's convolution: the same numbers up to float
    # rounding. The project runs PyTorch's modules, so it equals LayerLoom bit for bit where
    # LayerLoom runs them too, and within the documented tolerance with the loop.
    fused_steps, fused_result = layerloom_run(graph, ds, CONFIG)
    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    steps, result = layerloom_run(graph, ds, CONFIG)
    np.testing.assert_allclose(fused_steps, steps, rtol=1e-5)
    assert fused_result.history[0]["train_loss"] == pytest.approx(
        result.history[0]["train_loss"], rel=1e-5)
    project = export_project(graph, ds, tmp_path / "seed-cnn-project", CONFIG).path
    assert (project / "data" / "train.npz").exists()  # an in-memory subset travels as arrays
    text = (project / "train.py").read_text() + (project / "data.py").read_text() + \
        (project / "model.py").read_text()
    assert "layerloom" not in text.replace("LayerLoom", "").lower().replace(
        "layerloom-checkpoint", "")
    one, two = check_project(bare_python, tmp_path, project, steps, result)
    # no BatchNorm: two processes train as one does, up to the order of float sums
    np.testing.assert_allclose(two["epochs"][0]["train_loss"], one["epochs"][0]["train_loss"],
                               rtol=1e-4)


def test_mlp_on_a_csv_reads_the_file_and_matches_layerloom(bare_python, tmp_path):
    csv_path = table_csv(tmp_path / "shapes.csv")
    ds = load_dataset(csv_path, seed=1)
    assert ds.input_shape == (5,)  # 2 numbers + 3 one-hot colours
    graph = load_template("mlp-tabular")
    variables = {"features": 5, "classes": 2, "hidden": 16}
    graph.variables.update(variables)
    spec = {"source": str(csv_path), "seed": 1}
    steps, result = layerloom_run(graph, spec, CONFIG)
    project = export_project(graph, spec, tmp_path / "mlp-project", CONFIG).path
    config = json.loads((project / "config.json").read_text())
    assert config["data"]["kind"] == "table" and config["data"]["file"] == "data/shapes.csv"
    assert config["data"]["classes"] == ["tall", "wide"]
    assert [c["name"] for c in config["data"]["columns"]] == ["width", "height", "colour"]
    assert (project / "data" / "split.npz").exists()
    check_project(bare_python, tmp_path, project, steps, result)
    # another file that is not there: said in one line, no traceback
    done, _ = run_project(bare_python, project, tmp_path, "--data", "nowhere.csv")
    assert done.returncode != 0
    assert done.stderr.strip() == "--data: no such file nowhere.csv", done.stderr


@pytest.mark.heavy  # a transformer trained in LayerLoom and in the project: make test-all
def test_text_template_matches_layerloom_with_dropout(bare_python, tmp_path):
    graph = load_template("transformer-text")
    graph.variables.update(d_model=16, heads=2, layers=1, vocab=300)
    ds = load_dataset("text-sentiment", seed=0, n_samples=160)
    steps, result = layerloom_run(graph, ds, CONFIG)
    project = export_project(graph, ds, tmp_path / "text-project", CONFIG).path
    assert json.loads((project / "data" / "vocab.json").read_text())[:2] == ["<pad>", "<unk>"]
    check_project(bare_python, tmp_path, project, steps, result)


@pytest.mark.heavy  # three project runs: make test-all
def test_resume_from_the_runs_checkpoint_continues_exactly(bare_python, tmp_path, monkeypatch):
    """A two-epoch run stopped after its first epoch, exported with its checkpoint and resumed
    by the project, ends with the weights of LayerLoom's uninterrupted two-epoch run.

    Bit for bit where LayerLoom computes as the project does: its first-stage C loop
    (runtime/fused_stage.py) adds its sums in another order, and a run with a callback watches
    its layers on some steps through the modules, so with the loop the stopped run (a callback)
    and the whole one (none) already differ in the last bits."""
    from layerloom.runtime.checkpoint import load_checkpoint

    monkeypatch.setenv("LAYERLOOM_NATIVE", "0")
    graph = load_template("seed-cnn")
    graph.variables.update(width=0.25)
    ds = subset(load_dataset("mnist-5k", seed=0), 64, 16, 16)
    config = {**CONFIG, "epochs": 2, "hflip": True, "crop_padding": 1, "schedule": "cosine",
              "warmup_steps": 2}
    stopped = train(graph, ds, config, checkpoint=tmp_path / "one.pt",
                    callback=lambda event: "stop" if event.kind == "epoch" else None)
    assert stopped.status == "stopped" and len(stopped.history) == 1
    whole = train(graph, ds, config)
    state = load_checkpoint(tmp_path / "one.pt")
    project = export_project(graph, ds, tmp_path / "resume-project", config,
                             state_dict=state["model"], checkpoint=state).path
    work = tmp_path / "elsewhere"
    work.mkdir()
    done, metrics = run_project(bare_python, project, work, "--resume",
                                str(project / "checkpoint.pt"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert [row["epoch"] for row in metrics["epochs"]] == [1, 2]
    assert metrics["epochs"][0]["train_loss"] == whole.history[0]["train_loss"]
    assert metrics["epochs"][1]["train_loss"] == whole.history[1]["train_loss"]
    weights = torch.load(work / "out1" / "weights.pt", weights_only=True)
    for key, value in whole.model.state_dict().items():
        assert torch.equal(weights[key], value), key


def test_text_csv_images_and_npz_are_read_by_data_py(tmp_path):
    """Each file kind is read by the project's own data.py into LayerLoom's very tensors (the
    export checks it, and falls back to arrays otherwise)."""
    from PIL import Image

    rows = ["review,label"] + [f"\"{'great fun film' if i % 2 else 'dull slow plot'} number "
                               f"{i} again\",{'pos' if i % 2 else 'neg'}" for i in range(40)]
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n")
    graph = load_template("lstm-text")
    graph.variables.update(length=8, vocab=60, embed_dim=8, hidden=8)
    result = export_project(graph, {"source": str(tmp_path / "reviews.csv"),
                                    "options": {"length": 8}}, tmp_path / "text", CONFIG)
    assert result.data == "text" and result.notes == []

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(24):
            image = Image.fromarray(rng.integers(0, 255, (10, 12), dtype=np.uint8))
            png = io.BytesIO()
            image.save(png, "PNG")
            archive.writestr(f"shapes/{'ab'[i % 2]}/{i}.png", png.getvalue())
    (tmp_path / "shapes.zip").write_bytes(buffer.getvalue())
    graph = load_template("seed-cnn")
    graph.node("image").params["shape"] = [1, 8, 8]
    graph.node("conv1").params["kernel_size"] = 1
    graph.node("conv2").params["kernel_size"] = 1
    graph.variables.update(width=0.1, classes=2)
    result = export_project(graph, {"source": str(tmp_path / "shapes.zip"),
                                    "options": {"image_size": [8, 8]}}, tmp_path / "img",
                            CONFIG)
    assert result.data == "images" and result.notes == []
    # the same images as a folder of class folders (train.py --data FOLDER) read alike
    data = load_module(result.path / "data.py")
    config = json.loads((result.path / "config.json").read_text())
    zipfile.ZipFile(tmp_path / "shapes.zip").extractall(tmp_path / "unzipped")
    from_zip = data.read_all(config["data"], result.path)
    config["data"]["file"] = str(tmp_path / "unzipped")
    from_folder = data.read_all(config["data"], result.path)
    assert np.array_equal(from_zip[0], from_folder[0]) and from_zip[0].shape == (24, 1, 8, 8)
    assert np.array_equal(from_zip[1], from_folder[1])

    np.savez(tmp_path / "points.npz", x=rng.normal(size=(60, 4)), y=np.arange(60) % 3)
    graph = load_template("mlp-tabular")
    graph.variables.update(hidden=8)
    result = export_project(graph, str(tmp_path / "points.npz"), tmp_path / "npz", CONFIG)
    assert result.data == "npz" and result.notes == []
    # another file of the same layout (train.py --data) is split by a seeded shuffle
    data = load_module(result.path / "data.py")
    config = json.loads((result.path / "config.json").read_text())
    np.savez(tmp_path / "more.npz", x=rng.normal(size=(50, 4)), y=np.arange(50) % 3)
    config["data"].update(file=str(tmp_path / "more.npz"), split_file=None)
    splits = data.load_splits(config, result.path)
    assert [len(splits[k][0]) for k in ("train", "val", "test")] == [35, 5, 10]
    assert splits["train"][0].dtype == np.float32 and splits["train"][1].dtype == np.int64
    assert "python train.py --data other.npz" in (result.path / "README.md").read_text()
    zipped = zipfile.ZipFile(io.BytesIO(project_zip(result.path)))
    assert {"npz/train.py", "npz/data.py", "npz/model.py", "npz/config.json",
            "npz/README.md", "npz/requirements.txt", "npz/data/points.npz",
            "npz/data/split.npz"} <= set(zipped.namelist())


def test_refuses_a_folder_with_files_and_says_which(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(ProjectError, match="busy already exists and is not an empty folder"):
        export_project(load_template("mlp-tabular"), "iris", tmp_path / "busy", CONFIG)
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]  # no temporary folder left


def test_cli_exports_a_template_as_a_project(tmp_path, capsys, monkeypatch):
    from layerloom.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "--format", "project"]) == 0
    out = capsys.readouterr().out
    assert "wrote mlp-tabular-project" in out and "data as arrays" in out
    project = tmp_path / "mlp-tabular-project"
    umask = os.umask(0)
    os.umask(umask)
    assert project.stat().st_mode & 0o777 == 0o777 & ~umask  # not private, as mkdtemp makes
    assert (project / "train.py").stat().st_mode & 0o777 == 0o666 & ~umask
    config = json.loads((project / "config.json").read_text())
    assert config["data"]["classes"] == ["setosa", "versicolor", "virginica"]
    readme = (project / "README.md").read_text()
    assert "torchrun --standalone --nproc-per-node 4 train.py" in readme
    assert "--rdzv-endpoint" in readme and "--node-rank" in readme
    requirements = (project / "requirements.txt").read_text()
    assert "torch>=" in requirements and "numpy>=" in requirements and "pillow>=" in requirements
    assert main(["export", "mlp-tabular", "--format", "project"]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert main(["export", "seed-cnn", "--format", "project", "--data", "iris"]) == 1
    err = capsys.readouterr().err
    assert "error: The design's Input is [1, 28, 28] float32 but iris gives [4]" in err
    assert "Traceback" not in err and not (tmp_path / "seed-cnn-project").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp-tabular-project"]


def test_cli_exports_a_run_with_its_weights_and_checkpoint(tmp_path, capsys):
    from layerloom.cli import main
    from layerloom.runtime import RunStore

    store = RunStore(tmp_path / "home" / "runs.db")
    graph = load_template("mlp-tabular")
    graph.variables.update(hidden=8)
    result = train(graph, "iris", {**CONFIG, "epochs": 2}, store=store)
    assert main(["export", str(result.run_id), "--format", "project", "--home",
                 str(tmp_path / "home"), "-o", str(tmp_path / "run-project")]) == 0
    project = tmp_path / "run-project"
    config = json.loads((project / "config.json").read_text())
    assert config["weights"] == "weights.pt" and config["checkpoint"] == "checkpoint.pt"
    assert config["exported_from"]["run_id"] == result.run_id
    assert config["exported_from"]["test_metrics"]["test_accuracy"] == \
        result.metrics["test_accuracy"]
    weights = torch.load(project / "weights.pt", weights_only=True)
    for key, value in result.model.state_dict().items():
        assert torch.equal(weights[key], value), key
    state = torch.load(project / "checkpoint.pt", weights_only=True)
    assert state["loop"]["epoch"] == 2 and len(state["loop"]["history"]) == 2
    assert "python train.py --resume checkpoint.pt --epochs 7" in (project / "README.md").read_text()
    assert main(["export", "999", "--format", "project", "--home", str(tmp_path / "home"),
                 "-o", str(tmp_path / "none")]) == 1
    assert "999" in capsys.readouterr().err and not (tmp_path / "none").exists()


def test_a_trailing_softmax_is_left_out_for_training_and_initial_weights_travel(tmp_path,
                                                                               monkeypatch):
    """As LayerLoom trains logits with cross-entropy, train.py swaps the Softmax that only
    feeds the Output for an identity (the export checks the swapped model against LayerLoom's);
    a model.py that initialises otherwise than LayerLoom's compiler gets the initial weights."""
    import layerloom.runtime.export_project as exporter

    doc = {"format": "layerloom-graph", "version": 1, "name": "soft", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
        {"id": "soft-max", "type": "Softmax"}, {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "soft-max"},
                  {"source": "soft-max", "target": "y"}]}
    monkeypatch.setattr(exporter, "_same_state", lambda a, b: False)
    result = export_project(doc, "iris", tmp_path / "soft", CONFIG)
    config = json.loads((result.path / "config.json").read_text())
    assert config["model"]["train_without"] == ["soft_max"]
    assert config["task"]["head"] == "logits" and config["task"]["loss"] == "cross_entropy"
    assert "self.soft_max = nn.Softmax" in (result.path / "model.py").read_text()
    assert config["model"]["initial_weights"] == "weights/initial.pt"
    initial = torch.load(result.path / "weights/initial.pt", weights_only=True)
    assert set(initial) == {"fc.weight", "fc.bias"}
    assert any("initial weights" in note for note in result.notes)
