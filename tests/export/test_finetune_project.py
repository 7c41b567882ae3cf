"""A fine-tuning design exported as a training project: ``export -f project --weights`` makes
the project start from the file's weights (a replaced head from fresh values), and its train.py
keeps the freeze: frozen blocks' weights and batch-norm statistics come out bit for bit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from layerloom.cli import main
from layerloom.graph import load_graph, save_graph
from layerloom.graph.import_torch.finetune import freeze_all_but, replace_head

MODEL = textwrap.dedent("""
    import torch
    from torch import nn

    class SmallNet(nn.Module):
        \"\"\"A small CNN, 'pretrained' on 5 classes.\"\"\"
        def __init__(self):
            super().__init__()
            torch.manual_seed(5)
            self.conv1 = nn.Conv2d(1, 8, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(8, 8, 3, 1, 1)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 5)
            self.bn1.running_mean.uniform_(-0.2, 0.2)
            self.bn1.running_var.uniform_(0.5, 1.5)

        def forward(self, x):
            x = self.relu(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.fc(torch.flatten(self.avgpool(x), 1))
""")

CONFIG = {"epochs": 1, "batch_size": 64, "lr": 0.05, "seed": 0, "num_threads": 1,
          "log_every": 5}


@pytest.fixture
def finetune(tmp_path, monkeypatch, capsys):
    """An imported model with its weights, its head fitted to digits' 10 classes and everything
    but the head frozen (ft.json), and a training config."""
    name = f"smallnet_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", f"{name}:SmallNet", "--input-shape", "1,8,8",
                 "-o", "net.json", "--weights", "net.safetensors"])
    sys.modules.pop(name, None)
    assert code == 0, capsys.readouterr().err
    graph = load_graph(tmp_path / "net.json")
    head = replace_head(graph, 10)
    freeze_all_but(graph, [head])
    save_graph(graph, tmp_path / "ft.json")
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    capsys.readouterr()
    return tmp_path


def _export(capsys, *extra):
    code = main(["export", "ft.json", "-f", "project", "--data", "digits", "--config",
                 "config.json", "-o", "proj", *extra])
    out = capsys.readouterr()
    return code, out


def test_finetune_project_starts_from_the_weights_file(finetune, capsys):
    code, out = _export(capsys, "--weights", "net.safetensors")
    assert code == 0, out.err
    assert ("note: training starts from the weights of net.safetensors (shipped in "
            "weights/initial.pt); fc.bias ([10] here, [5] in the file), fc.weight ([10, 8] "
            "here, [5, 8] in the file) start fresh: their size differs there (a replaced head, "
            "or a layer whose input size changed)") in out.out
    project = finetune / "proj"
    settings = json.loads((project / "config.json").read_text())
    assert settings["model"]["initial_weights"] == "weights/initial.pt"
    assert settings["train"].get("init_weights") is None
    assert str(finetune) not in (project / "config.json").read_text()  # no path of this machine
    brought = load_file(finetune / "net.safetensors")
    initial = torch.load(project / "weights" / "initial.pt", weights_only=True)
    assert set(initial) == set(brought)
    for key, tensor in brought.items():
        if key.startswith("fc."):
            continue
        assert torch.equal(initial[key], tensor), key  # the file's tensors, bit for bit
    assert initial["fc.weight"].shape == (10, 8) and brought["fc.weight"].shape == (5, 8)
    source = (project / "model.py").read_text()
    assert "self.conv1.requires_grad_(False)" in source and "def train(self" in source


def test_finetune_project_without_weights_starts_fresh(finetune, capsys):
    code, out = _export(capsys)
    assert code == 0, out.err
    assert "training starts from the weights" not in out.out
    initial = finetune / "proj" / "weights" / "initial.pt"
    if initial.exists():  # only when model.py initialises otherwise than the compiler
        brought = load_file(finetune / "net.safetensors")
        assert not torch.equal(torch.load(initial, weights_only=True)["conv1.weight"],
                               brought["conv1.weight"])


@pytest.mark.slow  # trains (a few seconds on a loaded machine)
def test_finetune_project_trains_with_the_freeze(finetune, capsys):
    code, out = _export(capsys, "--weights", "net.safetensors")
    assert code == 0, out.err
    project = finetune / "proj"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, "-I", str(project / "train.py"), "--out",
                           str(finetune / "out")], cwd=finetune, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    initial = torch.load(project / "weights" / "initial.pt", weights_only=True)
    trained = torch.load(finetune / "out" / "weights.pt", weights_only=True)
    frozen = [k for k in initial if not k.startswith("fc.")]
    assert {"conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.running_var",
            "bn1.num_batches_tracked", "conv2.weight"} <= set(frozen)
    for key in frozen:  # weights and batch-norm statistics, bit for bit
        assert torch.equal(trained[key], initial[key]), key
    assert (trained["fc.weight"] - initial["fc.weight"]).abs().max() > 1e-3  # the head learned


def test_finetune_project_weights_errors(finetune, capsys):
    code, out = _export(capsys, "--weights", "missing.safetensors")
    assert code == 2 and "no weights file missing.safetensors" in out.err
    (finetune / "bad.safetensors").write_bytes(b"not safetensors")
    code, out = _export(capsys, "--weights", "bad.safetensors")
    assert code == 2 and "bad.safetensors is not a readable safetensors file" in out.err
    from safetensors.torch import save_file

    save_file({"nope.weight": torch.zeros(2)}, str(finetune / "other.safetensors"))
    code, out = _export(capsys, "--weights", "other.safetensors")
    assert code == 1 and "the weights do not fit this design" in out.err
    assert not (finetune / "proj").exists()
    code = main(["export", "7", "-f", "project", "--weights", "net.safetensors", "--home",
                 str(finetune / "home")])
    assert code == 1 and "--weights goes with a GRAPH file" in capsys.readouterr().err
