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
    cut = cut_note(lengths, length)
    if cut:
        meta["notes"] = [*meta.get("notes", []), cut]
    rare = targets.rare_classes_note(labels, classes, split.parts,
                                     meta.get("label_column", "the labels"))
    if rare:
        meta["notes"] = [*meta.get("notes", []), *rare]
    return assemble(name, source, x, labels, spec, classes=classes, tokens=True, split=split,
                    vocab=vocab, meta=meta)


def cut_note(lengths: np.ndarray, length: int) -> str | None:
    """Where a quarter of the texts or more are longer than ``length`` tokens, which the model
    never sees: how many are cut, and the ``length`` that would keep nine texts in ten whole.

    >>> print(cut_note(np.array([300, 280, 20, 310]), 64))
    3 of the 4 texts are longer than 64 tokens (length): each is cut to its first 64, the rest \
of it never seen by the model (the texts average 228 tokens, the longest 310). To keep more of \
them, load the file with a larger length, such as 307 (nine texts in ten whole; CLI: \
--data-option length=307; Data page: the file's options)
    """
    cut = int((lengths > length).sum())
    if not len(lengths) or cut * 4 < len(lengths):
        return None
    most = max(length + 1, int(np.ceil(np.percentile(lengths, 90))))
    return (f"{cut} of the {len(lengths)} texts are longer than {length} tokens (length): each "
            f"is cut to its first {length}, the rest of it never seen by the model (the texts "
            f"average {lengths.mean():.0f} tokens, the longest {lengths.max()}). To keep more "
            f"of them, load the file with a larger length, such as {most} (nine texts in ten "
            f"whole; CLI: --data-option length={most}; Data page: the file's options)")


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
    unlabelled += _empty_texts_note(table, text_column, texts)
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


def _empty_texts_note(table: Table, text_column: str, texts: list[str]) -> list[str]:
    """A note naming the lines whose text is empty: each is trained on as a text of no words
    (all ``<pad>``), which teaches only how common its label is."""
    empty = [line for line, text in zip(table.lines, texts, strict=True) if not tokenize(text)]
    if not empty:
        return []
    n = len(empty)
    shown = ", ".join(map(str, empty[:8])) + (" …" if n > 8 else "")
    return [f"{n} row{'' if n == 1 else 's'} with no words in {text_column!r} (line"
            f"{'' if n == 1 else 's'} {shown}) read as empty texts: the model learns nothing "
            f"from {'it but its label' if n == 1 else 'them but their labels'}; fill in the text or remove the "
            f"row{'' if n == 1 else 's'}"]
