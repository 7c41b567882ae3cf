"""The designer started by ``layerloom app`` on a home it made (named, not there: a mistyped
path most likely) says so once a session, as the terminal does: the projects and runs of the
user's home are not shown, not lost. The pages showed an empty home and said nothing."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

SCRIPT = "from layerloom.ui.app import main\nmain()\n"


def test_a_home_the_app_made_is_said_once(tmp_path, monkeypatch):
    home = tmp_path / "typo"
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    monkeypatch.setenv("LAYERLOOM_HOME_MADE", str(home))
    at = AppTest.from_string(SCRIPT, default_timeout=90)
    at.run()
    assert not at.exception
    assert [t.value for t in at.toast] == [
        f"LayerLoom's home {home} did not exist when the app started: it was made new and "
        f"empty, so projects and runs kept in another home are not shown. If you meant another "
        f"folder, stop the app and start it with --home set to that folder."]
    at.run()
    assert not at.toast


def test_a_home_that_was_there_is_not_mentioned(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYERLOOM_HOME_MADE", raising=False)
    at = AppTest.from_string(SCRIPT, default_timeout=90)
    at.run()
    assert not at.exception and not at.toast
