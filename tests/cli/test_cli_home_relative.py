"""A relative home (``--home .ll``, ``LAYERLOOM_HOME=.ll``) records its runs' checkpoints by
absolute paths: they were recorded relative to the folder the run was trained in, so from any
other folder (the same home named by its full path) every run's checkpoint was "gone": no
export, no resume."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime.store import RunStore

pytestmark = pytest.mark.slow  # a short training (~5 s)


@pytest.mark.parametrize("how", ["--home", "LAYERLOOM_HOME"])
def test_runs_trained_under_a_relative_home_are_used_from_another_folder(
        tmp_path, monkeypatch, capsys, how):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    home = ["--home", ".ll"] if how == "--home" else []
    if how == "LAYERLOOM_HOME":
        monkeypatch.setenv("LAYERLOOM_HOME", ".ll")
    assert main(["train", "mlp-tabular", "-d", "iris", "--epochs", "1", *home]) == 0
    run = RunStore(work / ".ll" / "runs.db").get(1)
    assert run.checkpoint == str(work / ".ll" / "runs" / "1" / "checkpoint.pt")

    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("LAYERLOOM_HOME", str(work / ".ll"))
    capsys.readouterr()
    assert main(["export", "1", "-f", "safetensors", "-o", "w.safetensors"]) == 0, \
        capsys.readouterr().err
    assert (elsewhere / "w.safetensors").is_file()
