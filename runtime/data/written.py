"""Numbers written the ways spreadsheets and people write them: a decimal comma (``3,14``),
thousands separators (``77,600``, ``1.234,5``, ``1 234,5``), a currency or percent sign
(``$1,250.50``, ``12 %``) and accounting's negatives in parentheses (``(1,200.50)``), each
column read one way as a whole and rewritten as Python's ``float`` reads it, with a note that
says so. The form found (``{"decimal": ",", "thousands": "."}``) is kept for the bundle and the
project, which read new files alike.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation

from .table import DASHES, is_missing, is_number

GROUPS = (".", ",", " ", "\u00a0", "\u202f", "'")  # thousands separators, as written
_GROUP_NAMES = {" ": "a space", "\u00a0": "a space", "\u202f": "a space", "'": "an apostrophe"}


def _number_pattern(decimal: str, group: str | None) -> re.Pattern:
    d = re.escape(decimal)
    whole = rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+|\d+" if group else r"\d+"
    return re.compile(rf"[+-]?(?:{whole})(?:{d}\d+)?|[+-]?{d}\d+")


def number_form(values: list[str], commas: bool,
                 counts: list[int] | None = None) -> dict | None:
    """How a column's numbers are written where Python's ``float`` cannot read them: a decimal
    comma (``3,14``, where the values are separated by ``;`` or tabs) and thousands separators
    (``77,600``, ``1.234,5``, ``1 234,5``, ``1'234.5``), and a currency or percent sign
    (``$1,250.50``, ``12 %``), one way for the whole column; None for a column that reads as it
    is, or where fewer than 9 in 10 values are numbers so written (a column of words; a stray
    word among such numbers is left for the loader to name). ``counts``: how many times each
    of the (distinct) ``values`` comes in the column, where not once.

    >>> number_form(["$1,250.50", "$12"], commas=False), number_form(["12 %", "5%"], False)
    ({'thousands': ',', 'unit': '$'}, {'unit': '%'})
    >>> number_form(["77,600", "1,250,000", "12"], commas=False)
    {'thousands': ','}
    >>> number_form(["3,14", "-0,5", "2"], commas=True)
    {'decimal': ','}
    >>> number_form(["1.234,5", "12,25"], commas=True)
    {'decimal': ',', 'thousands': '.'}
    >>> number_form(["1.5", "2.25"], commas=True) is None  # floats as they are
    True
    >>> number_form(["3,14", "a"], commas=True) is None
    True
    >>> number_form(["0,125"], commas=False) is None  # no thousands start with 0
    True
    """
    if not values:
        return None
    counts = counts or [1] * len(values)
    most = NUMBERS_SHARE * sum(counts)
    text = "\n".join(values)  # a sign the whole column holds too few of is looked for no more
    unit = next((u for u in UNITS if u in text and
                 sum(n for v, n in zip(values, counts) if u in v) >= most), None)
    values = [_bare(v, unit) for v in values]
    if all(is_number(v) for v in values):
        return {"unit": unit} if unit else None
    for decimal in ((",", ".") if commas else (".",)):
        for group in (None, *GROUPS):
            if group == decimal:
                continue
            pattern = _number_pattern(decimal, group)
            matched = _matching(pattern, values, counts, most)
            if matched is None:
                continue
            form = {"decimal": decimal} if any(decimal in v for v in matched) and \
                decimal != "." else {}
            if group and any(group in v for v in matched):
                form["thousands"] = group
            if unit:
                form["unit"] = unit
            if form:
                return form
    return None


def _matching(pattern: re.Pattern, values: list[str], counts: list[int],
              most: float) -> list[str] | None:
    """The ``values`` that ``pattern`` matches whole, where they come (``counts`` times each)
    at least ``most`` times; else None, told as soon as too many do not (a form a column is
    not written in fails on its first values).

    >>> _matching(re.compile(r"\\d+"), ["1", "a", "2"], [5, 1, 4], 9)
    ['1', '2']
    >>> _matching(re.compile(r"\\d+"), ["a", "1"], [2, 9], 10) is None
    True
    """
    allowed = sum(counts) - most  # how many may be written otherwise
    matched = []
    for value, n in zip(values, counts):
        if pattern.fullmatch(value):
            matched.append(value)
        else:
            allowed -= n
            if allowed < 0:
                return None
    return matched


UNITS = "$€£¥%"  # a currency or percent sign every number of a column carries


def _bare(value: str, unit: str | None) -> str:
    """``value`` without ``unit`` (``$1,250.50`` → ``1,250.50``, ``12 %`` → ``12``)."""
    return value.replace(unit, "", 1).strip() if unit and unit in value else value


NUMBERS_SHARE = 0.9  # as tabular.NUMERIC_SHARE: a column this numeric holds numbers


def as_written(value: str, form: dict) -> str:
    """``value`` of a column written in ``form`` (see :func:`number_form`) as Python writes
    the number; a percentage as the fraction it means, which is what a workbook stores for a
    cell that shows ``5%`` (so that one sheet saved as CSV and as .xlsx gives the same
    numbers).

    >>> as_written(" 1.234,5 ", {"decimal": ",", "thousands": "."})
    '1234.5'
    >>> as_written("12,5 %", {"decimal": ",", "unit": "%"}), as_written("$3", {"unit": "$"})
    ('0.125', '3')
    """
    value = value.strip()
    percent = form.get("unit") == "%" and "%" in value
    value = _bare(value, form.get("unit"))
    if form.get("thousands"):
        value = value.replace(form["thousands"], "")
    value = value.replace(form.get("decimal", "."), ".")
    return hundredth(value) if percent else value


def _is_zero(number: str) -> bool:
    """Whether ``number`` (as Python writes it) is zero.

    >>> _is_zero("-0.00"), _is_zero("0.05")
    (True, False)
    """
    try:
        return float(number) == 0
    except ValueError:
        return False


def hundredth(number: str) -> str:
    """``number`` (as Python writes it) divided by 100, digit for digit: a percentage's
    fraction, as exact as the text (``5`` → ``0.05``, never ``0.05000000000000001``); a text
    that is no number is returned as it is, for the loader to name.

    >>> hundredth("5"), hundredth("-12.5"), hundredth("100"), hundredth("n/a")
    ('0.05', '-0.125', '1', 'n/a')
    """
    try:
        shifted = format(Decimal(number).scaleb(-2), "f")
    except (InvalidOperation, ValueError):
        return number
    return shifted.rstrip("0").rstrip(".") if "." in shifted else shifted


def may_hold_written(text: str, delimiter: str = "") -> bool:
    """Whether ``text`` may hold a number :func:`number_form` rewrites (a comma in a value, an
    apostrophe, a space between digits, a second point): a quick look that spares a file of
    plain numbers the look at every value. In the text of a comma-separated file (its
    ``delimiter``) a comma is in a value only within quotes."""
    marks = "'\u00a0\u202f" + UNITS + ('"' if delimiter == "," else ",")
    return any(mark in text for mark in marks) or (" " in text and bool(_SPACED.search(text))) \
        or bool(_DOTTED.search(text))


_SPACED, _DOTTED = re.compile(r"\d \d"), re.compile(r"\.\d{3}\.")


def numbers_as_written(header: list[str], columns: list[list[str]],
                       commas: bool) -> tuple[dict, dict]:
    """Columns of numbers written with a decimal comma or thousands separators rewritten in
    place as ``float`` reads them; ``{column: form}`` of those rewritten, and ``{column:
    (a value as written, as read)}``. Other columns are left as they are (a word among the
    numbers is then said by the loader, naming its line).

    >>> columns = [["3,5", "-0,25"], ["a,b", "c"], ["1", "2,0"]]
    >>> numbers_as_written(["x", "name", "y"], columns, commas=True)[0]
    {'x': {'decimal': ','}, 'y': {'decimal': ','}}
    >>> columns
    [['3.5', '-0.25'], ['a,b', 'c'], ['1', '2.0']]
    >>> columns = [["1.200,50 €", "12 €"], ["77,600", "1,250"]]  # quoted, between commas
    >>> numbers_as_written(["price", "n"], columns, commas=False)[0]
    {'price': {'decimal': ',', 'thousands': '.', 'unit': '€'}, 'n': {'thousands': ','}}
    >>> columns
    [['1200.50', '12'], ['77600', '1250']]
    """
    written, examples = {}, {}
    for name, column in zip(header, columns):
        if not may_hold_written("\n".join(column)):
            continue  # no comma, apostrophe, space or second point: nothing to rewrite
        counts = Counter(map(str.strip, column))  # each distinct value looked at once
        for value in [value for value in counts if is_missing(value) or value in DASHES]:
            del counts[value]  # no number there
        values = list(counts)
        form = number_form(values, commas or any(map(_DECIMAL_COMMA.search, values)),
                            list(counts.values()))
        if form is None:
            continue
        written[name] = form
        pattern = _number_pattern(form.get("decimal", "."), form.get("thousands"))
        plain = set(form) == {"unit"}  # $12.5: the sign is all there is to take off
        read = {}  # each distinct value rewritten once, in the order the column shows them
        for value in dict.fromkeys(column):
            bare = _bare(value.strip(), form.get("unit"))
            if pattern.fullmatch(bare) or (plain and is_number(bare)):
                read[value] = as_written(value, form)
                # the example a note shows: the first value rewritten, past zeros (0% as 0
                # says nothing of how 5% reads)
                if value.strip() != read[value] and (
                        name not in examples or _is_zero(examples[name][1])):
                    examples[name] = (value.strip(), read[value])
        column[:] = map(read.get, column, column)
    return written, examples


_PARENTHESES = re.compile(r"([$€£¥]?)\s*\(\s*([^()\s][^()]*?)\s*\)\s*([$€£¥%]?)")


def negatives_in_parentheses(header: list[str], columns: list[list[str]],
                             commas: bool) -> list[str]:
    """Amounts in parentheses (``(1,200.50)``), as accounting writes a negative, rewritten in
    place with a minus (``-1,200.50``) in a column that is otherwise numbers, and a note for
    each such column; a column of words keeps its parentheses.

    >>> columns = [["(1,200.50)", "30.25"], ["(a)", "b"]]
    >>> negatives_in_parentheses(["net", "tag"], columns, commas=False)
    ['net: amounts in parentheses read as negative numbers, as accounting writes them ((1,200.50) as -1,200.50; 1 cell)']
    >>> columns
    [['-1,200.50', '30.25'], ['(a)', 'b']]
    """
    notes = []
    for name, column in zip(header, columns):
        if "(" not in "\n".join(column):
            continue
        found = {i: _PARENTHESES.fullmatch(value.strip()) for i, value in enumerate(column)}
        found = {i: match for i, match in found.items() if match}
        if not found:
            continue
        values = [f"-{m[1]}{m[2]}{m[3]}" if (m := found.get(i)) else value.strip()
                  for i, value in enumerate(column)]
        present = [v for v in values if not is_missing(v) and v not in DASHES]
        if not (all(map(is_number, present)) or number_form(
                present, commas or any(map(_DECIMAL_COMMA.search, present))) is not None):
            continue  # a column of words: '(a)' stays as it is
        first = next(iter(found))
        notes.append(f"{name}: amounts in parentheses read as negative numbers, as accounting "
                     f"writes them ({column[first].strip()} as {values[first]}; "
                     f"{len(found)} cell{'' if len(found) == 1 else 's'})")
        for i in found:
            column[i] = values[i]
    return notes


# a comma that can only be a decimal one (3,5; 3,14159; 1.234,56), quoted in a file separated by
# commas as a spreadsheet in a European language exports one ("1.200,50 €"); 77,600 may be
# thousands, and stays so where the column shows no such comma
_DECIMAL_COMMA = re.compile(r"\d,\d{1,2}(?!\d)|\d,\d{4,}|\d\.\d{3},\d")


def written_notes(written: dict[str, dict], examples: dict[str, tuple[str, str]]) -> list[str]:
    """One note per way of writing numbers, with a value of the file as it was read.

    >>> written_notes({"a": {"decimal": ","}, "b": {"decimal": ","}}, {"a": ("3,14", "3.14")})
    ['a, b: numbers written with a decimal comma, read as numbers (3,14 as 3.14)']
    """
    by_form: dict[tuple, list[str]] = {}
    for name, form in written.items():
        by_form.setdefault((form.get("decimal", "."), form.get("thousands"), form.get("unit")),
                           []).append(name)
    notes = []
    for (decimal, group, unit), names in by_form.items():
        ways = []
        if unit:
            ways.append(f"a {unit!r} sign")
        if group:
            ways.append(f"{_GROUP_NAMES.get(group, repr(group))} between thousands")
        if decimal != ".":
            ways.append("a decimal comma")
        before, after = next(examples[name] for name in names if name in examples)
        shown = ", ".join(repr(n) if "," in n else n for n in names[:6]) + \
            (" …" if len(names) > 6 else "")
        read_as = "read as the fractions they mean, as a workbook stores a percentage" \
            if unit == "%" else "read as numbers"
        notes.append(f"{shown}: numbers written with {' and '.join(ways)}, {read_as} "
                     f"({before} as {after})")
    return notes
