"""The designer's upload refuses a 15 MB design made mostly of one key the format does not
know, naming the key (it opened in about 15 s, the key carried through every save)."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError
from layerloom.ui.projects import read_upload


def test_an_uploaded_design_made_mostly_of_one_unknown_key_is_refused_naming_it():
    data = json.dumps({"format": "layerloom-graph", "version": 1, "name": "x",
                       "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                                 {"id": "y", "type": "Output"}],
                       "edges": [{"source": "x", "target": "y"}],
                       "history": list(range(1_250_000))}, indent=2).encode()
    assert len(data) > 15_000_000
    with pytest.raises(GraphError, match=r"^design\.json: graph: unknown key 'history' holds "
                                         r"more than 100 kB of JSON .*: remove it from the "
                                         r"file and open it again$"):
        read_upload("design.json", data)
