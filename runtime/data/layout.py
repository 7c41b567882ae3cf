"""The layout rule shared by image folders and zips: the folder LayerLoom is pointed at holds one
folder per class, and each class folder holds its images.

A class folder whose images all lie in folders below it is refused: it is most often a
``train``/``val`` (or ``train``/``test``) tree, whose top folders would otherwise become the
classes "train" and "val" while the real classes were lost.
"""

from __future__ import annotations

from collections import Counter

from .errors import DataError

SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "dev", "test",
                         "testing", "eval"})
TRAIN_NAMES = ("train", "training")


def first_nested(nested: dict[str, list[str]]) -> str:
    """Of the class folders whose images all lie a level down (name: their sub-folders), the one
    to name: ``train`` (the one to point at) when it is among them, else the first."""
    return min(nested, key=lambda name: (name.lower() not in TRAIN_NAMES, name))


def nested_classes(shown: str, subfolders: list[str], *, file: str, zipped: bool) -> DataError:
    """The error for the class folder ``shown`` (``splitdir/train``) whose images all lie in
    ``subfolders``::

        splitdir: splitdir/train holds class folders ('a', 'b'), not images: point LayerLoom at
        splitdir/train (it keeps its own validation and test images from it)
    """
    names = ", ".join(repr(name) for name in sorted(subfolders)[:6])
    more = ", …" if len(subfolders) > 6 else ""
    top = shown.rsplit("/", 1)[-1].lower()
    point = (f"zip {shown} on its own, or unzip it and point LayerLoom at {shown}" if zipped
             else f"point LayerLoom at {shown}")
    if top in SPLIT_NAMES:
        return DataError(f"{shown} holds class folders ({names}{more}), not images: {point} "
                         f"(LayerLoom keeps its own validation and test images from it)",
                         file=file)
    return DataError(f"{shown} holds folders of images ({names}{more}), not images: each class "
                     f"folder must hold its images; if those folders are the classes, {point}",
                     file=file)


def below_note(below: list[tuple[str, str]]) -> list[str]:
    """The note for the images that lie in folders inside a class folder (``(class, its
    sub-folder)`` for each), read as that class: a ``dog/rejected`` folder of pictures set
    aside is trained on as dogs, which the user should know.

    >>> print(*below_note([("dog", "more"), ("dog", "more"), ("cat", "old")]))
    3 images lie in folders inside their class folder and are read as that class: dog/more (2), cat/old (1); move out any that are not of their class
    """
    if not below:
        return []
    counts = Counter(below)
    shown = ", ".join(f"{name}/{sub} ({n:,})" for (name, sub), n in counts.most_common(5))
    more = f" and {len(counts) - 5:,} more folders" if len(counts) > 5 else ""
    many = len(below) > 1
    return [f"{len(below):,} image{'s' if many else ''} lie{'' if many else 's'} in folders "
            f"inside {'their' if many else 'its'} class folder and {'are' if many else 'is'} "
            f"read as that class: {shown}{more}; move out any that are not of their class"]
