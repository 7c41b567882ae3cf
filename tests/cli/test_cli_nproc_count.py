"""``--nproc`` and ``--nnodes`` are counts: ``train --nproc 0`` (a script's variable left at 0)
trained in one process without a word, as did ``--nproc -2`` and ``--nnodes 0``; argparse
now refuses them, naming the option (exit 2, as for any command line not understood)."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("command", [["train", "mlp-tabular", "-d", "iris"], ["resume", "1"]])
@pytest.mark.parametrize("option, value", [("--nproc", "0"), ("--nproc", "-2"),
                                           ("--nnodes", "0")])
def test_a_count_below_one_is_refused(tmp_path, capsys, command, option, value):
    with pytest.raises(SystemExit) as stop:
        main([*command, option, value, "--home", str(tmp_path)])
    assert stop.value.code == 2
    assert (f"argument {option}: {value} is not a count: give a whole number from 1"
            in capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing recorded
