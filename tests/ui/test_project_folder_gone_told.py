"""A project's folder moved or deleted outside LayerLoom while a tab shows it: the page's
next run only logged "could not read project … saved elsewhere" on the server's terminal, and
the tab was told at its next edit (refused then). It is told at once now, naming the folder,
with "Save a copy as a new project" (of the design shown) offered; the folder is not made
again, and the banner goes where the folder is put back."""

from __future__ import annotations

import shutil

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import SESSION_KEY, DesignerState
from layerloom.ui.testing import app_test, shown


def test_the_page_says_at_once_that_the_folder_is_gone_and_offers_a_copy(home, canvas):
    at = app_test()
    at.run()
    pid = at.query_params["project"]
    folder = home / "projects" / pid
    at.session_state[SESSION_KEY].apply(edit.set_param, (), "conv2", "kernel_size", 5)
    moved = home.parent / "archive" / pid
    moved.parent.mkdir()
    shutil.move(folder, moved)
    at.run()
    assert not at.exception, at.exception
    said = [shown(e.value) for e in at.error]
    assert len(said) == 1 and said[0].startswith(
        f"This project's folder ({folder}) is no longer there: it was moved or deleted "
        "outside LayerLoom"), said
    for _ in range(2):  # said once, not on every run
        at.run()
    assert len(at.error) == 1
    assert not folder.exists()  # not made again
    [copy] = [b for b in at.button if b.label == "Save a copy as a new project"]
    copy.click().run()
    assert not at.exception, at.exception
    state = at.session_state[SESSION_KEY]
    assert state.project_id != pid
    saved = ProjectStore(home).load(state.project_id).graph
    assert saved.node("conv2").params["kernel_size"] == 5  # the design shown, with the edit
    assert not at.error
    assert not folder.exists() and (moved / "graph.json").is_file()


def test_the_folder_put_back_takes_the_banner_away(tmp_path):
    store = ProjectStore(tmp_path / "home")
    tab = DesignerState.new(store, load_template("seed-cnn"))
    folder = tmp_path / "home" / "projects" / tab.project_id
    moved = tmp_path / "archive"
    shutil.move(folder, moved)
    assert not tab.catch_up()
    [said] = tab.take_notices()
    assert said.kind == "error" and str(folder) in said.text and said.offer_copy
    tab.pin(said)
    tab.catch_up()
    assert tab.take_notices() == []
    shutil.move(moved, folder)
    tab.catch_up()
    assert tab.banners == []
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
