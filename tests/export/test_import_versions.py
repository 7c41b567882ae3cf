"""Graph files of another format version get a clear message, or their migration."""

from __future__ import annotations

import pytest

from layerloom.graph import GraphError, io, loads_graph

GRAPH = ('{"format": "layerloom-graph", "version": %d, "name": "t", "nodes": '
         '[{"id": "x", "type": "Input", "params": {"shape": [3]}}, {"id": "y", "type": "Output"}],'
         ' "edges": [{"source": "x", "target": "y"}]}')


def test_a_newer_version_asks_for_a_newer_layerloom():
    with pytest.raises(GraphError, match="this graph is format version 2, written by a newer "
                                         "LayerLoom; this one reads version 1: upgrade "
                                         "LayerLoom to open it"):
        loads_graph(GRAPH % 2)


def test_an_older_version_without_a_migration_says_so():
    with pytest.raises(GraphError, match=r"format version 0 is not supported \(this LayerLoom "
                                         r"reads version 1 and has no migration from 0\)"):
        loads_graph(GRAPH % 0)


def test_an_older_version_is_migrated(monkeypatch):
    def rename_layers(data):  # a made-up version 0 that called the node list "layers"
        data = dict(data, version=1)
        data["nodes"] = data.pop("layers")
        return data

    monkeypatch.setitem(io.MIGRATIONS, 0, rename_layers)
    graph = loads_graph((GRAPH % 0).replace('"nodes"', '"layers"'))
    assert [n.id for n in graph.nodes] == ["x", "y"] and graph.version == 1
