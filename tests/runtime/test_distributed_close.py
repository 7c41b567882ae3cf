"""Leaving the process group: after a run that ended normally every process waits for the
others before it exits (an exit while gloo's threads still release the last collective's
tensors aborts the process); after an error it leaves at once, and a peer that leaves that way
does not keep a waiting process from leaving, nor make it fail."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

SCRIPT = """
import json, sys, time
import torch.distributed as dist
from layerloom.runtime.distributed import init_from_env

ctx = init_from_env("cpu")
finished = sys.argv[1 + ctx.rank] == "finished"
if ctx.rank == 0:
    time.sleep(1.5)  # rank 0 still records the run while the other has finished training
arrived = time.time()
ctx.close(finished=finished)
print(json.dumps({"rank": ctx.rank, "arrived": arrived, "left": time.time(),
                  "in_group": dist.is_initialized()}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _close_both(how: tuple[str, str]) -> list[dict]:
    port = str(_free_port())
    procs = []
    for rank in (0, 1):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, "-c", SCRIPT, *how], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    done = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "terminate called" not in err, err
            done.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return sorted(done, key=lambda row: row["rank"])


def test_a_finished_process_waits_for_the_others_before_leaving():
    first, second = _close_both(("finished", "finished"))
    assert second["arrived"] < first["arrived"] - 1.0  # rank 1 came to close() long before
    assert second["left"] >= first["arrived"]  # and left only once rank 0 had come too
    assert not first["in_group"] and not second["in_group"]


def test_after_an_error_a_process_leaves_at_once():
    first, second = _close_both(("finished", "failed"))
    assert second["left"] < first["arrived"]
    assert not second["in_group"]
    # rank 0 then finds its peer gone: its wait ends without error, long before the timeout
    assert first["left"] - first["arrived"] < 60 and not first["in_group"]


def test_a_peer_that_failed_does_not_hold_a_finished_process():
    first, second = _close_both(("failed", "finished"))
    # rank 1 waited for rank 0, which left without waiting: the wait ends then, without error
    assert second["left"] >= first["arrived"]
    assert second["left"] - first["arrived"] < 60
    assert not second["in_group"]
