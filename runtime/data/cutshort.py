"""Image files cut short: a copy or a download stopped part-way leaves a file whose header is
whole (its size and mode read) and whose pixels end early. Opening it succeeds; decoding it
fails, which for a folder read as training goes was an epoch in.

Each format says where it ends: PNG with its ``IEND`` chunk, JPEG with the ``FF D9`` marker,
GIF with ``;``, WebP's RIFF header and BMP's file header give the file's size. A file whose
end is not so is decoded once to be sure (a camera may write data after a JPEG's end: such a
file decodes, and is taken); only one that then fails is cut short.

>>> ends_whole("PNG", b"\\x89PNG", b"\\x00\\x00\\x00\\x00IEND\\xaeB`\\x82", 100)
True
>>> ends_whole("JPEG", b"\\xff\\xd8\\xff", b"\\x12\\x34\\x56", 100)
False
"""

from __future__ import annotations

from pathlib import Path

EDGE = 32  # bytes read at each end of a file

_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def ends_whole(fmt: str | None, head: bytes, tail: bytes, size: int) -> bool:
    """Whether a file of ``size`` bytes, beginning with ``head`` and ending with ``tail``,
    ends where its format ``fmt`` (Pillow's name) says its image does. A format that does not
    say is taken as whole."""
    if fmt == "PNG":
        return tail.endswith(_PNG_END)
    if fmt == "JPEG":
        return tail.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
    if fmt == "GIF":
        return tail.rstrip(b"\x00").endswith(b";")
    if fmt == "WEBP" and len(head) >= 8:
        return int.from_bytes(head[4:8], "little") + 8 <= size
    if fmt == "BMP" and len(head) >= 6:
        declared = int.from_bytes(head[2:6], "little")
        return declared == 0 or declared <= size
    return True


def file_ends_whole(path: Path, fmt: str | None) -> tuple[bool, int]:
    """:func:`ends_whole` of the file at ``path``, and its size in bytes."""
    with open(path, "rb") as handle:
        head = handle.read(EDGE)
        size = handle.seek(0, 2)
        handle.seek(max(0, size - EDGE))
        tail = handle.read()
    return ends_whole(fmt, head, tail, size), size


def cut_short(fmt: str | None, size: int) -> str:
    """What a user reads of an image file cut short."""
    return (f"cannot be read as an image (the file is cut short: it ends at {size:,} bytes, "
            f"before its {fmt or 'image'} data does, as a copy or a download stopped part-way "
            f"leaves it)")


def truncated(text: str) -> bool:
    """Whether Pillow's message says the image's data ended early."""
    text = text.lower()
    return "truncated" in text or "broken data stream" in text
