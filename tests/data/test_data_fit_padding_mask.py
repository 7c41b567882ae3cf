"""An imported Hugging Face text model takes input_ids and an attention_mask (BERT exported
with both: the attention_mask Input feeds a PaddingMask, the attentions' key_padding_mask), but
training feeds a text dataset to one Input. LayerLoom's text datasets pad with id 0 (<pad>), so
the ids show the padding themselves: the fit says so and its one-click change feeds the
PaddingMask from input_ids and removes attention_mask, which gives the same numbers as the
model given ``attention_mask = ids != 0``. It said "keep exactly one Input", an edit that left
the PaddingMask without an input, and the model could not be trained on the data at all."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from layerloom.graph import compile_graph, validate
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.runtime import TrainConfig, load_dataset, train
from layerloom.runtime.data.fit import apply_changes, check_fit

BERT = Path(__file__).parents[1] / "export" / "transformers_onnx" / "bert_mask_torchscript.onnx"


def _bert():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a table imports trainable: said, tested elsewhere
        graph, state, _ = import_onnx(BERT)
    return graph, state


def test_the_attention_mask_input_is_fed_from_the_ids_and_the_model_trains(tmp_path):
    graph, state = _bert()
    ds = load_dataset("text-sentiment", length=8)
    fit = check_fit(graph, ds)
    mask = fit.problems[0]
    assert (mask.node, mask.kind) == ("attention_mask", "inputs")
    assert str(mask) == (
        "attention_mask: training feeds text-sentiment's token ids to one Input, but the design "
        "has 2 (input_ids, attention_mask); attention_mask only marks padding (its zeros, for "
        "padding_mask), which the ids show themselves: text-sentiment pads with id 0 (<pad>). "
        "Fix: feed padding_mask from input_ids (with pad_value 0) and remove attention_mask.")
    assert [str(c) for c in mask.changes] == [
        "padding_mask's input to input_ids (attention_mask, then unused, removed)"]
    # the rest of the design is judged as it will be: only the class count is left
    assert [(p.node, p.fix) for p in fit.problems[1:]] == [
        ("model_classifier", "set model_classifier's out_features to 2")]

    rewired = apply_changes(graph, mask.changes)
    assert validate(rewired).ok
    assert [n.id for n in rewired.nodes if n.type == "Input"] == ["input_ids"]
    before, after = compile_graph(graph).eval(), compile_graph(rewired).eval()
    before.load_state_dict(state)
    after.load_state_dict(state)
    ids = ds.x_train[:6]
    assert (ids == 0).any() and (ids != 0).any()  # padded texts
    with torch.no_grad():
        torch.testing.assert_close(after(ids), before(ids, (ids != 0).long()), atol=1e-6,
                                   rtol=0)

    fitted = apply_changes(graph, [c for p in fit.problems for c in p.changes])
    assert check_fit(fitted, ds).ok
    result = train(fitted, ds, TrainConfig(epochs=1, batch_size=64, seed=0))
    assert result.status == "completed"
    assert 0 <= result.metrics["test_accuracy"] <= 1


def test_ids_of_the_models_own_tokenizer_name_the_edit_and_the_pad_id(tmp_path):
    """An .npz of ids from the model's own tokenizer (as the training note advises) is padded
    with that tokenizer's pad id, which the data do not say: the same edit is named, to be
    made by hand with that pad id, and the rest of the design is judged as it will be."""
    import numpy as np

    graph, _ = _bert()
    rng = np.random.default_rng(0)
    x = rng.integers(1, 100, (60, 8))
    x[::2, 5:] = 0  # [PAD]
    np.savez(tmp_path / "ids.npz", x=x, y=rng.integers(0, 2, 60))
    ds = load_dataset(str(tmp_path / "ids.npz"), dtype="int64")
    assert ds.dtype == "int64" and not ds.vocab
    fit = check_fit(graph, ds)
    assert [str(p) for p in fit.problems] == [
        "attention_mask: training feeds ids.npz's token ids to one Input, but the design has 2 "
        "(input_ids, attention_mask); attention_mask only marks padding (its zeros, for "
        "padding_mask), which the ids show themselves, padded with the pad id of the tokenizer "
        "that made them. Fix: feed padding_mask from input_ids, set its pad_value to that pad "
        "id (0 for BERT's [PAD], 1 for RoBERTa's <pad>), and remove attention_mask.",
        "model_classifier: the design's output has 3 values per sample but ids.npz has 2 "
        "classes. Fix: set model_classifier's out_features to 2."]
    assert not fit.problems[0].fixable and fit.problems[1].fixable
