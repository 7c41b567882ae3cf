"""Two tabs on one design: one tab grouped conv1 (block1, of Block), the other then grouped
block1 into block21 (of Block2). The first tab's Undo of its group does not join that group:
the step is skipped, said, and the design stays whole. Undone, it removed Block's definition
while block21 still used block1 inside Block2: the design used a block it no longer defined
('unknown block type'), conv1 twice, unsaid. Found by the eight-tab mix (seed 369)."""

from __future__ import annotations

from layerloom.graph import validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def _regrouped(store: ProjectStore) -> tuple[DesignerState, dict]:
    """Tab A grouped conv1 into block1; tab B grouped block1 into block21. Returns A, not
    showing B's group yet, and the design saved."""
    a = DesignerState.new(store, load_template("seed-cnn"))
    assert a.group(["conv1"]) == "block1"
    b = DesignerState.open(store, a.project_id)
    assert b.group(["block1"]) == "block21"
    return a, store.load(a.project_id).graph.to_dict()


def test_undo_of_a_group_another_tab_grouped_again_is_skipped_and_said(tmp_path):
    store = ProjectStore(tmp_path)
    a, theirs = _regrouped(store)
    assert not a.undo()  # its catch-up said the step no longer fits: this press does no more
    told = [n.text for n in a.take_notices() if n.kind == "warning"]
    assert any("Undo skips your step now" in t and "it removes the block Block, which block1 "
               "inside block21 uses in the other tab's design" in t for t in told), told
    saved = store.load(a.project_id).graph
    assert saved.to_dict() == theirs and validate(saved).ok
    assert a.undo_stack == [] and not a.undo()

