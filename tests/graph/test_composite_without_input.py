"""A composite block whose definition holds no Input block (two tabs' edits merged can leave
one: a block grouped alone that had lost its input) is a problem validate names, on the node
that uses it. validate raised IndexError instead (resolve read the dtype of its first input),
which the Designer met at every run and a merge of two tabs' saves met while checking it."""

from __future__ import annotations

from layerloom.graph import load_graph, validate
from layerloom.graph.templates import load_template


def test_a_composite_block_without_an_input_is_named():
    design = load_template("seed-cnn").to_dict()
    design["blocks"] = {"Lone": {"params": {}, "nodes": [
        {"id": "d", "type": "Dropout", "position": [0, 0]},
        {"id": "out", "type": "Output", "position": [200, 0]}],
        "edges": [{"source": "d", "target": "out"}]}}
    design["nodes"].append({"id": "lone1", "type": "Lone", "position": [0, 600]})
    design["edges"].append({"source": "lone1", "target": "probs"})
    report = validate(load_graph(design))
    assert not report.ok
    assert "lone1: Lone has no input: the composite block Lone holds no Input block, so " \
        "nothing can feed it; add one inside it" in [str(e) for e in report.errors]
