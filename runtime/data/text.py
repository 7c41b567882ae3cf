"""Texts to token ids: a lowercase word tokeniser, a vocabulary built from the training texts
only, and CSV files of texts and labels.

>>> tokenize("Great film -- I'd see it AGAIN!")
['great', 'film', "i'd", 'see', 'it', 'again']
>>> vocab = build_vocab([["a", "b", "a"]], max_vocab=10)
>>> vocab
['<pad>', '<unk>', 'a', 'b']
>>> encode([["b", "zzz"]], vocab, length=4).tolist()
[[3, 1, 0, 0]]
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from layerloom.graph.export.predict_script import WORD as WORD_PATTERN

from . import target as targets
from .build import assemble
from .table import Table, is_missing
from .dataset import Dataset
from .errors import DataError
from .split import SplitSpec, split_indices

PAD, UNK = "<pad>", "<unk>"  # ids 0 and 1
# Chinese and Japanese are written without spaces between words: each of their characters
# (kana, CJK ideographs) is a token of its own, as BERT's tokeniser makes them (a sentence was
# one "word", a category no other text shares); the pattern is predict.py's, which reads alike
WORD = re.compile(WORD_PATTERN)
_CJK_CHAR = re.compile(WORD_PATTERN.split("|")[0])
FREE_TEXT_WORDS = 4  # a column averaging this many words per cell is free text, not categories


def tokenize(text: str) -> list[str]:
    """Lowercase words (letters and digits, with inner apostrophes), each Chinese or Japanese
    character a token; punctuation dropped.

    >>> tokenize("とても良い映画 Great!")
    ['と', 'て', 'も', '良', 'い', '映', '画', 'great']
    """
    return WORD.findall(text.lower())


def build_vocab(token_lists: list[list[str]], max_vocab: int, min_freq: int = 1) -> list[str]:
    """``<pad>``, ``<unk>``, then the most frequent words (ties alphabetical), at most
    ``max_vocab`` entries in all."""
    counts = Counter(token for tokens in token_lists for token in tokens)
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    return [PAD, UNK] + words[:max(0, max_vocab - 2)]


def encode(token_lists: list[list[str]], vocab: list[str], length: int) -> np.ndarray:
    """Token ids ``[N, length]``: unknown words as ``<unk>``, cut at ``length``, padded with 0."""
    index = {word: i for i, word in enumerate(vocab)}
    ids = np.zeros((len(token_lists), length), dtype=np.int64)
    for row, tokens in enumerate(token_lists):
        cut = [index.get(token, 1) for token in tokens[:length]]
        ids[row, :len(cut)] = cut
    return ids


def text_dataset(name: str, source: str, texts: list[str], labels: np.ndarray,
                 classes: list[str], spec: SplitSpec, *, length: int, max_vocab: int,
                 min_freq: int = 1, meta: dict | None = None) -> Dataset:
    """A classification Dataset of token ids; the vocabulary sees the training texts only."""
    token_lists = [tokenize(text) for text in texts]
    split = split_indices(len(texts), spec, labels, where=name)
    vocab = build_vocab([token_lists[i] for i in split.train], max_vocab, min_freq)
    x = encode(token_lists, vocab, length)
    lengths = np.array([len(tokens) for tokens in token_lists])
    meta = {**(meta or {}), "truncated": int((lengths > length).sum()),
            "mean_tokens": float(lengths.mean()) if len(lengths) else 0.0}
    rare = targets.rare_classes_note(labels, classes, split.parts,
                                     meta.get("label_column", "the labels"))
    if rare:
        meta["notes"] = [*meta.get("notes", []), *rare]
    return assemble(name, source, x, labels, spec, classes=classes, tokens=True, split=split,
                    vocab=vocab, meta=meta)


def free_text_column(table: Table, exclude: set[str]) -> str | None:
    """The one column of free text (see :func:`free_text_columns`), if exactly one column is."""
    found = free_text_columns(table, exclude)
    return found[0] if len(found) == 1 else None


def free_text_columns(table: Table, exclude: set[str]) -> list[str]:
    """The columns of free text besides ``exclude``: not numbers nor dates, several words
    between spaces per cell on average."""
    found = []
    for name in table.header:
        if name in exclude:
            continue
        if not table.numbers(name)[1] or table.dates(name):
            continue  # numbers; dates and times (2024-03-01 08:00:00 is six "words")
        # words between spaces: an id (550e8400-e29b-41d4-…), a URL or an e-mail address
        # holds several tokens but is one word, not free text
        if mean_words(table, name) >= FREE_TEXT_WORDS:
            found.append(name)
    return found


def mean_words(table: Table, name: str, cjk: bool = True) -> float:
    """The mean of :func:`words_in` over column ``name``'s values (with ``cjk`` false, the
    words between spaces only), each distinct value counted once."""
    codes, distinct = table.distinct(name)
    counts = np.bincount(codes, minlength=len(distinct))
    if cjk and _CJK_CHAR.search("\n".join(distinct)):
        words = [words_in(value) for value in distinct]
    else:  # no Chinese or Japanese: the words between spaces, split in C
        words = list(map(len, map(str.split, distinct)))
    return float(np.dot(words, counts)) / len(codes)


def words_in(value: str) -> float:
    """The words of ``value`` between spaces; a run of Chinese or Japanese characters, written
    without spaces, counts one word per two characters (about their words' length), so that
    a sentence is free text and a place name (``北海道``) a category.

    >>> words_in("これはとても良い映画です"), words_in("北海道"), words_in("a b c")
    (6.0, 1.5, 3.0)
    """
    han = len(_CJK_CHAR.findall(value))
    return len(_CJK_CHAR.sub(" ", value).split()) + han / 2



def _only_words_column(table: Table, label_column: str | None) -> str | None:
    """Where the texts are short (a word or two, which :func:`free_text_column` takes for
    categories) but the file is read as text: the only column besides the labels (the named
    one, else the last column), when it is not numbers."""
    label = label_column or (table.header[-1] if table.header else None)
    others = [name for name in table.header if name != label]
    if len(others) != 1 or not table.numbers(others[0])[1]:
        return None
    return others[0]


def load_text_csv(table: Table, spec: SplitSpec, *, text_column: str | None,
                  label_column: str | None, length: int, max_vocab: int,
                  min_freq: int) -> Dataset:
    """A classification Dataset of token ids ``[length]`` from a CSV of texts and labels.

    ``text_column`` defaults to the one free-text column, ``label_column`` to the last other
    column. Other columns are ignored. A missing text counts as empty; a missing label is an
    error naming its line.
    """
    text_column = text_column or free_text_column(table, {label_column} - {None}) or \
        _only_words_column(table, label_column)
    if text_column is None:
        listed = ", ".join(repr(name) for name in table.header[:12])
        raise DataError(f"cannot tell which column holds the texts (the columns: {listed}); "
                        f"name it with text_column=NAME", file=table.path)
    table.column(text_column)
    if label_column is None:
        others = [name for name in table.header if name != text_column]
        if not others:
            raise DataError(f"no label column besides the texts in {text_column!r}",
                            file=table.path)
        label_column = others[-1]
    if label_column == text_column:
        raise DataError(f"column {text_column!r} cannot be both the texts and the labels",
                        file=table.path)
    table, unlabelled = targets.labelled(table, label_column)
    goal = targets.from_column(table, label_column, "classification")
    unlabelled += targets.case_note(label_column, goal.classes)
    texts = ["" if is_missing(value) else value for value in table.column(text_column)]
    ignored = [name for name in table.header if name not in (text_column, label_column)]
    meta = {"text_column": text_column, "label_column": label_column, "ignored_columns": ignored}
    left_out = []
    if ignored:  # a table of numbers with one column of notes is read as texts: say so
        shown = ", ".join(ignored[:8]) + (" …" if len(ignored) > 8 else "")
        left_out = [f"read as texts ({text_column!r}) and their labels ({label_column!r}); "
                    f"{'its other column' if len(ignored) == 1 else 'the other columns'} "
                    f"({shown}) left out: to train on {'it' if len(ignored) == 1 else 'them'} "
                    f"instead, load it with kind=tabular and drop=[{text_column!r}]"]
    if table.notes or unlabelled or left_out:
        meta["notes"] = table.notes + unlabelled + left_out
    return text_dataset(table.path.name, str(table.path), texts, goal.y, goal.classes, spec,
                        length=length, max_vocab=max_vocab, min_freq=min_freq, meta=meta)
