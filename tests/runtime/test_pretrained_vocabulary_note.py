"""An imported text model trained from its own weights on a text dataset LayerLoom tokenised:
the embedding table was learned for the model's tokenizer, and the dataset numbers its words
its own way, so every id starts from another token's vector. Training said nothing of it (the
weights load, the loss falls as from scratch); it now says so when training starts, naming the
table, the file and the dataset's numbering, and what keeps the pretrained meaning. Training
from fresh weights, or on data that are no LayerLoom text, says nothing."""

from __future__ import annotations

import warnings
from pathlib import Path

from safetensors.torch import save_file

from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.runtime import TrainConfig, load_dataset, train
from layerloom.runtime.data.fit import apply_changes, check_fit

BERT = Path(__file__).parents[1] / "export" / "transformers_onnx" / "bert_mask_torchscript.onnx"


def _messages(graph, ds, **config) -> list[str]:
    said = []
    train(graph, ds, TrainConfig(epochs=1, batch_size=128, seed=0, **config),
          callback=lambda e: said.append(e.message) if e.kind == "message" else None)
    return said


def test_pretrained_token_ids_on_another_vocabulary_are_said(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph, state, _ = import_onnx(BERT)
    save_file(state, tmp_path / "bert.safetensors")
    ds = load_dataset("text-sentiment", length=8)
    graph = apply_changes(graph, [c for p in check_fit(graph, ds).problems for c in p.changes])
    said = _messages(graph, ds, init_weights=str(tmp_path / "bert.safetensors"))
    notes = [m for m in said if "own tokenizer" in m]
    assert notes == [
        f"model_bert_embeddings_word_embeddings starts from the 100 rows of "
        f"{tmp_path / 'bert.safetensors'}, learned for the model's own tokenizer, but "
        f"text-sentiment numbers its {len(ds.vocab)} words its own way (2 '{ds.vocab[2]}', "
        f"3 '{ds.vocab[3]}', 4 '{ds.vocab[4]}', …): each id starts from the vector of whatever "
        f"token the model's tokenizer numbered so, and the pretrained meaning of the words is "
        f"lost (training learns them as from scratch). To keep it, give the texts as the "
        f"model's own token ids: an .npz with x (ids from its tokenizer, padded with its pad "
        f"id) and y (the labels)"]
    assert not any("own tokenizer" in m for m in _messages(graph, ds))  # fresh weights
