"""Two tabs on one design each group blocks, both into a composite block named ``Block`` (each
tab picks the first free name it sees): both groups are kept, the second under ``Block2``.
The second tab's ``Block`` was saved over the first's, so the first tab's group node computed
the second's blocks (conv1 and relu1 replaced by a copy of conv2 and relu2), unsaid to it."""

from __future__ import annotations

from layerloom.graph import validate
from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState


def test_two_tabs_grouping_into_one_block_name_keep_both_groups(tmp_path):
    store = ProjectStore(tmp_path)
    a = DesignerState.new(store, load_template("seed-cnn"))
    b = DesignerState.open(store, a.project_id)
    assert b.group(["conv1", "relu1"]) == "block1"
    assert a.group(["conv2", "relu2"]) == "block1"  # a still shows the design before b's group
    saved = store.load(a.project_id).graph
    inner = {name: [n.id for n in block.nodes] for name, block in saved.blocks.items()}
    assert inner == {"Block": ["x", "conv1", "relu1", "out"],
                     "Block2": ["x", "conv2", "relu2", "out"]}
    assert {(n.id, n.type) for n in saved.nodes} >= {("block1", "Block"), ("block2", "Block2")}
    assert validate(saved).ok
    assert not [n for n in a.take_notices() if n.kind in ("warning", "error")]
    b.catch_up()
    assert not [n for n in b.take_notices() if n.kind in ("warning", "error")]
    assert b.graph.to_dict() == saved.to_dict()
