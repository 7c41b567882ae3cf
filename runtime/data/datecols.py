"""A table's column of dates (or dates and times) as numbers a model can learn from.

A date becomes a few features (as mainstream tabular tools make them): the days since the
earliest date of the training rows, then the month and the weekday, and for dates with times
the hour of the day, each as a point on a circle (sine and cosine: December beside January).
Everything is decided once from the training file and recorded in the column's entry of
``meta["columns"]`` (``{"name", "kind": "date", "order", "utc", "origin", "time"}``), from which the
bundle's predict.py, the Results page and the exported project's data.py make the same numbers
of a new file's dates, with the same functions (``layerloom.graph.export.predict_script``).

Which of ``05/03/2024``'s numbers is the day is decided from the whole column: a first number
over 12 says day first, a second one month first; where none is over 12 the loader says so and
the ``date_order`` option decides, for every such column (``date_order='dmy'``) or for each
by name (``date_order='ordered:dmy, shipped:mdy'``); a column that shows its order is read
as it shows, and said, and the note on each column says how its order was decided. Year-first dates (``2024-03-05``) read one way only.
Times with UTC offsets (``2024-03-01T10:00:00+02:00``, ``…Z``) are read as the UTC times they
name, so that rows written in different offsets compare alike; a column must write an offset
on every row or on none. Two-digit years read as Python's ``%y`` does, and the note says the
years they gave.
"""

from __future__ import annotations

import numpy as np

from layerloom.graph.export.predict_script import (DATE_FORM, DATE_ORDERS, date_features,
                                                  date_names, date_words, read_date)

from .table import Table, is_missing
from .errors import DataError

# the Data page's words for each order, with what 05/03/2024 then is
ORDER_WORDS = {"dmy": "day first (05/03/2024 is 5 March)",
               "mdy": "month first (05/03/2024 is May 3)"}


def date_column(table: Table, name: str, values: list[str], train: np.ndarray,
                order: str, given: str = "") -> tuple[np.ndarray, dict, list[str], str]:
    """Column ``name``'s ``values`` (stripped) as ``[N, k]`` features, NaN for a missing
    date, the column's recorded entry, what the reading did that a user would not assume
    (notes for the Data page) and how its day/month order was decided (for
    :func:`date_note`). ``train`` holds the training rows (the earliest date among them is
    day 0); ``order`` is the ``date_order`` option's order for this column (``"auto"``,
    ``"dmy"``, ``"mdy"``), for a column whose values do not show theirs, ``given`` that
    setting as the user wrote it (default: ``date_order='dmy'``). A value that is no date,
    day-first dates whose order neither the column nor the option tells, and times with a
    UTC offset beside times without raise a DataError naming the column (and the line)."""
    given = given or f"date_order={order!r}"
    codes, distinct = table.distinct(name)  # each distinct value read once: a column repeats
    gone = np.array([is_missing(value) for value in distinct], dtype=bool)
    firsts = np.unique(codes, return_index=True)[1]  # the row each value first comes on
    # each date as written, by the first row that writes it, in the order of the rows
    found = {int(firsts[k]): DATE_FORM.match(value) for k, value in enumerate(distinct)
             if not gone[k]}
    for i, form in found.items():
        if not form:
            raise DataError(f"{values[i]!r} is not a date, but nearly all of the column's "
                            f"values are; fix the value, or leave the cell empty to mark it "
                            f"missing", file=table.path, line=table.lines[i], column=name)
    chosen, how, said = _order(table, name, values, found, order, given)
    column = {"name": name, "kind": "date", "order": chosen,
              "utc": _utc(table, name, values, found)}
    read = {}
    for i, form in found.items():
        try:
            read[i] = read_date(values[i], chosen, column["utc"])
        except ValueError:
            how = DATE_ORDERS[chosen] if chosen and not form["y"] else "year-month-day"
            raise DataError(f"{values[i]!r} is not a date read {how} (no such day)",
                            file=table.path, line=table.lines[i], column=name) from None
    when = dict(zip((k for k in range(len(distinct)) if not gone[k]), read.values()))
    trained = [when[k] for k in np.unique(codes[train]).tolist() if k in when] or \
        list(when.values())
    column["origin"] = min(trained).date().isoformat() if trained else "2000-01-01"
    column["time"] = any(form["H"] for form in found.values())
    width = len(date_names(column))
    features = np.array([date_features(date, column) for date in when.values()],
                        dtype=np.float64).reshape(len(when), width)
    row_of = np.full(len(distinct), -1, dtype=np.int64)  # each value's row of features
    row_of[list(when)] = np.arange(len(when))
    present = np.flatnonzero(~gone[codes])
    block = np.full((len(values), width), np.nan)
    block[present] = features[row_of[codes[present]]]
    if column["utc"]:
        first = next(iter(found))
        said.append(f"{name}: times with a UTC offset read as UTC times ({values[first]!r} on "
                    f"line {table.lines[first]} is {read[first]:%Y-%m-%d %H:%M} UTC), so that "
                    f"rows written in different offsets compare alike")
    return block, column, said + _two_digit_years(table, name, values, found, read), how


