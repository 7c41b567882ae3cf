"""Training across machines, on one: two "nodes" of two processes each (127.0.0.1 only) train
one run with distinct ranks (world of 4, one run recorded, by rank 0) and end where one process
on the same global batch would, within float rounding. Once through torchrun's c10d rendezvous
(each node a ``torchrun --nnodes 2 --nproc-per-node 2`` of the same command), once through
``layerloom train --nproc 2 --nnodes 2 --node-rank R --master ADDR:PORT``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import torch

from layerloom.runtime import RunStore, load_checkpoint, train

TIMEOUT = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_nodes(commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Start every node's command at once, wait for all (time-limited); on a failure or a
    timeout, end every process group started here."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, start_new_session=True) for cmd in commands]
    done = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
            if proc.returncode != 0:
                break
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return done


def _train_args(graph, home) -> list[str]:
    return ["train", str(graph), "--dataset", "iris", "--epochs", "2", "--lr", "0.02",
            "--batch-size", "32", "--cfg", "num_threads=1", "--json", "--home", str(home)]


@pytest.mark.heavy  # four torch processes twice (~20-80 s): make test-all
@pytest.mark.parametrize("how", ["torchrun", "layerloom"])
def test_two_nodes_of_two_processes_match_one_process(tmp_path, mlp, how):
    graph = tmp_path / "mlp.json"
    graph.write_text(json.dumps(mlp(features=4, classes=3, hidden=12)))
    home = tmp_path / "home"  # one folder for both "machines": only rank 0 may write it
    port = _free_port()
    if how == "torchrun":
        commands = [[sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                     "--nproc-per-node", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint",
                     f"127.0.0.1:{port}", "--rdzv-id", "ll-test", "--node-rank", str(rank),
                     "-m", "layerloom", *_train_args(graph, home)] for rank in (0, 1)]
    else:
        commands = [[sys.executable, "-m", "layerloom", *_train_args(graph, home), "--nproc",
                     "2", "--nnodes", "2", "--node-rank", str(rank), "--master",
                     f"127.0.0.1:{port}"] for rank in (0, 1)]
    done = _run_nodes(commands)
    assert len(done) == 2 and all(d.returncode == 0 for d in done), \
        [d.stderr[-2000:] for d in done]
    printed = [json.loads(d.stdout) for d in done if d.stdout.strip()]
    assert len(printed) == 1  # rank 0 alone reports: the four ranks are distinct
    runs = RunStore(home / "runs.db").list_runs()
    assert [r.id for r in runs] == [printed[0]["run_id"]] and runs[0].status == "completed"
    assert runs[0].progress["metrics"]["processes"] == 4

    single = train(mlp(features=4, classes=3, hidden=12), "iris",
                   {"epochs": 2, "lr": 0.02, "batch_size": 32, "num_threads": 1})
    ddp = load_checkpoint(runs[0].checkpoint)["model"]
    for key, value in single.model.state_dict().items():
        torch.testing.assert_close(ddp[key], value, rtol=1e-5, atol=1e-6, msg=key)
    for a, b in zip(printed[0]["history"], single.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
