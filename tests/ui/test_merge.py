"""ui/merge.py: one tab's edit laid over another tab's save, or None where they collide."""

from __future__ import annotations

import copy

from layerloom.ui.merge import merge

BASE = {
    "format": "layerloom-graph", "version": 1, "name": "n",
    "variables": {"width": 1.0},
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
              {"id": "a", "type": "Linear", "params": {"out_features": 8}},
              {"id": "b", "type": "ReLU"},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": "x", "target": "a"}, {"source": "a", "target": "b"},
              {"source": "b", "target": "y"}],
}


def changed(**how):
    out = copy.deepcopy(BASE)
    for fn in how.values():
        fn(out)
    return out


def node(design, nid):
    return next(n for n in design["nodes"] if n["id"] == nid)


def test_changes_of_different_things_are_all_kept():
    mine = changed(p=lambda d: node(d, "a")["params"].update(bias=False),
                   v=lambda d: d["variables"].update(depth=2),
                   n=lambda d: d.update(name="mine"))
    theirs = changed(p=lambda d: node(d, "a")["params"].update(out_features=16),
                     l=lambda d: node(d, "b").update(label="act"))
    out = merge(BASE, mine, theirs)
    assert node(out, "a")["params"] == {"out_features": 16, "bias": False}
    assert node(out, "b")["label"] == "act"
    assert out["variables"] == {"width": 1.0, "depth": 2} and out["name"] == "mine"


def test_the_same_change_twice_is_one_and_a_different_one_collides():
    same = changed(p=lambda d: node(d, "a")["params"].update(out_features=16))
    assert merge(BASE, same, same) == same
    other = changed(p=lambda d: node(d, "a")["params"].update(out_features=32))
    assert merge(BASE, other, same) is None


def test_a_node_added_with_its_edges_is_laid_over_theirs():
    def add_dropout(d):
        d["nodes"].insert(2, {"id": "d", "type": "Dropout"})
        d["edges"] = [{"source": "x", "target": "a"}, {"source": "a", "target": "d"},
                      {"source": "d", "target": "b"}, {"source": "b", "target": "y"}]

    theirs = changed(p=lambda d: node(d, "a")["params"].update(out_features=16))
    out = merge(BASE, changed(add=add_dropout), theirs)
    assert [n["id"] for n in out["nodes"]] == ["x", "a", "b", "y", "d"]
    assert {(e["source"], e["target"]) for e in out["edges"]} == \
        {("x", "a"), ("a", "d"), ("d", "b"), ("b", "y")}
    assert node(out, "a")["params"]["out_features"] == 16


def test_a_node_one_removed_and_the_other_changed_collides():
    def remove_b(d):
        d["nodes"] = [n for n in d["nodes"] if n["id"] != "b"]
        d["edges"] = [{"source": "x", "target": "a"}, {"source": "a", "target": "y"}]

    relabelled = changed(l=lambda d: node(d, "b").update(label="act"))
    assert merge(BASE, changed(r=remove_b), relabelled) is None
    assert merge(BASE, relabelled, changed(r=remove_b)) is None


def test_an_edge_to_a_node_the_other_removed_collides():
    def remove_b(d):
        d["nodes"] = [n for n in d["nodes"] if n["id"] != "b"]
        d["edges"] = [{"source": "x", "target": "a"}, {"source": "a", "target": "y"}]

    def wire_b_again(d):
        d["edges"].append({"source": "x", "target": "b", "port": 1})

    assert merge(BASE, changed(w=wire_b_again), changed(r=remove_b)) is None


def test_inside_a_composite_block_changes_merge_the_same_way():
    block = {"params": {"c": 8},
             "nodes": [{"id": "i", "type": "Input"},
                       {"id": "l", "type": "Linear", "params": {"out_features": "=c"}},
                       {"id": "o", "type": "Output"}],
             "edges": [{"source": "i", "target": "l"}, {"source": "l", "target": "o"}]}
    base = changed(b=lambda d: d.update(blocks={"B": copy.deepcopy(block)}))
    mine = copy.deepcopy(base)
    mine["blocks"]["B"]["params"]["c"] = 16
    theirs = copy.deepcopy(base)
    theirs["blocks"]["B"]["nodes"][1]["label"] = "proj"
    out = merge(base, mine, theirs)
    assert out["blocks"]["B"]["params"] == {"c": 16}
    assert out["blocks"]["B"]["nodes"][1]["label"] == "proj"
    both = copy.deepcopy(theirs)
    both["blocks"]["B"]["nodes"][1]["label"] = "other"
    assert merge(base, both, theirs) is None


