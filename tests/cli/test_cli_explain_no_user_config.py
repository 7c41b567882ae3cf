"""``layerloom explain`` for a user whose home folder cannot hold ``~/.config`` (a service
account's ``/nonexistent``, a read-only home; here a file, which stops root too): captum imports
matplotlib, which printed two lines of warning on every explain ("mkdir -p failed for path …",
"Matplotlib created a temporary cache directory … set the MPLCONFIGDIR environment variable").
Matplotlib is given ``matplotlib/`` in LayerLoom's home instead, and says nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

import pytest

from layerloom.cli import main

pytestmark = pytest.mark.slow  # each runs the CLI in processes that import torch


def test_explain_says_nothing_of_matplotlib_where_home_has_no_config(tmp_path):
    home = tmp_path / "home"
    assert main(["train", "mlp-tabular", "-d", "iris", "--epochs", "1", "--home", str(home)]) == 0
    np.save(tmp_path / "row.npy", np.array([5.1, 3.5, 1.4, 0.2], dtype=np.float32))
    (tmp_path / "not-a-folder").write_text("")
    env = {key: value for key, value in os.environ.items()
           if key not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME")}
    env.update(HOME=str(tmp_path / "not-a-folder"), LAYERLOOM_HOME=str(home))
    done = subprocess.run([sys.executable, "-P", "-m", "layerloom", "explain", "1", "--input",
                           str(tmp_path / "row.npy"), "--json"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["kind"] == "tabular"
    assert (home / "matplotlib").is_dir()
