"""What is wrong with hand-edited JSON, in words: the mistakes people make when they edit a design
file in a text editor (a comma after the last item, a comment, Python's quotes or literals),
where Python's JSON reader says only "Expecting value" or "Expecting property name enclosed in
double quotes".

>>> import json
>>> text = '{"nodes": [1, 2,\\n]}'
>>> try:
...     json.loads(text)
... except json.JSONDecodeError as exc:
...     print(fault(text, exc))
(15, 'a comma after the last item of a list (JSON allows none there): remove it')
"""

from __future__ import annotations

import json
import re

_PYTHON = {"True": "true", "False": "false", "None": "null"}


def fault(text: str, exc: json.JSONDecodeError) -> tuple[int, str]:
    """Where in ``text`` the JSON reader's ``exc`` is, and what is wrong there, said so that
    the person who edited the file knows what to change; its own message where none of the
    usual mistakes is there. A comma after the last item is placed at the comma, where Python
    3.11 places it at the bracket after it and 3.13 at the comma."""
    pos = exc.pos
    here = text[pos:pos + 2]
    if here in ("//", "/*") or here[:1] == "#":
        kind = {"//": "//", "/*": "/* … */"}.get(here, "#")
        return pos, (f"a comment ({kind}), which JSON does not allow: remove it (a note on the "
                     f"design goes in its \"description\")")
    ending = _cut_short(text, pos, exc)
    if ending:
        return ending
    before, after = text[:pos].rstrip(), text[pos + 1:].lstrip()[:1]
    if before.endswith(",") and here[:1] in ("]", "}"):  # Python 3.11: at the bracket
        comma, closing = len(before) - 1, here[:1]
    elif here[:1] == "," and after in ("]", "}") and not before.endswith((",", "[", "{")):
        # Python 3.13: at the comma (one after an item; ',,' and '[,' are said as they are)
        comma, closing = pos, after
    else:
        return pos, _other(text, pos, here, exc)
    what = "a list" if closing == "]" else "an object"
    return comma, f"a comma after the last item of {what} (JSON allows none there): remove it"


def _cut_short(text: str, pos: int, exc: json.JSONDecodeError) -> tuple[int, str] | None:
    """Where the text ends before its JSON is complete (a file saved or copied in part), that
    said, at the end of its last line rather than on the empty line after it; else None. The
    reader's ``exc`` is at the end, inside a string that runs to the end, or at a word or number
    cut off there (``tr``, ``1.``); a Python literal (``True``) or a key without quotes there
    is said as such."""
    rest = text[pos:].rstrip()
    word = re.match(r"[A-Za-z_]\w*", rest)
    if word and (word.group() in _PYTHON or exc.msg.startswith("Expecting property name")):
        return None  # said as Python, or as a key without quotes
    advice = ("it seems cut short (saved or copied only in part?): open a complete copy, or "
              "finish it")
    if exc.msg.startswith("Unterminated string"):
        return pos, f"the file ends inside the text in quotes that starts here; {advice}"
    if rest and not re.fullmatch(r"[\w.+-]+", rest):
        return None
    return (min(pos, len(text.rstrip())),
            f"the file ends here, before its JSON is complete ({exc.msg}); {advice}")


def _other(text: str, pos: int, here: str, exc: json.JSONDecodeError) -> str:
    """What is wrong at ``pos`` where it is no comment and no comma after a last item."""
    if here[:1] == "'":
        return "text in single quotes ('…'): JSON puts text and keys in double quotes (\"…\")"
    word = re.match(r"[A-Za-z_]\w*", text[pos:pos + 64])
    if word and word.group() in _PYTHON:
        return (f"{word.group()} is Python, not JSON: write {_PYTHON[word.group()]} (in lower "
                f"case)")
    if word and exc.msg.startswith("Expecting property name"):
        return f"the key {word.group()} without quotes: JSON puts keys in double quotes (\"…\")"
    if exc.msg == "Expecting ',' delimiter" and here[:1] in ('"', "{", "["):
        return "a comma is missing here, between the item before and the next one"
    return exc.msg
