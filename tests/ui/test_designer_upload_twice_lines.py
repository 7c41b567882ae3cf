"""A design file whose nodes share an id is refused on opening (the canvas shows one block per
id) naming the lines of those nodes, where a long file left the user to search for them."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError
from layerloom.ui.projects import read_upload

DESIGN = {"format": "layerloom-graph", "version": 1, "name": "t",
          "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                    {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                    {"id": "fc", "type": "ReLU"},
                    {"id": "y", "type": "Output"}],
          "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "y"}]}


def test_nodes_sharing_an_id_are_named_by_their_lines():
    with pytest.raises(GraphError) as err:
        read_upload("dup.json", json.dumps(DESIGN, indent=2).encode())
    assert str(err.value) == (
        "dup.json: node id 'fc' is used by 2 nodes (lines 15 and 22): the canvas shows one "
        "block per id, so the others could not be seen or fixed here; give each node its own "
        "id and open the file again")


def test_in_a_composite_block_too():
    graph = json.loads(json.dumps(DESIGN))
    graph["nodes"][2]["id"] = "act"
    graph["blocks"] = {"B": {"nodes": [{"id": "i", "type": "Input"}, {"id": "i", "type": "ReLU"},
                                       {"id": "o", "type": "Output"}],
                             "edges": [{"source": "i", "target": "o"}]}}
    with pytest.raises(GraphError, match=r"^dup\.json: node id 'i' is used by 2 nodes in block "
                                         r"'B' \(lines 44 and 48\): the canvas"):
        read_upload("dup.json", json.dumps(graph, indent=2).encode())
