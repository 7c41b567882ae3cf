"""``layerloom train --replace-head``: the design's head is fitted to the dataset's classes
before training; with ``--weights`` every other weight is kept (frozen ones bit for bit) and
the head starts fresh; the recorded run holds the fitted design."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from layerloom.cli import main
from layerloom.graph import load_graph, save_graph
from layerloom.graph.import_torch.finetune import freeze_all_but

MODEL = textwrap.dedent("""
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(7)
            self.conv1 = nn.Conv2d(1, 4, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(4)
            self.relu = nn.ReLU()
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(4, 5)

        def forward(self, x):
            x = self.avgpool(self.relu(self.bn1(self.conv1(x))))
            return self.fc(torch.flatten(x, 1))
""")


@pytest.fixture
def frozen(tmp_path, monkeypatch, capsys):
    """TinyNet imported with its weights (5 classes), everything but the head frozen."""
    name = f"tinynet_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", f"{name}:TinyNet", "--input-shape", "1,8,8",
                 "-o", "net.json", "--weights", "net.safetensors"])
    sys.modules.pop(name, None)
    assert code == 0, capsys.readouterr().err
    graph = load_graph(tmp_path / "net.json")
    freeze_all_but(graph, ["fc"])
    save_graph(graph, tmp_path / "frozen.json")
    capsys.readouterr()
    return tmp_path


@pytest.mark.slow  # a recorded run: several seconds on a loaded machine
def test_finetune_cli_replace_head_trains_from_the_weights(frozen, capsys):
    from layerloom.runtime.checkpoint import load_checkpoint
    from layerloom.runtime.store import RunStore

    code = main(["train", "frozen.json", "-d", "digits", "--weights", "net.safetensors",
                 "--replace-head", "--epochs", "1", "--seed", "0", "--home", str(frozen / "home"),
                 "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert ("note: head: Linear 5 → 10 classes (fc); every other weight of net.safetensors is "
            "kept, fc starts fresh") in out.err
    result = json.loads(out.out)
    run = RunStore(frozen / "home" / "runs.db").get(result["run_id"])
    assert load_graph(run.graph).node("fc").params["out_features"] == 10  # recorded fitted
    assert load_graph(frozen / "frozen.json").node("fc").params["out_features"] == 5  # file kept
    trained = {k.removeprefix("module."): v for k, v in
               load_checkpoint(run.checkpoint)["model"].items()}
    brought = load_file(frozen / "net.safetensors")
    for key, tensor in brought.items():
        if not key.startswith("fc."):
            assert torch.equal(trained[key].cpu(), tensor), key  # frozen: bit for bit
    assert trained["fc.weight"].shape == (10, 4)


def test_finetune_cli_without_replace_head_the_class_count_is_refused(frozen, capsys):
    code = main(["train", "frozen.json", "-d", "digits", "--weights", "net.safetensors",
                 "--no-record", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "10" in err and "class" in err


def test_finetune_cli_replace_head_when_it_already_fits(frozen, capsys):
    graph = load_graph(frozen / "frozen.json")
    graph.node("fc").params["out_features"] = 10
    save_graph(graph, frozen / "ten.json")
    code = main(["train", "ten.json", "-d", "digits", "--replace-head", "--no-record",
                 "--epochs", "1", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "the head fc already gives 10 outputs, one per class of digits; left as it is" \
        in out.err


def test_finetune_cli_replace_head_needs_a_linear_head_and_classes(frozen, capsys):
    design = {"format": "layerloom-graph", "version": 1, "name": "conv",
              "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                        {"id": "c", "type": "Conv2d", "params": {"out_channels": 2,
                                                                 "kernel_size": 3}},
                        {"id": "f", "type": "Flatten"},
                        {"id": "y", "type": "Output"}],
              "edges": [{"source": "x", "target": "c"}, {"source": "c", "target": "f"},
                        {"source": "f", "target": "y"}]}
    (frozen / "conv.json").write_text(json.dumps(design))
    code = main(["train", "conv.json", "-d", "digits", "--replace-head", "--no-record"])
    assert code == 1 and "does not end with a Linear layer" in capsys.readouterr().err
    design["nodes"][0]["params"]["shape"] = [2]
    design["nodes"][1:3] = [{"id": "c", "type": "Linear", "params": {"out_features": 1}},
                            {"id": "f", "type": "Identity"}]
    (frozen / "reg.json").write_text(json.dumps(design))
    (frozen / "reg.csv").write_text("a,b,target\n" + "".join(
        f"{i},{i % 3},{i * 0.5}\n" for i in range(40)))
    code = main(["train", "reg.json", "-d", "reg.csv", "--replace-head", "--no-record",
                 "--data-option", "target=target"])
    err = capsys.readouterr().err
    assert code == 1 and "has no classes (not a classification)" in err, err
