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
a comma after the last item of a list (JSON allows none there): remove the comma at line 1, column 16
"""

from __future__ import annotations

import json
import re

_PYTHON = {"True": "true", "False": "false", "None": "null"}


def fault(text: str, exc: json.JSONDecodeError) -> str:
    """What the JSON reader's ``exc`` found wrong at its place in ``text``, said so that the
    person who edited the file knows what to change; its own message where none of the usual
    mistakes is there."""
    pos = exc.pos
    here = text[pos:pos + 2]
    if here in ("//", "/*") or here[:1] == "#":
        kind = {"//": "//", "/*": "/* … */"}.get(here, "#")
        return (f"a comment ({kind}), which JSON does not allow: remove it (a note on the design "
                f"goes in its \"description\")")
    before = text[:pos].rstrip()
    if before.endswith(",") and here[:1] in ("]", "}"):
        comma = len(before) - 1
        line = text.count("\n", 0, comma) + 1
        column = comma - (text.rfind("\n", 0, comma) + 1) + 1
        what = "list" if here[:1] == "]" else "object"
        return (f"a comma after the last item of a{'n' if what == 'object' else ''} {what} (JSON "
                f"allows none there): remove the comma at line {line}, column {column}")
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
