"""``layerloom runs show`` without a run id is a command line that is not understood: exit 2,
as ``layerloom --help`` says and argparse exits for ``runs show abc``, with how to find the
ids. It exited 1, the code of invalid input, after opening the home's runs database."""

from __future__ import annotations

from layerloom.cli import main


def test_runs_show_without_an_id(tmp_path, capsys):
    home = tmp_path / "nowhere"
    assert main(["runs", "show", "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        "error: runs show needs a run id: layerloom runs show ID (layerloom runs lists the runs "
        "and their ids)\n")
    assert not home.exists()