def test_preferring_mine_keeps_theirs_elsewhere_and_names_what_both_changed():
    from layerloom.ui.merge import merge_preferring_mine

    mine = changed(p=lambda d: node(d, "a")["params"].update(out_features=32))
    theirs = changed(p=lambda d: node(d, "a")["params"].update(out_features=16),
                     l=lambda d: node(d, "b").update(label="act"))
    out, contested = merge_preferring_mine(BASE, mine, theirs)
    assert node(out, "a")["params"]["out_features"] == 32 and node(out, "b")["label"] == "act"
    assert contested == ["a.params.out_features"]

    def remove_b(d):
        d["nodes"] = [n for n in d["nodes"] if n["id"] != "b"]
        d["edges"] = [{"source": "x", "target": "a"}, {"source": "a", "target": "y"}]

    relabelled = changed(l=lambda d: node(d, "b").update(label="act"))
    out, contested = merge_preferring_mine(BASE, changed(r=remove_b), relabelled)
    assert "b" not in [n["id"] for n in out["nodes"]] and contested == \
        ["b (removed here, changed there)"]
    # a node this tab changed that the other removed cannot come back without its edges
    assert merge_preferring_mine(BASE, relabelled, changed(r=remove_b)) is None


def test_two_blocks_added_under_one_id_are_both_kept():
    """Two tabs each added a Tanh as ``tanh1`` (each picked the next free id it saw): the
    merge keeps theirs and gives this edit's the next free id, its edges following."""
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "a", "type": "ReLU"}], "edges": []}
    theirs = {"nodes": base["nodes"] + [{"id": "tanh1", "type": "Tanh", "label": "theirs"}],
              "edges": [{"source": "a", "target": "tanh1"}]}
    mine = {"nodes": base["nodes"] + [{"id": "tanh1", "type": "Tanh", "label": "mine"}],
            "edges": [{"source": "tanh1", "target": "a"}]}
    out, contested = merge_or_why(base, mine, theirs)
    assert contested == []
    assert [(n["id"], n.get("label")) for n in out["nodes"]] == [
        ("a", None), ("tanh1", "theirs"), ("tanh2", "mine")]
    assert out["edges"] == [{"source": "a", "target": "tanh1"},
                            {"source": "tanh2", "target": "a"}]
    # the very same block added by both is one
    out, _ = merge_or_why(base, theirs, theirs)
    assert [n["id"] for n in out["nodes"]] == ["a", "tanh1"]


def test_why_two_edits_do_not_join_is_said():
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}], "edges": []}
    removed = {"nodes": [{"id": "a", "type": "ReLU"}], "edges": []}
    changed = {"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU",
                                                         "label": "x"}], "edges": []}
    wired = {"nodes": base["nodes"], "edges": [{"source": "a", "target": "b"}]}
    assert merge_or_why(base, changed, removed) == "it changes b, which the other edit removed"
    assert merge_or_why(base, wired, removed) == "it wires b, which the other edit removed"
    # the other way round: this edit removes a block the other wired (an undo of its drop)
    assert merge_or_why(base, removed, wired) == \
        "the other edit wired b, which this edit removes"


def rename(old, new):
    """The designer's rename of block ``old`` (edit.rename_node): its id, its wires following."""
    def apply(d):
        for n in d["nodes"]:
            n["id"] = new if n["id"] == old else n["id"]
        for e in d["edges"]:
            e["source"] = new if e["source"] == old else e["source"]
            e["target"] = new if e["target"] == old else e["target"]
    return apply


def test_a_block_renamed_in_one_tab_keeps_what_the_other_tab_changed_in_it():
    """Tab A renames a to dense while tab B sets a's out_features: the saved design has dense
    with B's out_features, in a's place. A rename was a node removed and another added: B's
    value went back to the old one, unsaid to B."""
    from layerloom.ui.merge import merge_or_why

    renamed = changed(r=rename("a", "dense"))
    edited = changed(p=lambda d: node(d, "a")["params"].update(out_features=16))
    for mine, theirs in ((renamed, edited), (edited, renamed)):  # whichever saved first
        out, contested = merge_or_why(BASE, mine, theirs)
        assert contested == []
        assert [n["id"] for n in out["nodes"]] == ["x", "dense", "b", "y"]
        assert node(out, "dense")["params"] == {"out_features": 16}
        assert {(e["source"], e["target"]) for e in out["edges"]} == \
            {("x", "dense"), ("dense", "b"), ("b", "y")}


def test_a_block_renamed_differently_in_two_tabs_is_one_block():
    from layerloom.ui.merge import merge_or_why

    out, contested = merge_or_why(BASE, changed(r=rename("a", "mine")),
                                  changed(r=rename("a", "theirs")))
    assert [n["id"] for n in out["nodes"]] == ["x", "mine", "b", "y"]
    assert contested == ["a (renamed mine here, theirs there)"]
    assert len(out["edges"]) == 3


