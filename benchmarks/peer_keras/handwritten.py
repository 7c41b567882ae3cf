"""The three templates written by hand as plain PyTorch modules, the way a user would write them
(torchvision-style ResNet blocks with in-place ReLUs), for the hand-written eager baseline.

``check()`` confirms each has the parameter count and output shape of the compiled template.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SeedCNN(nn.Module):  # the design note's Keras model
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc = nn.Linear(64 * 5 * 5, classes)

    def forward(self, x):  # (B, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, 32, 13, 13)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 64, 5, 5)
        return self.fc(torch.flatten(x, 1))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x if self.shortcut is None else self.shortcut(x)
        return self.relu(out)


class ResNetMini(nn.Module):
    def __init__(self, classes: int = 10, widths=(16, 32, 64), depth: int = 2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            for j in range(depth):
                blocks.append(BasicBlock(cin, w, 2 if i > 0 and j == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):  # (B, 1, 28, 28)
        x = self.blocks(self.stem(x))  # (B, 64, 7, 7)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MLPTabular(nn.Module):
    def __init__(self, features: int = 4, classes: int = 3, hidden: int = 64, depth: int = 2,
                 dropout: float = 0.1):
        super().__init__()
        layers, width = [], features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                       nn.Dropout(dropout)]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, classes)

    def forward(self, x):  # (B, features)
        return self.head(self.body(x))


MODELS = {"seed-cnn": SeedCNN, "resnet-mini": ResNetMini, "mlp-tabular": MLPTabular}


def build(template: str) -> nn.Module:
    return MODELS[template]()


def check() -> list[str]:
    """One line per template: parameter counts and output shapes, hand-written vs compiled."""
    from layerloom.graph import load_graph, summarize
    from layerloom.graph.compile import compile_graph

    from templates import template_path

    lines = []
    for name in MODELS:
        graph = load_graph(template_path(name))
        compiled, hand = compile_graph(graph), build(name)
        shape = summarize(graph).inputs[0]
        x = torch.randn(4, *shape)
        n_c = sum(p.numel() for p in compiled.parameters())
        n_h = sum(p.numel() for p in hand.parameters())
        out_c, out_h = tuple(compiled(x).shape), tuple(hand(x).shape)
        if n_c != n_h or out_c != out_h:
            raise AssertionError(f"{name}: hand-written has {n_h} params, output {out_h}; "
                                 f"the template compiles to {n_c} params, output {out_c}")
        lines.append(f"{name}: {n_h:,} parameters, output {list(out_h)} (matches the template)")
    return lines
