"""``layerloom validate`` lists every problem at once (issue 15): a typo in a later node's
expression beside an earlier shape error, and a note for each shape not checked behind it."""

from __future__ import annotations

import json

from layerloom.cli import main
from layerloom.graph import load_graph
from layerloom.graph.edit import annotations

GRAPH = {"format": "layerloom-graph", "version": 1, "name": "t", "variables": {"classes": 10},
         "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 28, 28]}},
                   {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8,
                                                                "kernel_size": 99}},
                   {"id": "flat", "type": "Flatten"},
                   {"id": "fc", "type": "Linear", "params": {"out_features": "=clases"}},
                   {"id": "y", "type": "Output"}],
         "edges": [{"source": a, "target": b} for a, b in [("x", "conv1"), ("conv1", "flat"),
                                                           ("flat", "fc"), ("fc", "y")]]}


def test_validate_lists_the_later_typo_and_notes(tmp_path, capsys):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(GRAPH))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == ["error", "error", "note", "note", "note"]
    assert "conv1.kernel_size: kernel 99×99 is larger" in err[0]
    assert "fc.out_features" in err[1] and "unknown name 'clases' (did you mean 'classes'?); known: classes" in err[1]
    assert err[2] == "note: flat: shape not checked: it depends on conv1, which has an error"


def test_notes_put_no_badge_on_the_canvas():
    from layerloom.graph import validate

    graph = load_graph(GRAPH)
    found = annotations(validate(graph))
    assert found["nodes"]["flat"]["warnings"] == [] and found["nodes"]["flat"]["errors"] == []
    assert found["nodes"]["fc"]["errors"]  # its own typo is still shown
