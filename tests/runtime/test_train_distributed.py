"""DistributedDataParallel: two CPU processes (gloo) train as one process on the same global
batch would; rank 0 alone records the run and writes the checkpoint."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from layerloom.runtime import RunStore, load_checkpoint, train
from layerloom.runtime.distributed import strip_nproc


def test_two_processes_match_one(tmp_path, mlp):
    graph = tmp_path / "mlp.json"
    graph.write_text(json.dumps(mlp(hidden=12)))
    home = tmp_path / "ddp-home"
    # 300 moons → 210 training samples: six global batches of 32 and a last one of 18
    cmd = [sys.executable, "-m", "layerloom", "train", str(graph), "--dataset", "moons",
           "--data-option", "n_samples=300", "--epochs", "2", "--lr", "0.02",
           "--cfg", "num_threads=1", "--nproc", "2", "--json", "--home", str(home)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # rank 0 alone prints
    store = RunStore(home / "runs.db")
    runs = store.list_runs()
    assert [r.id for r in runs] == [out["run_id"]] and runs[0].status == "completed"

    single = train(mlp(hidden=12), {"source": "moons", "options": {"n_samples": 300}},
                   {"epochs": 2, "lr": 0.02, "num_threads": 1})
    ddp = load_checkpoint(runs[0].checkpoint)["model"]
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(ddp[key], value, rtol=1e-5, atol=1e-6, msg=key)
    for a, b in zip(out["history"], single.history):
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-5
        assert a["train_accuracy"] == b["train_accuracy"]


def test_strip_nproc():
    assert strip_nproc(["train", "g.json", "--nproc", "2", "--json"]) == \
        ["train", "g.json", "--json"]
    assert strip_nproc(["train", "--nproc=4", "g.json"]) == ["train", "g.json"]
