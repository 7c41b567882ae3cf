"""Compiler figures (issue 3): training speed of a compiled graph against the same model written
by hand, and how long compiling takes.

1. Training throughput (samples/s, CPU, batch 64, Adam, cross-entropy) of the compiled seed-cnn
   against a hand-written ``nn.Module`` with the same weights. The two take turns every few
   steps (order flipping each turn), so drift in the machine's load hits both alike; the median
   of the per-turn speed ratios is reported (target >= 0.98).
2. Compile time (validate + build + fx codegen, median of several) of resnet18 (the template, or
   one built here with a composite BasicBlock) and of a 500-node chain (target < 1 s each), with
   code-generation time alongside.

    python benchmarks/compile_bench.py [--steps 300] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, validate
from layerloom.graph.templates import load_template


class HandSeedCnn(nn.Module):
    """The seed-cnn as a person writes it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(1600, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc(self.flat(x))


def template(name: str) -> dict | None:
    path = resources.files("layerloom.assets") / "templates" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# -- 1. training throughput -----------------------------------------------------------------------

class Trainer:
    """Adam steps on one model, timed in short chunks so two models can take turns."""

    def __init__(self, model: nn.Module, data: torch.Tensor, labels: torch.Tensor):
        self.model, self.data, self.labels = model.train(), data, labels
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.loss_fn = nn.CrossEntropyLoss()
        self.i = 0
        self.chunk(2)  # warm-up

    def chunk(self, steps: int) -> float:
        """Seconds for ``steps`` training steps."""
        start = time.perf_counter()
        for _ in range(steps):
            x = self.data[self.i % len(self.data)]
            y = self.labels[self.i % len(self.labels)]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss_fn(self.model(x), y).backward()
            self.optimizer.step()
            self.i += 1
        return time.perf_counter() - start


def throughput(steps: int, rounds: int, batch: int = 64, chunk: int = 10) -> None:
    graph = load_template("seed-cnn")
    compiled = compile_graph(graph)
    hand = HandSeedCnn()
    hand.load_state_dict(compiled.state_dict(), strict=True)
    gen = torch.Generator().manual_seed(0)
    data = torch.randn(16, batch, 1, 28, 28, generator=gen)
    labels = torch.randint(0, 10, (16, batch), generator=gen)
    print(f"training throughput: seed-cnn, batch {batch}, Adam, {torch.get_num_threads()} "
          f"thread(s); {rounds} rounds of {steps} steps per model, the two models taking turns "
          f"every {chunk} steps (the order flips each turn)")
    all_ratios = []
    for r in range(rounds):
        trainers = {"compiled": Trainer(compiled, data, labels), "hand": Trainer(hand, data, labels)}
        times: dict[str, list[float]] = {"compiled": [], "hand": []}
        for c in range(steps // chunk):
            order = ["compiled", "hand"] if c % 2 == 0 else ["hand", "compiled"]
            for name in order:
                times[name].append(trainers[name].chunk(chunk))
        # each chunk of the compiled model against the hand-written chunk next to it in time
        ratios = [h / c for c, h in zip(times["compiled"], times["hand"])]
        all_ratios += ratios
        rate = {name: chunk * len(t) * batch / sum(t) for name, t in times.items()}
        print(f"  round {r + 1}: compiled {rate['compiled']:7,.0f} samples/s   "
              f"hand {rate['hand']:7,.0f} samples/s   median ratio {statistics.median(ratios):.3f}")
    print(f"  median ratio compiled/hand over all {len(all_ratios)} turns: "
          f"{statistics.median(all_ratios):.3f} (target >= 0.98)")


# -- 2. compile time ------------------------------------------------------------------------------

def resnet18() -> dict:
    """ResNet-18 (3×224×224, 1000 classes) with a composite BasicBlock and its projection."""
    def conv(node_id, out, k, stride="=stride", pad=1):
        return {"id": node_id, "type": "Conv2d", "params": {
            "out_channels": out, "kernel_size": k, "stride": stride, "padding": pad,
            "bias": False}}

    basic = {"params": {"channels": 64, "stride": 1}, "nodes": [
        {"id": "x", "type": "Input"},
        conv("conv1", "=channels", 3), {"id": "bn1", "type": "BatchNorm2d"},
        {"id": "relu1", "type": "ReLU"},
        conv("conv2", "=channels", 3, 1), {"id": "bn2", "type": "BatchNorm2d"},
        conv("down", "=channels", 1, pad=0) | {
            "repeat": "=1 if stride != 1 or in_shape[0] != channels else 0"},
        {"id": "down_bn", "type": "BatchNorm2d",
         "repeat": "=1 if stride != 1 or in_shape[0] != channels else 0"},
        {"id": "add", "type": "Add"}, {"id": "relu2", "type": "ReLU"},
        {"id": "out", "type": "Output"}],
        "edges": [{"source": a, "target": b} for a, b in [
            ("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"),
            ("conv2", "bn2"), ("x", "down"), ("down", "down_bn"), ("bn2", "add"),
            ("down_bn", "add"), ("add", "relu2"), ("relu2", "out")]]}
    nodes = [{"id": "image", "type": "Input", "params": {"shape": [3, 224, 224]}},
             conv("conv1", 64, 7, 2, 3), {"id": "bn1", "type": "BatchNorm2d"},
             {"id": "relu", "type": "ReLU"},
             {"id": "maxpool", "type": "MaxPool2d", "params": {"kernel_size": 3, "stride": 2,
                                                              "padding": 1}}]
    for i, channels in enumerate((64, 128, 256, 512), start=1):
        stride = 1 if i == 1 else 2
        nodes += [{"id": f"layer{i}_0", "type": "BasicBlock",
                   "params": {"channels": channels, "stride": stride}},
                  {"id": f"layer{i}_1", "type": "BasicBlock", "params": {"channels": channels}}]
    nodes += [{"id": "avgpool", "type": "AdaptiveAvgPool2d"}, {"id": "flat", "type": "Flatten"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 1000}},
              {"id": "logits", "type": "Output"}]
    ids = [n["id"] for n in nodes]
    return {"format": "layerloom-graph", "version": 1, "name": "resnet18",
            "blocks": {"BasicBlock": basic}, "nodes": nodes,
            "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:])]}


def chain(n_nodes: int) -> dict:
    """Input → (Linear, ReLU)… → Output: ``n_nodes`` nodes in all."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [32]}}]
    for i in range(n_nodes - 2):
        nodes.append({"id": f"fc{i}", "type": "Linear", "params": {"out_features": 32}}
                     if i % 2 == 0 else {"id": f"act{i}", "type": "ReLU"})
    nodes.append({"id": "y", "type": "Output"})
    ids = [n["id"] for n in nodes]
    return {"format": "layerloom-graph", "version": 1, "name": f"chain{n_nodes}",
            "nodes": nodes, "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:])]}


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generated_class(graph: dict, directory: str) -> type:
    """The model class of the generated code: constructing it is what a hand-written model
    costs (mostly initialising weights), the floor under compile time."""
    path = Path(directory) / f"gen_{graph['name']}.py"
    path.write_text(generate_code(graph, class_name="Generated"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Generated


def compile_times(repeats: int = 5) -> None:
    cases = [("resnet18 (template)" if template("resnet18") else "resnet18 (built here)",
              template("resnet18") or resnet18()), ("500-node chain", chain(500))]
    print(f"compile time (median of {repeats}, {torch.get_num_threads()} thread(s); target < 1 s)"
          f": validate + build + fx code; 'plain' constructs the same model written as code")
    with tempfile.TemporaryDirectory() as directory:
        for name, graph in cases:
            model = compile_graph(graph)  # warm-up, and the figures below
            n_params = sum(p.numel() for p in model.parameters())
            plain = generated_class(graph, directory)
            t_plain = median_time(plain, repeats)
            t_validate = median_time(lambda g=graph: validate(g), repeats)
            t_compile = median_time(lambda g=graph: compile_graph(g), repeats)
            t_codegen = median_time(lambda g=graph: generate_code(g), repeats)
            print(f"  {name:22} {len(graph['nodes']):4} nodes {n_params:>11,} params   "
                  f"compile {t_compile * 1000:5.0f} ms (validate {t_validate * 1000:3.0f} ms, "
                  f"plain {t_plain * 1000:4.0f} ms)   codegen {t_codegen * 1000:5.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="Adam steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (fresh optimizers)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: steadier figures on a shared machine)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    compile_times()
    print()
    throughput(args.steps, args.rounds)


if __name__ == "__main__":
    main()
