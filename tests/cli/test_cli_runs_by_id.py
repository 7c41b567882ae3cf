"""``layerloom runs 3`` shows run 3, as ``runs show 3`` does: it was refused, "argument action:
invalid choice: '3' (choose from 'show')". A word that is neither is refused naming both ways."""

from __future__ import annotations

import pytest

from layerloom.cli import main


def test_runs_with_an_id_shows_it(tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    assert main(["runs", "3", "--home", str(home)]) == main(["runs", "show", "3", "--home",
                                                                 str(home)]) == 1
    first, second = capsys.readouterr().err.splitlines()
    assert first == second and first.startswith("error: no run 3 in ")


def test_two_ids(tmp_path, capsys):
    assert main(["runs", "3", "4", "--home", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: runs shows one run at a time: layerloom runs "
                                       "show 3\n")


def test_another_word_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["runs", "list", "--home", str(tmp_path)])
    assert stop.value.code == 2
    assert ("argument show: 'list' is neither show nor a run id: layerloom runs show ID shows "
            "one run, layerloom runs lists them") in capsys.readouterr().err
