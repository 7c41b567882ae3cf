"""Distributed runs resume as single-process runs do: a two-process run stopped mid-way (rank 0
writes the checkpoint, with the partial epoch's sums of both processes) and resumed with
``layerloom resume`` (as many processes as it had; rank 0 hands the checkpoint to every
process) ends with the weights and history of the same run left uninterrupted. And
``sync_batchnorm``: BatchNorm over the global batch makes two processes train as one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from layerloom.runtime import RunStore, load_checkpoint, train
from layerloom.runtime.distributed import GlobalBatchNorm, global_batchnorm, parse_master

LAYERLOOM = [sys.executable, "-m", "layerloom"]
SETTINGS = {"epochs": 2, "lr": 0.01, "batch_size": 16, "num_threads": 1, "log_every": 5}
DATA = {"source": "moons", "seed": 0, "val_fraction": 0.1, "test_fraction": 0.2,
        "options": {"n_samples": 1000}}  # 700 training samples: 44 steps an epoch

# One process of a two-process run that stops itself at step 30 (rank 0's sink asks; every
# process stops together at the next log step, 35: in the middle of the first epoch).
STOPPING = textwrap.dedent("""
    import json, sys
    from layerloom.runtime import RunStore
    from layerloom.runtime.config import TrainConfig
    from layerloom.runtime.distributed import init_from_env, share
    from layerloom.runtime.runner import as_graph, execute_run, load_from_spec, run_training

    graph, home, settings, data = (json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]),
                                   json.loads(sys.argv[4]))
    dist = init_from_env("cpu")
    stop = lambda event: "stop" if event.kind == "step" and event.step >= 30 else None
    if dist.is_main:
        store = RunStore(home + "/runs.db")
        run_id = store.create_run("stopping", graph, data, TrainConfig.from_dict(settings)
                                  .to_dict(), {}, status="running")
        share(dist, run_id)
        result = execute_run(store, run_id, callback=stop, dist=dist)
    else:
        share(dist)
        result, _ = run_training(as_graph(graph), load_from_spec(data),
                                 TrainConfig.from_dict(settings), dist=dist)
    dist.close()
    print(result.status, result.reason)
