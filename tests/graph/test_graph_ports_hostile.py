"""Hostile values in the multi-output and scalar blocks: a clear, bounded message each."""

from __future__ import annotations

import pytest

from layerloom.graph import validate


def graph(node: dict, source_port=0) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "t",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": [8, 6]}}, node,
                      {"id": "o", "type": "Output"}],
            "edges": [{"source": "x", "target": node["id"]},
                      {"source": node["id"], "target": "o", "source_port": source_port}]}


def first_error(g: dict) -> str:
    report = validate(g)
    assert not report.ok
    return str(report.errors[0])


def test_a_long_output_name_is_cut_in_the_message():
    message = first_error(graph({"id": "c", "type": "Chunk", "params": {"chunks": 2}},
                                "x" * 100_000))
    assert "has no output 'xxxx" in message and "..." in message
    assert len(message) < 400


def test_a_huge_sizes_list_is_shown_by_its_first_entries():
    message = first_error(graph({"id": "c", "type": "Split", "params": {"sizes": [1] * 200_000}}))
    assert message.startswith("c.sizes: sizes [1, 1, 1, 1, 1, 1, 1, 1, … 199992 more] add up "
                              "to 200000, but dimension 0 of [8, 6] has 8")


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_an_infinite_float_param_is_refused(value):
    g = graph({"id": "c", "type": "Rescaling", "params": {"scale": value}})
    g["edges"][1].pop("source_port")
    assert first_error(g) == f"c.scale: scale expected a finite number, got {value}"
