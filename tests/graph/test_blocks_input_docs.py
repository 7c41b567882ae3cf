"""The Input block's docs link leads to what its params mean, not to the generic tensor page:
PyTorch's page on datasets and data loaders, where one sample has the shape an Input takes
([1, 28, 28], no batch) and the DataLoader adds the batch."""

from __future__ import annotations

from pathlib import Path

from layerloom.graph.registry import find_block

DATA_TUTORIAL = "https://pytorch.org/tutorials/beginner/basics/data_tutorial.html"


def test_the_input_links_the_page_on_samples_and_batches():
    spec = find_block("Input")
    assert spec.doc_url == DATA_TUTORIAL
    assert "tensors.html" not in spec.doc_url


def test_the_blocks_reference_links_it_too():
    blocks_md = (Path(__file__).resolve().parents[2] / "docs" / "blocks.md").read_text()
    section = blocks_md[blocks_md.index("\n### Input\n"):]
    section = section[:section.index("\n#", 1)]
    assert DATA_TUTORIAL in section
