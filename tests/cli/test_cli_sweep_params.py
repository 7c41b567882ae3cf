"""``layerloom sweep --param`` typed wrong is refused before any trial runs, in one line: a
numeric variable's list with a word in it (``width=0.5,one``) ran the sweep and failed that
trial; a setting given twice ended in Optuna's "Cannot set different distribution kind to the
same parameter name." with the --debug line."""

from __future__ import annotations

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
