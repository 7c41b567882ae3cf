"""What a point means in a column such as ``1.250; 2.500; 12.000``, decided from the whole file.

Python reads ``1.250`` as 1.25, but where the decimal mark is the comma (a file separated by
``;`` or tabs, as European spreadsheets write it) the point separates thousands: 1250. Such a
column is read as thousands where the file says so (its other numbers have a decimal comma, or
the column writes its numbers under 1,000 without a point, as only thousands separators do);
read as it is where the file's other numbers have a decimal point; and, where nothing in the
file tells, read as it is with a note that names the column. Its form (``{"thousands": "."}``)
is recorded as the other written forms are, so predict.py and the project read new files alike.
"""

from __future__ import annotations

import re

THREE_AFTER_POINT = re.compile(r"\d\.\d{3}(?![\d.])")  # a quick look at the file's text


def points_as_thousands(header: list[str], columns: list[list[str]], written: dict[str, dict],
                        missing: frozenset[str]) -> tuple[dict, dict, list[str]]:
    """Columns (``columns``: a list of values each) whose every point is followed by exactly three digits, decided as
    the module says; those read as thousands are rewritten in place. Gives ``{column: form}``
    and ``{column: (a value as written, as read)}`` for those, and the notes for the columns
    left as they are where nothing tells.

    ``written`` holds the forms of the file's other columns (a decimal comma among them says
    the point is no decimal mark); ``missing`` holds the values that are missing, lowercased.

    >>> columns = [["1.250", "850"], ["0,5", "1,5"]]
    >>> points_as_thousands(["price", "w"], columns, {"w": {"decimal": ","}}, {""})[0]
    {'price': {'decimal': ',', 'thousands': '.'}}
    >>> columns
    [['1250', '850'], ['0,5', '1,5']]
    >>> note = points_as_thousands(["price"], [["1.250", "2.500"]], {}, {""})[2][0]
    >>> note[:73]
    'price: every number has three digits after its point (1.250): read with a'
    """
    blank = "|".join(re.escape(token) for token in sorted(missing))
    texts = {col: "\n".join(values) for col, values in enumerate(columns)
             if header[col] not in written}
    grouped = {col: text for col, text in texts.items()  # a column of words fails at once
               if THREE_AFTER_POINT.search(text) and _every(text, GROUPED_OR_SMALL, blank)}
    if not grouped:
        return {}, {}, []
    decimal_point = any(col not in grouped and "." in text and _every(text, FLOAT, blank)
                        for col, text in texts.items())  # 0.5, 3.14: the file's decimal mark
    decimal_comma = any(form.get("decimal") == "," for form in written.values())
    forms, examples, unsure = {}, {}, []
    for col, joined in grouped.items():
        first = re.search(r"[^\s\n]*\.[^\s\n]*", joined).group()  # 1.250
        if decimal_comma and not decimal_point:
            form = {"decimal": ",", "thousands": "."}
        elif not decimal_comma and not decimal_point and WHOLE.search(joined):
            form = {"thousands": "."}  # 850 beside 1.250: a point only from 1,000 on
        else:
            if not (decimal_point and not decimal_comma):
                unsure.append((header[col], first))  # nothing tells, or the file has both
            continue
        forms[header[col]] = form
        examples[header[col]] = (first, first.replace(".", ""))
        columns[col][:] = [value.strip().replace(".", "") for value in columns[col]]
    return forms, examples, [_unsure_note(unsure)] if unsure else []


def _every(text: str, number: str, missing: str) -> bool:
    """Whether every line of ``text`` is a ``number`` (a pattern) or ``missing`` (a pattern):
    the whole column matched at once.

    >>> _every("1.250\\n 850\\n", GROUPED_OR_SMALL, ""), _every("0.5", GROUPED_OR_SMALL, "")
    (True, False)
    """
    one = rf"[ \t]*(?:{number}|{missing})[ \t]*"
    return re.fullmatch(rf"{one}(?:\n{one})*", text, re.IGNORECASE) is not None


GROUPED_OR_SMALL = r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d{1,3})"  # 1.250, 12.000, 850
WHOLE = re.compile(r"^[ \t]*[+-]?\d{1,3}[ \t]*$", re.MULTILINE)  # 850: no point, under 1,000
FLOAT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def _unsure_note(columns: list[tuple[str, str]]) -> str:
    """One note for the columns read with a decimal point where nothing in the file tells, with
    a value of the first.

    >>> _unsure_note([("price", "12.000"), ("a, b", "1.500")])[:54]
    "price, 'a, b': every number has three digits after its"
    """
    shown = ", ".join(repr(name) if "," in name else name for name, _ in columns)
    value = columns[0][1]
    return (f"{shown}: every number has three digits after its point ({value}): read with a "
            f"decimal point ({value} as {float(value):g}); if the point separates thousands "
            f"({value} meaning {value.replace('.', '')}), save the file with no thousands "
            f"separator in {'this column' if len(columns) == 1 else 'these columns'}")
