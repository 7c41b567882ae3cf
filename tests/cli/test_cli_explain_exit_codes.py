"""``layerloom explain`` exits as the README says and as the other commands do: 2 for an
--input file that is not there (it said 1), 1 for a run id that names no run (it said 2, where
``runs show``, ``resume`` and ``export`` say 1)."""

from __future__ import annotations

from layerloom.cli import main


def test_an_input_that_is_not_there_exits_2(tmp_path, capsys):
    assert main(["explain", "1", "--input", str(tmp_path / "none.png"),
                 "--home", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.png'}: no such file\n"


def test_a_run_that_is_not_there_exits_1_as_elsewhere(tmp_path, capsys):
    digit = tmp_path / "digit.png"
    digit.write_bytes(b"any bytes: the run is looked up first")
    codes = [main(["explain", "7", "--input", str(digit), "--home", str(tmp_path)]),
             main(["runs", "show", "7", "--home", str(tmp_path)]),
             main(["resume", "7", "--home", str(tmp_path)])]
    assert codes == [1, 1, 1]
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error: no run 7 in {tmp_path / 'runs.db'} (it holds no runs yet: is $LAYERLOOM_HOME "
        f"the folder you trained in?)")
