"""What starting a text model from brought-in weights means on a dataset LayerLoom tokenised.

A pretrained model's embedding table is indexed by its own tokenizer's ids (BERT's 2023 is
"the"); a text dataset read by LayerLoom numbers its own vocabulary (<pad> 0, <unk> 1, then its
words by frequency). The weights load, training runs, and nothing fails, but every id now
starts from the vector of another token: the pretrained word vectors are noise for these
texts. Said once, when training starts, with what keeps them.
"""

from __future__ import annotations

from torch import nn


def vocabulary_note(module: nn.Module, dataset, weights: str, fresh: list[str]) -> str | None:
    """The note for ``module`` (the compiled design) started from ``weights`` on ``dataset``:
    None unless the data are token ids of LayerLoom's own vocabulary (``dataset.vocab``) and an
    nn.Embedding took its table from the file (not in ``fresh``, the keys that start anew)."""
    vocab = getattr(dataset, "vocab", None)
    if not vocab:
        return None
    loaded = [(name, m) for name, m in module.named_modules()
              if isinstance(m, nn.Embedding) and f"{name}.weight" not in fresh]
    if not loaded:
        return None
    name, table = loaded[0]
    words = ", ".join(f"{i} '{w}'" for i, w in enumerate(vocab[2:5], start=2))
    return (f"{name} starts from the {table.num_embeddings} rows of {weights}, learned for the "
            f"model's own tokenizer, but {dataset.name} numbers its {len(vocab)} words its own "
            f"way ({words}, …): each id starts from the vector of whatever token the model's "
            f"tokenizer numbered so, and the pretrained meaning of the words is lost (training "
            f"learns them as from scratch). To keep it, give the texts as the model's own token "
            f"ids: an .npz with x (ids from its tokenizer, padded with its pad id) and y (the "
            f"labels)")
