"""The bundle's README describes the data the run trained on, not the data the template was sized
for, and its examples use the run's real sizes (token ids of its vocabulary, its input shape)."""

from __future__ import annotations

import json
import zipfile

import torch

from layerloom.graph import compile_graph, loads_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.templates import load_template

from .conftest import chain_graph

VOCAB = ["<pad>", "<unk>", "great", "film", "boring", "plot", "loved", "it"]


def _card(tmp_path, graph, dataset) -> str:
    torch.manual_seed(0)
    run = RunInfo(dataset=dataset, state_dict=compile_graph(graph).state_dict(), run_id=5)
    result = export_model(graph, "bundle", tmp_path / "b.zip", run=run)
    with zipfile.ZipFile(result.path) as archive:
        return archive.read("README.md").decode("utf-8")


def _text_graph():
    graph = load_template("transformer-text")
    graph.variables.update(d_model=16, heads=2, layers=1, vocab=50)  # 50 rows, 8 words known
    return graph


def test_a_text_run_on_its_own_csv_is_described_by_its_data(tmp_path):
    card = _card(tmp_path, _text_graph(),
                 {"name": "reviews.csv", "task": "classification", "classes": ["neg", "pos"],
                  "vocab": VOCAB, "meta": {"text_column": "review"},
                  "splits": {"train": {"size": 140}, "val": {"size": 20}, "test": {"size": 40}}})
    assert "synthetic film reviews" not in card and "1000" not in card
    assert card.splitlines()[2] == ("*(The design's description is left out: it was written for "
                                    "text-sentiment, not reviews.csv, the data this model was "
                                    "trained on.)*")
    data = card.split("## Training data", 1)[1].split("\n## ", 1)[0]
    assert "- Dataset: reviews.csv" in data
    assert '- Each sample: `[32]` int64 (token ids), from the column "review"' in data
    assert "- Vocabulary: 8 tokens" in data
    assert "- Classes (2): neg, pos" in card
    usage = card.split("## How to load it", 1)[1].split("\n## ", 1)[0]
    assert "outputs = model(torch.randint(0, 8, (1, 32)))" in usage
    assert '{"tokens": np.random.randint(0, 8, (1, 32)).astype(np.int64)}' in usage
    assert "Token ids come from the 8-word training vocabulary" in usage
    assert "50" not in usage


def test_the_templates_own_data_keeps_its_description(tmp_path):
    card = _card(tmp_path, _text_graph(),
                 {"name": "text-sentiment", "task": "classification",
                  "classes": ["negative", "positive"], "vocab": VOCAB})
    assert card.splitlines()[2].startswith("Transformer encoder for text classification")


def test_a_run_on_standardised_data_says_how_to_feed_raw_data(tmp_path):
    graph = loads_graph(json.dumps(chain_graph(
        ("signal", "Input", {"shape": [3, 64]}), ("flat", "Flatten"),
        ("fc", "Linear", {"out_features": 4}), ("out", "Output"), name="sensor")))
    card = _card(tmp_path, graph, {"name": "sensors.npz", "classes": ["a", "b", "c", "d"],
                                   "normalization": {"kind": "channel", "mean": [0, 10, 20],
                                                     "std": [1, 2, 4]}})
    usage = card.split("## How to load it", 1)[1].split("\n## ", 1)[0]
    assert "The model was trained on standardised inputs (see Expected input)" in usage
    assert "The random inputs below stand for standardised ones." in usage
    assert "outputs = model(torch.randn(1, 3, 64))" in usage
    assert "outputs = model(standardize_input(raw))  # raw: [batch, 3, 64] raw values" in usage
    assert '{"signal": np.random.randn(1, 3, 64).astype(np.float32)}' in usage
    data = card.split("## Training data", 1)[1].split("\n## ", 1)[0]
    assert "- Each sample: `[3, 64]` float32 (values)" in data


def test_the_card_names_the_data_file_not_the_folder_it_was_trained_from(tmp_path):
    """The bundle travels: its README says reviews.csv, never the trainer's own folders."""
    card = _card(tmp_path, _text_graph(),
                 {"name": "reviews.csv", "source": "/home/ada/private/data/reviews.csv",
                  "task": "classification", "classes": ["neg", "pos"], "vocab": VOCAB})
    assert "- Dataset: reviews.csv\n" in card
    assert "/home/ada" not in card and "private" not in card