def test_a_block_renamed_here_that_the_other_tab_removed_does_not_come_back():
    from layerloom.ui.merge import merge_or_why

    def remove_b(d):
        d["nodes"] = [n for n in d["nodes"] if n["id"] != "b"]
        d["edges"] = [{"source": "x", "target": "a"}, {"source": "a", "target": "y"}]

    assert merge_or_why(BASE, changed(r=rename("b", "act")), changed(r=remove_b)) == \
        "it renames b, which the other edit removed"
    # removed here, renamed there: removed, the other tab's version named
    out, contested = merge_or_why(BASE, changed(r=remove_b), changed(r=rename("b", "act")))
    assert [n["id"] for n in out["nodes"]] == ["x", "a", "y"]
    assert out["edges"] == [{"source": "x", "target": "a"}, {"source": "a", "target": "y"}]


def test_a_composite_block_renamed_in_one_tab_keeps_the_other_tabs_edit_inside_it():
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "x", "type": "Input"}, {"id": "u", "type": "B"}],
            "edges": [{"source": "x", "target": "u"}],
            "blocks": {"B": {"params": {"w": 1}, "nodes": [{"id": "r", "type": "ReLU"}],
                             "edges": []}}}
    renamed = copy.deepcopy(base)
    renamed["blocks"] = {"Body": renamed["blocks"].pop("B")}
    renamed["nodes"][1]["type"] = "Body"
    edited = copy.deepcopy(base)
    edited["blocks"]["B"]["nodes"][0]["label"] = "act"
    edited["blocks"]["B"]["params"]["w"] = 2
    for mine, theirs in ((renamed, edited), (edited, renamed)):  # whichever saved first
        out, contested = merge_or_why(base, mine, theirs)
        assert contested == [] and list(out["blocks"]) == ["Body"]
        assert out["blocks"]["Body"]["nodes"] == [{"id": "r", "type": "ReLU", "label": "act"}]
        assert out["blocks"]["Body"]["params"] == {"w": 2}
        assert out["nodes"][1] == {"id": "u", "type": "Body"}


def test_two_composite_blocks_added_under_one_name_are_both_kept():
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "x", "type": "Input"}], "edges": []}

    def grouped(inner: str, node: str):
        return {"nodes": [{"id": "x", "type": "Input"}, {"id": node, "type": "Block"}],
                "edges": [{"source": "x", "target": node}],
                "blocks": {"Block": {"nodes": [{"id": inner, "type": "ReLU"}], "edges": []}}}

    out, contested = merge_or_why(base, grouped("mine", "g1"), grouped("theirs", "g1"))
    assert contested == []
    assert out["blocks"] == {"Block": {"nodes": [{"id": "theirs", "type": "ReLU"}], "edges": []},
                             "Block2": {"nodes": [{"id": "mine", "type": "ReLU"}], "edges": []}}
    assert [(n["id"], n["type"]) for n in out["nodes"]] == \
        [("x", "Input"), ("g1", "Block"), ("g2", "Block2")]
    # the very same block added by both is one
    out, _ = merge_or_why(base, grouped("same", "g1"), grouped("same", "g1"))
    assert list(out["blocks"]) == ["Block"]


def test_blocks_renamed_side_by_side_keep_the_other_tabs_edits():
    """The other tab renamed a and b (wired to each other) in two saves; this tab, still
    showing a, sets its out_features: it lands on the block as renamed, and the wire between
    them is one. Checking each rename's wires against the other's old id saw neither."""
    from layerloom.ui.merge import merge_or_why

    theirs = changed(r=rename("a", "dense"), s=rename("b", "act"))
    mine = changed(p=lambda d: node(d, "a")["params"].update(out_features=16))
    out, contested = merge_or_why(BASE, mine, theirs)
    assert contested == []
    assert [n["id"] for n in out["nodes"]] == ["x", "dense", "act", "y"]
    assert node(out, "dense")["params"] == {"out_features": 16}
    assert [(e["source"], e["target"]) for e in out["edges"]] == \
        [("x", "dense"), ("dense", "act"), ("act", "y")]


