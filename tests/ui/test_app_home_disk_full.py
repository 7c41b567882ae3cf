"""The designer opened on a home whose disk is full (or on a read-only file system) says so,
with what to do: make room and reload, or another home. It said 'cannot open its projects
folder: [Errno 28] No space left on device. Set LAYERLOOM_HOME to a folder you can write to',
though the folder could be written once its disk had room."""

from __future__ import annotations

import errno
import os

import pytest
from streamlit.testing.v1 import AppTest

from layerloom.ui import projects


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "the disk that holds {home} is full (No space left on device). Free some "
                   "space on it and reload this page, or set LAYERLOOM_HOME to a folder on "
                   "another disk and restart LayerLoom."),
    (errno.EROFS, "{home} is on a read-only file system. Set LAYERLOOM_HOME to a folder you "
                  "can write to and restart LayerLoom."),
])
def test_a_home_that_cannot_take_a_design_is_said_with_what_to_do(tmp_path, monkeypatch, code,
                                                                   words):
    home = tmp_path / "home"
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))

    def refuse(path, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(projects, "_write_atomic", refuse)
    at = AppTest.from_string("from layerloom.ui.app import main\nmain()\n", default_timeout=90)
    at.run()
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]
    assert shown == ["LayerLoom cannot open its projects folder: " + words.format(home=home)], \
        shown
