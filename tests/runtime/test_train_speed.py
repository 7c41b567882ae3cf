"""The runtime's speed measures keep doing what they were measured to do (benchmarks/peer_keras)."""

from __future__ import annotations

import platform
import resource
import statistics
from importlib import resources

import pytest
import torch

from layerloom.runtime import TrainConfig, train
from layerloom.runtime.data import Dataset
from layerloom.runtime.device import keep_freed_memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def noise_images(n: int = 64 * 32) -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return Dataset(name="noise", task="classification", input_shape=(1, 28, 28),
                   dtype="float32", classes=[str(c) for c in range(10)], target_dim=None,
                   x_train=x, y_train=y, x_val=x[:0], y_val=y[:0], x_test=x[:8], y_test=y[:8])


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_training_steps_reuse_memory_without_page_faults():
    # Without keep_freed_memory, each seed-cnn step at batch 32 faults about 2,800 fresh pages
    # in (11 MiB of activations zeroed by the kernel); with it, none once the heap has grown.
    assert keep_freed_memory()
    faults = []

    def on_event(event):
        if event.kind == "step":
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)

    graph = resources.files("layerloom.assets") / "templates" / "seed-cnn.json"
    train(str(graph), noise_images(), TrainConfig(epochs=1, batch_size=32, log_every=1,
                                                  num_threads=1), callback=on_event)
    per_step = [b - a for a, b in zip(faults[-21:], faults[-20:])]
    assert statistics.median(per_step) < 100, per_step