def test_an_id_another_block_took_since_is_not_this_tabs_block():
    """Two Linear blocks at their places on the canvas; the other tab renamed a to head and
    then c to a. This tab, still showing the old a, sets its out_features: it belongs to head,
    never to the block now called a. A rename here to an id the other tab gave another block
    takes the next free id."""
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "a", "type": "Linear", "params": {"out_features": 8},
                       "position": [0, 0]},
                      {"id": "c", "type": "Linear", "params": {"out_features": 4},
                       "position": [200, 0]}],
            "edges": [{"source": "a", "target": "c"}]}
    theirs = {"nodes": [{**base["nodes"][0], "id": "head"}, {**base["nodes"][1], "id": "a"}],
              "edges": [{"source": "head", "target": "a"}]}
    mine = copy.deepcopy(base)
    mine["nodes"][0]["params"]["out_features"] = 16
    out, contested = merge_or_why(base, mine, theirs)
    assert contested == []
    assert [(n["id"], n["params"]["out_features"]) for n in out["nodes"]] == \
        [("head", 16), ("a", 4)]
    assert out["edges"] == [{"source": "head", "target": "a"}]

    renamed_here = {"nodes": [base["nodes"][0], {**base["nodes"][1], "id": "head"}],
                    "edges": [{"source": "a", "target": "head"}]}  # c renamed head here
    out, contested = merge_or_why(base, renamed_here, theirs)
    assert contested == ["c (renamed head here, a there)"]
    assert [(n["id"], n["params"]["out_features"]) for n in out["nodes"]] == \
        [("head", 8), ("head1", 4)]
    assert out["edges"] == [{"source": "head", "target": "head1"}]


def test_a_block_another_tab_deleted_and_whose_id_a_new_block_took_is_not_that_block():
    """The other tab deleted tanh1 and dropped another Tanh, which the canvas named tanh1 (the
    lowest id free). This tab, still showing the old tanh1, deletes it, or labels it: neither
    is done to the new block (it was deleted, or labelled, unsaid); both are refused, said."""
    from layerloom.ui.merge import merge_or_why

    base = {"nodes": [{"id": "a", "type": "ReLU", "position": [0, 0]},
                      {"id": "tanh1", "type": "Tanh", "position": [200, 0]}],
            "edges": [{"source": "a", "target": "tanh1"}]}
    theirs = {"nodes": [base["nodes"][0], {"id": "tanh1", "type": "Tanh", "position": [0, 300]}],
              "edges": []}
    deleted = {"nodes": [base["nodes"][0]], "edges": []}
    assert merge_or_why(base, deleted, theirs) == (
        "it removes tanh1, which the other edit removed or moved (the block of that id there "
        "is not the one shown here)")
    labelled = copy.deepcopy(base)
    labelled["nodes"][1]["label"] = "squash"
    assert merge_or_why(base, labelled, theirs) == \
        "it changes tanh1, which the other edit removed"
    moved = copy.deepcopy(base)  # moved there, its wire kept: the same block, deleted here
    moved["nodes"][1]["position"] = [0, 300]
    out, contested = merge_or_why(base, deleted, moved)
    assert out == deleted and contested == ["tanh1 (removed here, changed there)"]


def test_a_block_renamed_and_moved_in_the_other_tab_is_told_by_its_wires():
    from layerloom.ui.merge import merge_or_why

    def placed(d):
        for i, n in enumerate(d["nodes"]):
            n["position"] = [i * 200, 0]

    base = changed(p=placed)
    theirs = changed(p=placed, r=rename("a", "dense"),
                     m=lambda d: node(d, "dense").update(position=[500, 500]))
    mine = changed(p=placed, e=lambda d: node(d, "a")["params"].update(out_features=16))
    out, contested = merge_or_why(base, mine, theirs)
    assert contested == [] and [n["id"] for n in out["nodes"]] == ["x", "dense", "b", "y"]
    assert node(out, "dense")["params"] == {"out_features": 16}
    assert node(out, "dense")["position"] == [500, 500]


def test_a_large_design_laid_out_anew_merges_at_once():
    """2,000 blocks (an imported model's size), all moved by an auto layout in this tab while
    the other tab set one param: both kept. (Its cost against the design's size, which was
    quadratic, is measured by benchmarks/merge_bench.py, not timed here.)"""
    from layerloom.ui.merge import merge_or_why

    n = 2000
    base = {"nodes": [{"id": f"l{i}", "type": "Linear", "params": {"out_features": 4},
                       "position": [i, 0]} for i in range(n)],
            "edges": [{"source": f"l{i}", "target": f"l{i + 1}"} for i in range(n - 1)]}
    mine = copy.deepcopy(base)
    for block in mine["nodes"]:
        block["position"] = [block["position"][0], 50]
    theirs = copy.deepcopy(base)
    theirs["nodes"][3]["params"]["out_features"] = 9
    out, contested = merge_or_why(base, mine, theirs)
    assert contested == [] and out["nodes"][3] == {
        "id": "l3", "type": "Linear", "params": {"out_features": 9}, "position": [3, 50]}
