"""Fixtures for the runtime tests: small graphs, tiny datasets, a database in a temp folder.

Every test runs with ``LAYERLOOM_HOME`` in its own temp folder (nothing touches ~/.layerloom)
and gets torch's thread count back as it was (configs here ask for one thread: the test
machine is small and shared).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

FAST = {"num_threads": 1, "log_every": 5}


def mlp_graph(classes: int = 2, features: int = 2, hidden: int = 16, head: str | None = None,
              dropout: float = 0.0, out: int | None = None) -> dict:
    """Input [features] → Linear → ReLU (→ Dropout) → Linear(out or classes) (→ head) → Output."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [features]}},
             {"id": "fc1", "type": "Linear", "params": {"out_features": hidden}},
             {"id": "act", "type": "ReLU"}]
    if dropout:
        nodes.append({"id": "drop", "type": "Dropout", "params": {"p": dropout}})
    nodes.append({"id": "fc2", "type": "Linear", "params": {"out_features": out or classes}})
    if head:
        nodes.append({"id": "head", "type": head})
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return {"format": "layerloom-graph", "version": 1, "name": "mlp", "variables": {},
            "nodes": nodes, "edges": edges}


def noise_images(n: int = 256):
    """``n`` random [1, 28, 28] images of 10 classes (seed-cnn's input), every split from them."""
    from layerloom.runtime.data import Dataset

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return Dataset(name="noise", task="classification", input_shape=(1, 28, 28),
                   dtype="float32", classes=[str(c) for c in range(10)], target_dim=None,
                   x_train=x, y_train=y, x_val=x[:0], y_val=y[:0], x_test=x[:8], y_test=y[:8])


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def mlp():
    return lambda **kw: copy.deepcopy(mlp_graph(**kw))


@pytest.fixture(scope="session")
def moons():
    from layerloom.runtime import load_dataset

    return load_dataset("moons", n_samples=400, noise=0.1)


@pytest.fixture(scope="session")
def regression_file(tmp_path_factory):
    """An .npz regression set: y = x·w + noise, 300 samples of 3 features."""
    path = tmp_path_factory.mktemp("data") / "linear.npz"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=300)).astype(np.float32)
    np.savez(path, x=x, y=y)
    return path


@pytest.fixture
def store(tmp_path):
    from layerloom.runtime import RunStore

    return RunStore(tmp_path / "home" / "runs.db")
