"""A project's folder moved or deleted outside LayerLoom (a file manager, ``mv``, ``rm -r``)
while a tab edits it: the tab's next edit made a new folder of that id without a word, holding
that one design (no snapshots, no data choice, no weights, a save log starting again at
version 1), beside the folder moved elsewhere, which never got the edit: two copies going
apart, or a project deleted on purpose back. Now the edit is not saved there and the tab says
why, keeping the edit to save as a new project or download."""

from __future__ import annotations

import shutil

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_an_edit_of_a_project_whose_folder_was_moved_away_is_kept_and_said(tmp_path):
    store = ProjectStore(tmp_path / "home")
    tab = DesignerState.new(store, load_template("seed-cnn"))
    folder = tmp_path / "home" / "projects" / tab.project_id
    moved = tmp_path / "archive" / tab.project_id
    moved.parent.mkdir()
    shutil.move(folder, moved)
    tab.apply(edit.set_param, (), "conv2", "kernel_size", 5)
    assert not folder.exists()  # not made again
    [said] = [n for n in tab.take_notices() if n.unsaved is not None]
    assert said.text.startswith("Your last edit (conv2.kernel_size) was not saved: this "
                                f"project's folder ({folder}) is no longer there")
    assert "moved or deleted outside LayerLoom" in said.text
    assert said.offer_copy  # "Save a copy as a new project"
    assert [n["params"].get("kernel_size") for n in said.unsaved[1]["nodes"]
            if n["id"] == "conv2"] == [5]
    assert ProjectStore(tmp_path / "home").list() == []
    assert (moved / "graph.json").is_file()


def test_a_new_project_is_still_made_in_a_folder_of_its_own(tmp_path):
    store = ProjectStore(tmp_path / "home")
    pid = store.create(load_template("seed-cnn"))
    assert store.load(pid).graph.name == "seed-cnn"
