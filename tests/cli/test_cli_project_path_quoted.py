"""``export -f project`` ends with the command that runs the project; for a folder whose name has
spaces (``my prøject``) it said ``cd my prøject && python train.py``, which the shell splits
into two words (``cd: too many arguments``). The path is quoted for the shell now."""

from __future__ import annotations

import subprocess

import pytest

from layerloom.cli import main

pytestmark = pytest.mark.slow  # a project export, checked (~5 s)


def test_the_run_it_line_of_a_project_in_a_folder_with_spaces_works_in_a_shell(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "mlp-tabular", "-f", "project", "--data", "iris", "-o",
                 "my prøject $HOME"]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if "run it:" in line]
    assert len(said) == 1
    command = said[0].split("run it: ", 1)[1].split(" && ", 1)[0]
    where = subprocess.run(["bash", "-c", f"{command} && pwd"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=30)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == str(tmp_path / "my prøject $HOME")
