"""A project's graph.json replaced by a symbolic link to a file of the user's own (a design
kept in a repository of theirs, edited there): the first save replaced the link with a file of
its own, so the user's file never got another edit from the designer, and the edits made in
it since were never seen by any tab. A save now writes where the link points, the link kept."""

from __future__ import annotations

import json

from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _set(path, node_id: str, **params) -> None:
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["id"] == node_id).setdefault("params", {}).update(params)
    path.write_text(json.dumps(data, indent=2))


def _kernels(design: dict) -> tuple:
    by_id = {n["id"]: n.get("params", {}) for n in design["nodes"]}
    return by_id["conv1"]["kernel_size"], by_id["conv2"]["kernel_size"]


def test_a_design_file_linked_to_the_users_own_file_is_saved_there_the_link_kept(tmp_path):
    store = ProjectStore(tmp_path / "home")
    tab = DesignerState.new(store, load_template("seed-cnn"))
    link = tmp_path / "home" / "projects" / tab.project_id / "graph.json"
    mine = tmp_path / "repo" / "design.json"
    mine.parent.mkdir()
    mine.write_text(link.read_text())
    _set(mine, "conv1", kernel_size=7)
    link.unlink()
    link.symlink_to(mine)
    assert tab.catch_up()  # the page's next run: the file as edited there
    assert _kernels(tab.graph.to_dict()) == (7, 3)
    assert tab.apply(edit.set_param, (), "conv2", "kernel_size", 5) is not None
    assert link.is_symlink() and link.resolve() == mine.resolve()
    assert _kernels(json.loads(mine.read_text())) == (7, 5)  # the edit, in the user's file
    _set(mine, "conv1", kernel_size=9)  # edited there again
    assert tab.catch_up()
    assert _kernels(tab.graph.to_dict()) == (9, 5)
    assert tab.undo()  # the tab's edit taken back, in the user's file
    assert _kernels(json.loads(mine.read_text())) == (9, 3)
    assert sorted(p.name for p in mine.parent.iterdir()) == ["design.json"]
