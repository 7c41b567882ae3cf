"""A text model made for another sequence length than a text dataset's (an imported DistilBERT
whose position table has the 8 rows it was exported with, on text-sentiment's 32 tokens): the
Input's new shape would break its PositionalEmbedding, whose rows are the model's weights. The
fix says to load the data with ``length=8``, the dataset's own option that pads or cuts each
text, which keeps the design and its weights; it said only "pick data of the size the design
was made for", and the one edit it named (max_len) would throw the imported table away."""

from __future__ import annotations

from layerloom.graph.io import load_graph
from layerloom.runtime import load_dataset
from layerloom.runtime.data.fit import check_fit


def _text_model(length: int):
    nodes = [("tokens", "Input", {"shape": [length], "dtype": "int64"}),
             ("word_embeddings", "Embedding", {"num_embeddings": 1000, "embedding_dim": 16}),
             ("positions", "PositionalEmbedding", {"max_len": length}),
             ("pool", "SequencePool", {"mode": "mean"}),
             ("classifier", "Linear", {"out_features": 2}), ("output", "Output", {})]
    return load_graph({
        "format": "layerloom-graph", "version": 1, "name": "text",
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "edges": [{"source": a[0], "target": b[0]} for a, b in zip(nodes, nodes[1:])]})


def test_a_shorter_text_model_is_told_to_load_the_data_at_its_length():
    fit = check_fit(_text_model(8), load_dataset("text-sentiment"))
    [problem] = fit.problems
    assert problem.node == "tokens" and not problem.fixable
    assert problem.fix.endswith(
        "or keep the design and load text-sentiment with length=8, the tokens per text it was "
        "made for (CLI: --data-option length=8; Data page: the dataset's Options)")
    assert "positions.max_len" in problem.fix  # the design edit is still named
    # and that is the whole fix: at length 8 the design fits as it is
    assert check_fit(_text_model(8), load_dataset("text-sentiment", length=8)).ok


def test_images_keep_the_general_advice():
    from layerloom.graph.templates import load_template

    graph = load_template("seed-cnn")
    digits = load_dataset("digits")  # 8×8: the template's pooling no longer fits
    fixes = " ".join(p.fix for p in check_fit(graph, digits).problems)
    assert "length=" not in fixes


def test_a_per_token_head_is_the_linear_to_pool_before():
    """GPT-2's design gives logits per token ([8, 100]); fitted to 2 classes its lm_head gives
    [8, 2]. The pooling goes before lm_head, after the last residual join: the fix named the
    first Linear inside the first block (h_0_attn_c_attn), where a pooling would break every
    layer after it."""
    nodes = [("tokens", "Input", {"shape": [8], "dtype": "int64"}),
             ("wte", "Embedding", {"num_embeddings": 1000, "embedding_dim": 16}),
             ("c_fc", "Linear", {"out_features": 16}), ("gelu", "GELU", {}),
             ("add", "Add", {}), ("ln_f", "LayerNorm", {}),
             ("lm_head", "Linear", {"out_features": 2}), ("output", "Output", {})]
    edges = [("tokens", "wte"), ("wte", "c_fc"), ("c_fc", "gelu"), ("gelu", "add"),
             ("wte", "add"), ("add", "ln_f"), ("ln_f", "lm_head"), ("lm_head", "output")]
    graph = load_graph({
        "format": "layerloom-graph", "version": 1, "name": "lm",
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "edges": [{"source": a, "target": b} for a, b in edges]})
    [problem] = check_fit(graph, load_dataset("text-sentiment", length=8)).problems
    assert (problem.node, problem.fix) == ("lm_head", "add SequencePool (or Flatten) before "
                                                      "lm_head")