def _utc(table: Table, name: str, values: list[str], found: dict) -> bool:
    """Whether the column's times carry UTC offsets (``+02:00``, ``Z``): all of them, or
    none; a column with both is refused, naming a line of each, since a time without one
    could be in any zone."""
    offset = next((i for i, form in found.items() if form["z"]), None)
    if offset is None:
        return False
    bare = next((i for i, form in found.items() if not form["z"]), None)
    if bare is not None:
        raise DataError(f"writes times with a UTC offset (line {table.lines[offset]}: "
                        f"{values[offset]!r}) and without one (line {table.lines[bare]}: "
                        f"{values[bare]!r}), which could be in any time zone; write the offset "
                        f"on every row (Z for UTC)", file=table.path, column=name)
    return True


def _two_digit_years(table: Table, name: str, values: list[str], found: dict,
                     read: dict) -> list[str]:
    """A note where the column writes two-digit years (``05/03/65``), which read as Python's
    ``%y`` does (00–68: 2000–2068, 69–99: 1969–1999), naming the earliest and the latest
    year they gave, for the user to see whether ``65`` is 1965 or 2065."""
    short = [i for i, form in found.items() if form["yy"] and len(form["yy"]) == 2]
    if not short:
        return []
    first, last = min(short, key=read.get), max(short, key=read.get)
    span = (f"{values[first]!r} (line {table.lines[first]}) is {read[first].year}" +
            (f", {values[last]!r} (line {table.lines[last]}) {read[last].year}"
             if read[last].year != read[first].year else ""))
    return [f"{name}: two-digit years read 00–68 as 2000–2068 and 69–99 as 1969–1999: {span}; "
            f"where that is not what they mean, write the years in full (1965)"]


def _order(table: Table, name: str, values: list[str], found: dict, option: str,
           given: str) -> tuple[str | None, str, list[str]]:
    """``"dmy"`` or ``"mdy"`` for a column with day-first dates (``25/03/2024``), None for
    one of year-first dates only; how it was decided (``as its values show ('25/03/2024' on
    line 4)``, ``as date_order='dmy' says``); and a note where the column's values overrule
    ``option`` (``given``: the setting in the user's words): where a first number is over
    12, the day comes first; where a second one is, the month; where neither, the
    ``option``'s order (a file may hold one date column of each order)."""
    day_first = month_first = None
    written = False
    for i, form in found.items():
        if form["y"]:
            continue
        written = True
        if day_first is None and int(form["a"]) > 12:
            day_first = i
        if month_first is None and int(form["b"]) > 12:
            month_first = i
    if not written:
        return None, "", []
    if day_first is not None and month_first is not None:
        raise DataError(f"writes dates day first (line {table.lines[day_first]}: "
                        f"{values[day_first]!r}) and month first (line "
                        f"{table.lines[month_first]}: {values[month_first]!r}); write them "
                        f"all one way", file=table.path, column=name)
    told = "dmy" if day_first is not None else "mdy" if month_first is not None else None
    if told:
        at = day_first if told == "dmy" else month_first
        how = f"as its values show ({values[at]!r} on line {table.lines[at]})"
        if option in ("auto", told):
            return told, how, []
        which = ("which is for the date columns that do not show their order"
                 if given.startswith("date_order=") else "which its values cannot be")
        return told, how, [f"{name}: read {ORDER_WORDS[told].split(' (')[0]}, {how}, not as "
                           f"{given}, {which}"]
    if option != "auto":
        return option, f"as {given} says", []
    first = next(i for i, form in found.items() if not form["y"])
    fault = (f"holds dates written with the day and the month first ({values[first]!r} on "
             f"line {table.lines[first]}), and none of them has a number over 12 that tells "
             f"which is which")
    raise DataError(f"{fault}; set date_order='dmy' if the day comes first (05/03/2024 is 5 "
                    f"March) or date_order='mdy' if the month does (May 3), or for this "
                    f"column alone date_order='{name}:dmy' (or '{name}:mdy')",
                    file=table.path, column=name, fault=fault,
                    remedy={"date_order": ["dmy", "mdy"]})


def date_note(column: dict, how: str = "") -> str:
    """What a date column became, for the Data page: ``order_date → 5 columns: days since
    2021-01-04, month (sin, cos), weekday (sin, cos)``, with the order its dates were read
    in and ``how`` that was decided (``as date_order='dmy' says``)."""
    order = column.get("order")
    read = f"; read {ORDER_WORDS[order]}{', ' + how if how else ''}" if order else ""
    return f"{column['name']} → {date_words(column)}{read}"