""")


@pytest.mark.heavy  # two runs of two processes and a resume (~30-80 s): make test-all
def test_stopped_two_process_run_resumes_to_the_uninterrupted_weights(tmp_path, mlp):
    graph = mlp(hidden=32)
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(graph))
    whole = subprocess.run(LAYERLOOM + [
        "train", str(path), "--dataset", "moons", "--data-option", "n_samples=1000",
        "--epochs", "2", "--lr", "0.01", "--batch-size", "16", "--cfg", "num_threads=1",
        "--cfg", "log_every=5", "--nproc", "2", "--json", "--home", str(tmp_path / "a")],
        capture_output=True, text=True, timeout=240)
    assert whole.returncode == 0, whole.stderr
    reference = json.loads(whole.stdout)
    ref_run = RunStore(tmp_path / "a" / "runs.db").get(reference["run_id"])
    assert ref_run.progress["metrics"]["processes"] == 2  # the app's progress line reads it

    home = tmp_path / "b"
    home.mkdir()
    stopped = subprocess.run(_launch_script(tmp_path, STOPPING, json.dumps(graph), str(home),
                                            json.dumps(SETTINGS), json.dumps(DATA)),
                             capture_output=True, text=True, timeout=240)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    run = RunStore(home / "runs.db").get(1)
    assert run.status == "stopped" and run.resumable, (run.status, run.reason)
    assert "step 35 (epoch 1, after batch 35 of " in run.reason  # in the middle of an epoch
    more = subprocess.run(LAYERLOOM + ["resume", "1", "--json", "--home", str(home)],
                          capture_output=True, text=True, timeout=240)
    assert more.returncode == 0, more.stderr
    resumed = json.loads(more.stdout)
    assert resumed["status"] == "completed"
    after = RunStore(home / "runs.db").get(1)
    assert after.progress["metrics"]["processes"] == 2  # resumed as two processes
    got = load_checkpoint(after.checkpoint)["model"]
    want = load_checkpoint(ref_run.checkpoint)["model"]
    for key, value in want.items():
        torch.testing.assert_close(got[key], value, rtol=1e-5, atol=1e-6, msg=key)
    assert len(resumed["history"]) == 2
    for a, b in zip(resumed["history"], reference["history"]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-5)
        assert a["train_accuracy"] == pytest.approx(b["train_accuracy"], abs=1e-9)


def _launch_script(tmp_path, code: str, *args: str) -> list[str]:
    """A command that runs ``code`` as two processes of one group through torchrun."""
    script = tmp_path / "rank.py"
    script.write_text(code)
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc-per-node", "2", str(script), *args]


def bn_mlp() -> dict:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [2]}},
             {"id": "fc1", "type": "Linear", "params": {"out_features": 16}},
             {"id": "bn", "type": "BatchNorm1d"},
             {"id": "act", "type": "ReLU"},
             {"id": "fc2", "type": "Linear", "params": {"out_features": 2}},
             {"id": "y", "type": "Output"}]
    return {"format": "layerloom-graph", "version": 1, "name": "bn", "variables": {},
            "nodes": nodes, "edges": [{"source": a["id"], "target": b["id"]}
                                      for a, b in zip(nodes, nodes[1:])]}


@pytest.mark.heavy  # two processes (~20 s): make test-all
def test_sync_batchnorm_two_processes_match_one(tmp_path):
    # SGD: fc1's bias feeds a BatchNorm, so its true gradient is 0 and Adam would blow the
    # float rounding of each process's share up into full-size steps
    graph = tmp_path / "bn.json"
    graph.write_text(json.dumps(bn_mlp()))
    home = tmp_path / "home"
    cmd = LAYERLOOM + ["train", str(graph), "--dataset", "moons", "--data-option",
                       "n_samples=300", "--epochs", "2", "--lr", "0.1", "--optimizer", "sgd",
                       "--cfg", "num_threads=1", "--cfg", "sync_batchnorm=true", "--nproc", "2",
                       "--json", "--home", str(home)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    ddp = load_checkpoint(RunStore(home / "runs.db").get(out["run_id"]).checkpoint)["model"]
    single = train(bn_mlp(), {"source": "moons", "options": {"n_samples": 300}},
                   {"epochs": 2, "lr": 0.1, "optimizer": "sgd", "num_threads": 1})
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(ddp[key].to(value.dtype), value, rtol=1e-4, atol=1e-5,
                                   msg=key)
    assert out["history"][-1]["train_loss"] == pytest.approx(
        single.history[-1]["train_loss"], rel=1e-4)


def test_global_batchnorm_is_batchnorm_in_one_process():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    plain = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    plain.load_state_dict(net.state_dict())
    assert global_batchnorm(net) == 1 and isinstance(net[1], GlobalBatchNorm)
    x = torch.randn(8, 3)
    torch.testing.assert_close(net(x), plain(x))
    torch.testing.assert_close(net[1].running_var, plain[1].running_var)
    assert set(net.state_dict()) == set(plain.state_dict())


def test_master_address_is_checked():
    assert parse_master("10.0.0.1:29500") == ("10.0.0.1", 29500)
    assert parse_master("[::1]:80") == ("::1", 80)
    with pytest.raises(ValueError, match="--master must be ADDR:PORT"):
        parse_master("10.0.0.1")
    done = subprocess.run(LAYERLOOM + ["train", "x.json", "--dataset", "iris", "--nnodes", "2"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "--nnodes needs --master ADDR:PORT" in done.stderr


def test_global_batchnorm_leaves_a_frozen_norm_alone():
    from layerloom.graph.compile import freeze, hold_frozen_norms

    frozen, live = torch.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 1), frozen, live)
    freeze(net[1])
    hold_frozen_norms(net)
    assert global_batchnorm(net) == 1
    assert net[1] is frozen and not net[1].training  # held in eval mode, as before
    assert isinstance(net[2], GlobalBatchNorm) and net[2].weight.requires_grad
