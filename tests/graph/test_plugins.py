"""Third-party blocks through the ``layerloom.blocks`` entry-point group."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

from torch import nn

from layerloom.graph import BlockSpec, parse_graph, registry, summarize


def test_entry_point_block_is_registered(monkeypatch):
    module = types.ModuleType("my_blocks")

    def make():
        return BlockSpec("Scale2", "Custom", "Doubles its input.", infer=lambda p, ins: ins[0],
                         build=lambda p, ins: nn.Identity(), examples=(({}, ((3,),)),))

    module.make = make
    monkeypatch.setitem(sys.modules, "my_blocks", module)
    ep = EntryPoint(name="scale2", value="my_blocks:make", group="layerloom.blocks")
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep])
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    g = parse_graph({"format": "layerloom-graph", "version": 1, "name": "p", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [3]}}, {"id": "s", "type": "Scale2"},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "s"}, {"source": "s", "target": "y"}]})
    assert [n.type for n in summarize(g).nodes] == ["Input", "Scale2", "Output"]
    assert registry.get_block("Scale2").category == "Custom"
