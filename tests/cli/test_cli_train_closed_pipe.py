"""``layerloom train … | head -1``: the reader of its output goes away while it trains. The
next epoch's line raised BrokenPipeError inside the trainer, which recorded the run as failed
("BrokenPipeError: [Errno 32] Broken pipe") without its best epoch. A closed pipe now stops the
run as Ctrl+C does: at the next batch, said on stderr, the run kept as stopped and resumable;
the exit code is a closed pipe's (141, as the shell's own for SIGPIPE)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from layerloom.runtime.store import RunStore

pytestmark = pytest.mark.slow  # each runs the CLI in processes that import torch


def test_a_closed_pipe_stops_the_run_and_keeps_it(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "LAYERLOOM_HOME": str(home)}
    with open(tmp_path / "err.txt", "w") as err:
        train = subprocess.Popen(  # many epochs: it still trains when the pipe closes
            [sys.executable, "-P", "-m", "layerloom", "train", "mlp-tabular", "-d", "iris",
             "--epochs", "5000"], stdout=subprocess.PIPE, stderr=err, text=True, env=env,
            cwd=tmp_path)
        try:
            first = train.stdout.readline()
            train.stdout.close()  # as head -1 does
            code = train.wait(timeout=300)
        finally:
            if train.poll() is None:
                train.kill()
    said = (tmp_path / "err.txt").read_text()
    assert first.startswith("Epoch 1/5000 - ")
    assert code == 141, said
    assert "Traceback" not in said and "BrokenPipeError" not in said
    assert "the output's reader is gone (a closed pipe): stopping at the next batch" in said
    assert "resume it with: layerloom resume 1" in said
    run = RunStore(home / "runs.db").get(1)
    assert run.status == "stopped" and run.reason.startswith("stopped by request")
    assert run.resumable and run.best_metric is not None
