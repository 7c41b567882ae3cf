"""A ``~`` that no shell expanded — ``LAYERLOOM_HOME="~/ll"`` set in quotes or in a settings file,
``--home=~/ll`` (bash expands no ``~`` after ``=``) — is the user's home. The runs database was
made in a folder called ``~`` under the current folder (which a user cleans up with ``rm -rf ~``),
while the designer, which expanded it, kept its projects in the real home: two homes."""

from __future__ import annotations

from layerloom.cli import main
from layerloom.runtime.store import RunStore, default_db


def test_a_tilde_in_layerloom_home_is_the_users_home(tmp_path, monkeypatch, capsys):
    user, work = tmp_path / "user", tmp_path / "work"
    user.mkdir(), work.mkdir()
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("LAYERLOOM_HOME", "~/ll")
    monkeypatch.chdir(work)
    assert default_db() == user / "ll" / "runs.db"
    assert RunStore().path == user / "ll" / "runs.db"
    assert main(["runs"]) == 0
    assert capsys.readouterr().out == f"no runs recorded in {user / 'll' / 'runs.db'}\n"
    assert list(work.iterdir()) == []  # no folder called ~


def test_a_tilde_in_the_home_option_is_the_users_home(tmp_path, monkeypatch, capsys):
    user, work = tmp_path / "user", tmp_path / "work"
    user.mkdir(), work.mkdir()
    (user / "mine").mkdir()  # a --home that is not there is refused where runs are read
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.chdir(work)
    assert main(["runs", "--home=~/mine"]) == 0
    assert capsys.readouterr().out == f"no runs recorded in {user / 'mine' / 'runs.db'}\n"
    assert list(work.iterdir()) == []
