"""Fine-tuning an imported model: import a ResNet-style model with its weights, fit its head to
the dataset's classes, freeze everything else, train, export. Frozen weights (and batch-norm
statistics) come out bit for bit; the head's change; ``trainable_params`` follows."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file, save_file

from layerloom.cli import main
from layerloom.graph import GraphError, compile_graph, load_graph, save_graph, summarize
from layerloom.graph.import_torch.finetune import (freeze_all_but, head_node, load_fitting,
                                                   replace_head)

MODELS = textwrap.dedent("""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += x
            return self.relu(out)

    class PretrainedNet(nn.Module):
        \"\"\"A small ResNet, 'pretrained' on 5 classes.\"\"\"
        def __init__(self):
            super().__init__()
            torch.manual_seed(3)
            self.conv1 = nn.Conv2d(1, 8, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = Block(8)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(8, 5)
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)

        def forward(self, x):
            x = self.layer1(self.relu(self.bn1(self.conv1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))
""")


@pytest.fixture
def imported(tmp_path, monkeypatch, capsys):
    name = f"pretrained_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", f"{name}:PretrainedNet", "--input-shape", "1,8,8",
                 "-o", "net.json", "--weights", "net.safetensors"])
    sys.modules.pop(name, None)
    assert code == 0, capsys.readouterr().err
    return tmp_path


def test_finetune_flow_keeps_frozen_weights_bit_for_bit(imported, capsys):
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.runner import as_dataset, run_training

    graph = load_graph(imported / "net.json")
    head = replace_head(graph, 10)  # digits: 10 classes, the model was made for 5
    assert head == head_node(graph) == "fc"
    frozen = freeze_all_but(graph, [head])
    assert "conv1" in frozen and "layer1_conv1" in frozen and "fc" not in frozen
    save_graph(graph, imported / "finetune.json")
    assert load_graph(imported / "finetune.json").node("conv1").extra == {"trainable": False}
    summary = summarize(graph)
    assert summary.trainable_params == 8 * 10 + 10 < summary.params

    original = load_file(imported / "net.safetensors")
    ds, _ = as_dataset("digits")
    config = TrainConfig(epochs=1, batch_size=64, lr=0.05, seed=0,
                         init_weights=str(imported / "net.safetensors"))
    result, prepared = run_training(graph, ds, config)
    assert result.status == "completed"
    (note,) = [note for note in prepared.notes if "start fresh" in note]
    assert note.startswith("fc.bias ([10] here, [") and "fc.weight ([10, 8] here, [" in note
    assert note.endswith("(a replaced head, or a layer whose input size changed); every other "
                         "weight is loaded")
    after = {k: v.detach().cpu().contiguous() for k, v in prepared.module.state_dict().items()}
    for key, tensor in original.items():
        if key.startswith("fc."):
            continue
        assert torch.equal(after[key], tensor), key  # weights and BN statistics, bit for bit
    assert after["fc.weight"].shape == (10, 8)
    assert result.metrics["test_accuracy"] > 0.15  # the frozen features carry some signal

    # export with the fine-tuned weights
    save_file(after, str(imported / "tuned.safetensors"))
    code = main(["export", "finetune.json", "-f", "onnx", "-o", "tuned.onnx",
                 "--weights", "tuned.safetensors"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "weights of tuned.safetensors" in out.out and (imported / "tuned.onnx").exists()


def test_head_changes_while_training(imported):
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.runner import as_dataset, run_training

    graph = load_graph(imported / "net.json")
    freeze_all_but(graph, ["fc"])  # same 5 classes? digits has 10: the head is fitted first
    replace_head(graph, 10)
    ds, _ = as_dataset("digits")
    config = TrainConfig(epochs=1, batch_size=64, lr=0.05, seed=0,
                         init_weights=str(imported / "net.safetensors"))
    torch.manual_seed(config.seed)  # the head's fresh start, as training seeds it
    start = compile_graph(graph)
    assert load_fitting(start, load_file(imported / "net.safetensors")) == ["fc.bias",
                                                                             "fc.weight"]
    _, prepared = run_training(graph, ds, config)
    trained = prepared.module
    assert trained.fc.weight.requires_grad and not trained.conv1.weight.requires_grad
    moved = (trained.state_dict()["fc.weight"].cpu() - start.state_dict()["fc.weight"]).abs()
    assert moved.max() > 1e-3  # the head learned
    assert not trained.bn1.training  # a frozen batch norm stays in evaluation mode


def test_weights_for_another_design_are_refused(imported, capsys):
    save_file({"nope.weight": torch.zeros(2)}, str(imported / "other.safetensors"))
    graph = load_graph(imported / "net.json")
    with pytest.raises(GraphError, match=r"the weights do not fit this design: the file lacks "
                                         r"bn1\.bias"):
        load_fitting(compile_graph(graph), load_file(imported / "other.safetensors"))
    code = main(["export", "net.json", "-f", "onnx", "-o", "x.onnx", "--weights",
                 "other.safetensors"])
    assert code == 1 and "nope.weight" in capsys.readouterr().err
    code = main(["export", "net.json", "-f", "onnx", "-o", "x.onnx", "--weights", "missing.st"])
    assert code == 2 and "no weights file missing.st" in capsys.readouterr().err
    (imported / "bad.safetensors").write_bytes(b"not a safetensors file")
    code = main(["train", "net.json", "-d", "digits", "--weights", "bad.safetensors",
                 "--no-record", "--epochs", "1"])
    assert code == 2 and "bad.safetensors is not a readable safetensors file" in \
        capsys.readouterr().err


def test_train_cli_starts_from_the_weights(imported, capsys):
    graph = load_graph(imported / "net.json")
    replace_head(graph, 10)
    freeze_all_but(graph, ["fc"])
    save_graph(graph, imported / "ft.json")
    code = main(["train", "ft.json", "-d", "digits", "--weights", "net.safetensors",
                 "--no-record", "--epochs", "1", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err


def test_replace_head_needs_a_linear_head():
    graph = load_graph({"format": "layerloom-graph", "version": 1, "name": "conv",
                        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 4, 4]}},
                                  {"id": "c", "type": "Conv2d", "params": {"out_channels": 2,
                                                                           "kernel_size": 3}},
                                  {"id": "y", "type": "Output"}],
                        "edges": [{"source": "x", "target": "c"}, {"source": "c", "target": "y"}]})
    with pytest.raises(GraphError, match="does not end with a Linear layer"):
        replace_head(graph, 3)
