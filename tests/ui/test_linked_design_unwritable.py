"""A project whose graph.json is a symbolic link to a file of the user's (in a repository of
theirs) in a folder LayerLoom cannot write: an edit is refused, and the words said to make
the project folder writable, which is not the folder refusing it (the link's target's
folder is). They now name that folder and say to make it writable. The folder is made
unwritable by refusing, in this process, new files in it (root ignores permissions)."""

from __future__ import annotations

import errno
import json

import pytest

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui import projects
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


@pytest.mark.parametrize("named", ["folder", "temporary file"])
def test_an_edit_refused_by_the_linked_files_folder_names_that_folder(tmp_path, monkeypatch,
                                                                       named):
    store = ProjectStore(tmp_path / "home")
    tab = DesignerState.new(store, load_template("seed-cnn"))
    folder = tmp_path / "home" / "projects" / tab.project_id
    repo = tmp_path / "repo"
    repo.mkdir()
    mine = repo / "my.json"
    mine.write_text((folder / "graph.json").read_text())
    (folder / "graph.json").unlink()
    (folder / "graph.json").symlink_to(mine)
    made = projects.tempfile.mkstemp

    def mkstemp(*args, dir=None, prefix="", suffix="", **kwargs):
        if dir is not None and str(dir).startswith(str(repo)):
            where = dir if named == "folder" else f"{dir}/{prefix}abc123{suffix}"
            raise PermissionError(errno.EACCES, "Permission denied", str(where))
        return made(*args, dir=dir, prefix=prefix, suffix=suffix, **kwargs)

    monkeypatch.setattr(projects.tempfile, "mkstemp", mkstemp)
    before = mine.read_text()
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is None
    [refused] = tab.take_notices()
    assert refused.text.startswith(
        f"Your last edit (conv2.kernel_size) was not saved: its design file (graph.json) is a "
        f"link to {mine}, in a folder that cannot be written (Permission denied: {repo}). "
        f"The design shown is as it was before this edit. Your edit is kept here: make "
        f"{repo} writable and save it again, save it as a new project"), refused.text
    assert str(folder) not in refused.text
    assert refused.offer_copy
    assert mine.read_text() == before and (folder / "graph.json").is_symlink()
    assert json.loads(mine.read_text())["nodes"]
