"""``layerloom sweep --param`` typed wrong is refused before any trial runs, in one line: a
numeric variable's list with a word in it (``width=0.5,one``) ran the sweep and failed that
trial; a setting given twice ended in Optuna's "Cannot set different distribution kind to the
same parameter name." with the --debug line."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.cli import main
from layerloom.runtime import RunStore


@pytest.mark.parametrize("params, message", [
    (["width=0.5,one"],
     "--param width: the value 'one' cannot be used: the variable width is a number (1.0 in "
     "seed-cnn), and 'one' is not one"),
    (["lr=1e-4:1e-1:log", "lr=0.1,0.2"],
     "--param lr is given twice; give each setting once, with all its values (a range "
     "lr=LOW:HIGH or a list lr=A,B,C)"),
])
def test_a_param_typed_wrong_is_refused_before_any_trial(tmp_path, capsys, params, message):
    argv = ["sweep", "seed-cnn", "-d", "mnist-5k", "--trials", "2", "--home", str(tmp_path)]
    for param in params:
        argv += ["--param", param]
    assert main(argv) == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert RunStore(tmp_path / "runs.db").list_runs() == []


def test_sweeping_target_scaling_by_a_loss_is_refused_and_by_mae_runs(tmp_path, capsys):
    # the standardised trial's loss (~0.04) would always beat the other's (~1e10 units squared)
    rng = np.random.default_rng(0)
    rows = ["rooms,area,age,floor,price"]
    for _ in range(80):
        rooms, area, age, floor = rng.integers(1, 6), rng.uniform(40, 200), rng.integers(0, 80), \
            rng.integers(0, 10)
        rows.append(f"{rooms},{area:.1f},{age},{floor},{50_000 + 2_000 * area - 500 * age:.0f}")
    table = tmp_path / "houses.csv"
    table.write_text("\n".join(rows) + "\n")
    argv = ["sweep", "mlp-tabular", "-d", str(table), "--trials", "2", "--home", str(tmp_path),
            "--param", "target_scaling=auto,off", "--cfg", "epochs=1", "--set", "classes=1"]
    assert main(argv) == 1
    error = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(error) == 1 and error[0].startswith(
        "error: --param target_scaling: the trials would be ranked by val_loss, which "
        "target_scaling puts on another scale")
    assert error[0].endswith("rank them by a metric in the target's units: "
                             "--cfg monitor=val_mae")
    assert RunStore(tmp_path / "runs.db").list_runs() == []
    assert main([*argv, "--cfg", "monitor=val_mae"]) == 0
    assert len(RunStore(tmp_path / "runs.db").list_runs()) == 2
