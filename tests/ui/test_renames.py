"""ui/renames.py: the blocks an edit renamed, told from the designs before and after it, and a
canvas change laid on the blocks as another tab renamed them since."""

from __future__ import annotations

from layerloom.ui.renames import node_renames, renamed_since

BEFORE = {"nodes": [{"id": "x", "type": "Input", "position": [0, 0]},
                    {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 8},
                     "position": [200, 0]},
                    {"id": "relu2", "type": "ReLU", "position": [400, 0]}],
          "edges": [{"source": "x", "target": "conv2"}, {"source": "conv2", "target": "relu2"}]}


def test_a_rename_is_told_whatever_the_params_became_or_where_it_moved_but_not_a_new_block():
    now = {"nodes": [BEFORE["nodes"][0],
                     {**BEFORE["nodes"][1], "id": "features", "params": {"out_channels": 16}},
                     BEFORE["nodes"][2]],
           "edges": [{"source": "x", "target": "features"},
                     {"source": "features", "target": "relu2"}]}
    assert node_renames(BEFORE, now) == {"conv2": "features"}
    moved = {**now, "nodes": [now["nodes"][0], {**now["nodes"][1], "position": [9, 9]},
                              now["nodes"][2]]}
    assert node_renames(BEFORE, moved) == {"conv2": "features"}  # its wires held
    unwired = {**now, "edges": [{"source": "x", "target": "relu2"}]}
    assert node_renames(BEFORE, unwired) == {}  # its wires gone: another block at that place
    assert node_renames(BEFORE, {**moved, "edges": unwired["edges"]}) == {}


def test_a_canvas_change_made_before_another_tabs_rename_follows_the_block():
    """The canvas showed conv2, moved it and dropped a block it named features (the next id
    it saw free); another tab renamed conv2 features meanwhile. The move is done to the block
    as renamed, and the dropped block takes another id."""
    now = {"nodes": [BEFORE["nodes"][0], {**BEFORE["nodes"][1], "id": "features"},
                     BEFORE["nodes"][2]],
           "edges": [{"source": "x", "target": "features"},
                     {"source": "features", "target": "relu2"}]}
    sent = {"nodes": [BEFORE["nodes"][0], {**BEFORE["nodes"][1], "position": [50, 50]},
                      BEFORE["nodes"][2],
                      {"id": "features", "type": "Tanh", "position": [600, 0]}],
            "edges": BEFORE["edges"] + [{"source": "relu2", "target": "features"}]}
    before, laid = renamed_since(BEFORE, sent, now)
    assert before == now
    assert [(n["id"], n["type"], n["position"]) for n in laid["nodes"]] == [
        ("x", "Input", [0, 0]), ("features", "Conv2d", [50, 50]), ("relu2", "ReLU", [400, 0]),
        ("features1", "Tanh", [600, 0])]
    assert laid["edges"] == [{"source": "x", "target": "features"},
                             {"source": "features", "target": "relu2"},
                             {"source": "relu2", "target": "features1"}]
    assert renamed_since(BEFORE, sent, BEFORE) == (BEFORE, sent)  # nothing renamed since


def test_a_block_renamed_moved_and_rewired_at_once_is_told_but_not_a_new_block_in_its_place():
    """conv2 renamed features, moved, and a Tanh put between it and relu2: one of its wires is
    gone, the other held, its params as they were. A new Conv2d dropped in its place with
    other params, or one that holds none of conv2's wires, is no rename."""
    now = {"nodes": [BEFORE["nodes"][0],
                     {**BEFORE["nodes"][1], "id": "features", "position": [9, 9]},
                     BEFORE["nodes"][2], {"id": "tanh1", "type": "Tanh", "position": [5, 5]}],
           "edges": [{"source": "x", "target": "features"},
                     {"source": "features", "target": "tanh1"},
                     {"source": "tanh1", "target": "relu2"}]}
    assert node_renames(BEFORE, now) == {"conv2": "features"}
    other = {**now, "nodes": [now["nodes"][0],
                              {**now["nodes"][1], "params": {"out_channels": 16}},
                              *now["nodes"][2:]]}
    assert node_renames(BEFORE, other) == {}
    unwired = {**now, "edges": [{"source": "x", "target": "tanh1"},
                                {"source": "tanh1", "target": "relu2"}]}
    assert node_renames(BEFORE, unwired) == {}


def test_a_rename_is_told_where_another_block_was_put_on_its_wire_and_its_neighbour_deleted():
    """drop2 renamed head (its place kept), drop3 put on its wire to relu2, drop1 before it
    deleted: head is drop2 renamed, drop1 is gone. drop1 was taken for head (it fed drop2, and
    the wire from x was held) and drop2 for drop3 (the wire to relu2 held): a tab that had
    renamed drop1 was told that Undo leaves its id as another tab set it (head), not that
    the block was deleted, and its version was kept nowhere (the eight-tab mix, seed 423)."""
    before = {"nodes": [{"id": "x", "type": "Input", "position": [0, 0]},
                        {"id": "drop1", "type": "Dropout", "position": [100, 0]},
                        {"id": "drop2", "type": "Dropout", "position": [200, 0]},
                        {"id": "relu2", "type": "ReLU", "position": [400, 0]}],
              "edges": [{"source": "x", "target": "drop1"}, {"source": "drop1", "target": "drop2"},
                        {"source": "drop2", "target": "relu2"}]}
    now = {"nodes": [before["nodes"][0], {**before["nodes"][2], "id": "head"},
                     before["nodes"][3], {"id": "drop3", "type": "Dropout", "position": [300, 90]}],
           "edges": [{"source": "x", "target": "head"}, {"source": "head", "target": "drop3"},
                     {"source": "drop3", "target": "relu2"}]}
    assert node_renames(before, now) == {"drop2": "head"}
