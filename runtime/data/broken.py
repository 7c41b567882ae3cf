"""Images that cannot be read among a folder's or a zip's: every one named at once, and the
choice to train without them.

A folder of 10,000 photos with three broken files (an empty download, a web page saved as
``.jpg``, a copy cut short) is refused by default, naming them all, since a file that is no
image is most often a mistake to mend (a copy to make again). Where the user would rather
train on the rest, the option ``leave_out_broken`` leaves them out, and the notes say so,
naming them: never silently. The refusal carries that option as its remedy (the Data page's
button, the command line's ``--data-option leave_out_broken=true``) and the names of the
broken files.
"""

from __future__ import annotations

from .errors import DataError
from .options import Option

FIX = "remove it or replace it with a good copy, and load the data again"
NAME = "leave_out_broken"
OPTION = Option(NAME, "bool", False, "leave out the images that cannot be read (each named in "
                "the notes) rather than refusing the data")
LISTED = 1000  # broken files whose names an error's remedy or a dataset's meta keeps
SHOWN = 5  # named in a message or note


def read_each(items, read, broken: list | None = None) -> list:
    """``read(item)`` of every item; where images among them cannot be read, one DataError
    for all, the first as its entry and the next four named, so that every file to fix is
    known at once (one was named a load, then the next). With ``broken`` (a list), their
    errors are added to it instead and their items left out of what is returned.

    >>> def read(name):
    ...     if name.startswith("bad"):
    ...         raise DataError(f"cannot be read as an image (empty); {FIX}", file="pets",
    ...                         entry=name, unreadable=True)
    ...     return name
    >>> try:
    ...     read_each(["a.png", "bad1.png", "bad2.png"], read)
    ... except DataError as err:
    ...     print(err)
    pets, entry 'bad1.png': cannot be read as an image (empty), nor can 'bad2.png' (2 files in all); remove them or replace them with good copies, and load the data again, or leave them out with leave_out_broken=True (named in the notes)
    >>> broken = []
    >>> read_each(["a.png", "bad1.png"], read, broken), [err.entry for err in broken]
    (['a.png'], ['bad1.png'])
    """
    out, bad = [], []
    for item in items:
        try:
            out.append(read(item))
        except DataError as err:
            if not err.unreadable:
                raise
            bad.append(err)
    if broken is not None:
        broken.extend(bad)
    elif bad:
        raise refusal(bad)
    return out


def refusal(bad: list[DataError]) -> DataError:
    """The one error for the images of ``bad``: the first's, the next four named, the way to
    mend them or to leave them out, and the names of them all as its remedy."""
    first = bad[0]
    if len(bad) == 1:
        message = first.message.removesuffix("; " + FIX) + f"; {FIX}"
    else:
        others = ", ".join(repr(err.entry) for err in bad[1:SHOWN]) + \
            (", …" if len(bad) > SHOWN else "")
        message = (f"{first.message.removesuffix('; ' + FIX)}, nor can {others} ({len(bad):,} "
                   f"files in all); remove them or replace them with good copies, and load "
                   f"the data again")
    it = "them" if len(bad) > 1 else "it"
    return DataError(f"{message}, or leave {it} out with {NAME}=True (named in the notes)",
                     file=first.file, entry=first.entry, unreadable=True,
                     fault=message.removesuffix(f"; {FIX}").removesuffix(
                         "; remove them or replace them with good copies, and load the data "
                         "again"),
                     remedy={NAME: True, "broken": [err.entry for err in bad[:LISTED]],
                             "count": len(bad)})


def broken_note(broken: list[DataError]) -> list[str]:
    """The note naming the images left out because they cannot be read.

    >>> print(*broken_note([DataError("x", entry="dog/1.png"), DataError("y", entry="cat/2.png")]))
    2 images that cannot be read left out (leave_out_broken): dog/1.png, cat/2.png
    """
    if not broken:
        return []
    names = [str(err.entry) for err in broken]
    shown = ", ".join(names[:SHOWN]) + (" …" if len(names) > SHOWN else "")
    many = len(names) > 1
    return [f"{len(names):,} image{'s' if many else ''} that cannot be read left out ({NAME}): "
            f"{shown}"]


def emptied(classes: list[str], counts: dict[str, int], broken: list[DataError],
            file) -> None:
    """Refuse data whose class folder holds broken images only (left out, it would have no
    samples, and the model one class fewer), naming the folder."""
    for name in classes:
        if not counts.get(name):
            lost = sum(1 for err in broken if str(err.entry).split("/")[0] == name)
            raise DataError(f"class folder {name!r} holds no image that can be read (its "
                            f"{lost:,} image{'s' if lost > 1 else ''} cannot be read); mend "
                            f"them, or remove the folder", file=file)
