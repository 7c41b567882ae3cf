"""The layout rule shared by image folders and zips: the folder LayerLoom is pointed at holds one
folder per class, and each class folder holds its images.

A class folder whose images all lie in folders below it is refused where the tree is most likely
a ``train``/``val`` (or ``train``/``test``) one, whose top folders would otherwise become the
classes "train" and "val" while the real classes were lost: no class folder holds images of its
own, or the folder is named as a split. Beside class folders that hold their images, it is one
class (``cats/`` beside ``dogs/small/`` and ``dogs/large/``: the classes cats and dogs), and a
note says so and how to make its folders classes of their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .errors import DataError

SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "dev", "test",
                         "testing", "eval"})
TRAIN_NAMES = ("train", "training")


def first_nested(nested: dict[str, list[str]]) -> str:
    """Of the class folders whose images all lie a level down (name: their sub-folders), the one
    to name: ``train`` (the one to point at) when it is among them, else the first."""
    return min(nested, key=lambda name: (name.lower() not in TRAIN_NAMES, name))


def nested_folders(places: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """The class folders none of whose images lie in them but all in folders below them, with
    those folders (sorted), from ``(class folder, sub-folder or None)`` of every image.

    >>> nested_folders([("cats", None), ("dogs", "small"), ("dogs", "large"), ("eel", None),
    ...                 ("eel", "old")])
    {'dogs': ['large', 'small']}
    """
    subs: dict[str, set[str]] = {}
    direct = set()
    for name, sub in places:
        if sub is None:
            direct.add(name)
        else:
            subs.setdefault(name, set()).add(sub)
    return {name: sorted(found) for name, found in sorted(subs.items()) if name not in direct}


def refused_nesting(nested: dict[str, list[str]], flat: bool) -> str | None:
    """Of the class folders whose images all lie in folders below them (``nested``, name: their
    sub-folders), the one whose layout is refused, or None where each is read as one class.
    ``flat``: whether some class folder holds images of its own.

    >>> refused_nesting({"dogs": ["small", "large"]}, flat=True) is None
    True
    >>> refused_nesting({"train": ["a"], "val": ["a"]}, flat=False)
    'train'
    >>> refused_nesting({"dogs": ["small"], "val": ["a"]}, flat=True)
    'val'
    """
    split = {name: subs for name, subs in nested.items() if name.lower() in SPLIT_NAMES}
    if split:
        return first_nested(split)
    return None if flat or not nested else first_nested(nested)


def nested_note(nested: dict[str, list[str]], counts: dict[str, int]) -> list[str]:
    """The note for the class folders that hold only folders of images (``nested``, name: the
    sub-folders), each read as one class of ``counts[name]`` images.

    >>> print(*nested_note({"dogs": ["small", "large"]}, {"dogs": 12}))
    dogs holds no images of its own but folders of them ('large', 'small'): their 12 images are read as the one class 'dogs'; to make each folder a class of its own, move it out of dogs beside the other class folders
    """
    out = []
    for name in sorted(nested)[:5]:
        subs = sorted(nested[name])
        shown = ", ".join(repr(sub) for sub in subs[:6]) + (", …" if len(subs) > 6 else "")
        n = counts.get(name, 0)
        out.append(f"{name} holds no images of its own but folders of them ({shown}): their "
                   f"{n:,} image{'s' if n != 1 else ''} {'are' if n != 1 else 'is'} read as "
                   f"the one class {name!r}; to make each folder a class of its own, move it "
                   f"out of {name} beside the other class folders")
    if len(nested) > 5:
        out.append(f"{len(nested) - 5:,} more class folders hold only folders of images, each "
                   f"read as one class")
    return out


def nested_classes(shown: str, subfolders: list[str], *, file: str, zipped: bool,
                   beside: bool = False) -> DataError:
    """The error for the class folder ``shown`` (``splitdir/train``) whose images all lie in
    ``subfolders``; ``beside``: other class folders hold their images (``shown`` is named as a
    split)::

        splitdir: splitdir/train holds class folders ('a', 'b'), not images: point LayerLoom at
        splitdir/train (it keeps its own validation and test images from it)
    """
    names = ", ".join(repr(name) for name in sorted(subfolders)[:6])
    more = ", …" if len(subfolders) > 6 else ""
    top = shown.rsplit("/", 1)[-1].lower()
    if beside:
        return DataError(f"{shown} holds class folders ({names}{more}) beside the class folders "
                         f"of images: a {top} split is not a class; move its images into the "
                         f"class folders of the same names (LayerLoom keeps its own validation "
                         f"and test images), or take {shown} out", file=file)
    point = (f"zip {shown} on its own, or unzip it and point LayerLoom at {shown}" if zipped
             else f"point LayerLoom at {shown}")
    if top in SPLIT_NAMES:
        return DataError(f"{shown} holds class folders ({names}{more}), not images: {point} "
                         f"(LayerLoom keeps its own validation and test images from it)",
                         file=file)
    return DataError(f"{shown} holds folders of images ({names}{more}), not images: each class "
                     f"folder must hold its images; if those folders are the classes, {point}",
                     file=file)


def loose_files_hint(folder: str, names: list[str], data_suffixes: tuple[str, ...],
                     zipped: bool = False) -> str:
    """For a folder (or, ``zipped``, a zip) of too few class folders, what its own files
    (``names``) say the user meant: texts in a file per class (``pos.txt``, ``neg.txt``), or
    a data file to load itself (of ``data_suffixes``); "" where they say nothing.

    >>> loose_files_hint("survey", ["answers.xlsx", "notes.md"], (".csv", ".xlsx"))
    '; it holds answers.xlsx: to read that file, load it rather than its folder'
    """
    texts = sorted(name for name in names if name.lower().endswith(".txt"))
    if len(texts) > 1:
        shown = ", ".join(texts[:6]) + (", …" if len(texts) > 6 else "")
        return (f"; it holds {len(texts):,} text files ({shown}): texts are read from one CSV "
                f"file, a column of texts and a column of their labels, one row per text; from "
                f"one file of texts per class, a text a line, pandas writes it"
                f"{' from the unzipped folder' if zipped else ''}: "
                f"pd.concat(pd.DataFrame({{'text': p.read_text().splitlines(), 'label': "
                f"p.stem}}) for p in sorted(Path({folder!r}).glob('*.txt')))"
                f".to_csv({folder + '.csv'!r}, index=False)")
    data = sorted(name for name in names if name.lower().endswith(data_suffixes))
    if not data:
        return ""
    if zipped:
        return f"; it holds {', '.join(data[:6])}: to read one, unzip it and load that file"
    if len(data) == 1:
        return f"; it holds {data[0]}: to read that file, load it rather than its folder"
    return (f"; it holds {', '.join(data[:6])}{', …' if len(data) > 6 else ''}: to read one of "
            f"them, load it rather than their folder")


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
