"""Training from an image folder keeps memory bounded by batch size × workers, not the dataset:
one epoch of a generated folder of PNGs runs in a subprocess whose address space
(RLIMIT_AS) is capped below what the decoded training split would take on top of the process's
own footprint; the same process then fails to decode the split whole (the cap bites)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

resource = pytest.importorskip("resource")

N_PER_CLASS = 520  # 1,040 images of 3×128×128: about 184 MiB of training split as float32
SIZE = 128
HEADROOM = 150 * 2**20  # the cap: the process's size after start-up plus this

CHILD = textwrap.dedent("""
    import json, resource, sys
    import torch
    from layerloom.runtime import train
    from layerloom.runtime.data import load_dataset

    def vm_bytes():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    folder, headroom = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(1)
    ds = load_dataset(folder, seed=0, val_fraction=0.05, test_fraction=0.05, stats_sample=64)
    graph = {"format": "layerloom-graph", "version": 1, "name": "tiny", "variables": {},
             "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3, 128, 128]}},
                       {"id": "conv", "type": "Conv2d",
                        "params": {"out_channels": 4, "kernel_size": 4, "stride": 4}},
                       {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
                       {"id": "flat", "type": "Flatten"},
                       {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                       {"id": "y", "type": "Output"}]}
    graph["edges"] = [{"source": a["id"], "target": b["id"]}
                      for a, b in zip(graph["nodes"], graph["nodes"][1:])]
    base = vm_bytes()
    cap = base + headroom
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    decoded = len(ds.x_train) * 3 * 128 * 128 * 4
    result = train(graph, ds, {"epochs": 1, "batch_size": 16, "num_threads": 1,
                               "data_workers": 1, "eval_batch_size": 16, "diagnose_every": 0,
                               "lr": 0.01})
    try:
        whole = ds.x_train[:]
        whole_ok = True
    except MemoryError:
        whole_ok = False
    print(json.dumps({"status": result.status, "history": result.history, "base": base,
                      "cap": cap, "decoded": decoded, "whole_ok": whole_ok,
                      "train": len(ds.x_train)}))
""")


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 1, SIZE, dtype=np.float32)
    for label, name in enumerate(("dark", "light")):
        (root / name).mkdir()
        for i in range(N_PER_CLASS):
            level = 60 + 120 * label + rng.integers(-30, 30)
            pixels = (level * (0.7 + 0.3 * ramp[None, :, None]) * np.ones((SIZE, 1, 3)))
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i:04d}.png",
                                                          compress_level=1)
    return root


def test_folder_epoch_runs_under_a_memory_cap_below_the_decoded_split(big_folder):
    done = subprocess.run([sys.executable, "-c", CHILD, str(big_folder), str(HEADROOM)],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "MALLOC_ARENA_MAX": "2",
                               "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "completed"
    assert len(out["history"]) == 1 and out["history"][0]["train_loss"] > 0
    # meaningful: the decoded training split alone is larger than the room the cap left
    assert out["decoded"] > HEADROOM, out
    assert out["whole_ok"] is False  # decoding it whole under the same cap fails
