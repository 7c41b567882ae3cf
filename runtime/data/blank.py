"""Columns a table names but no row fills (a form's field nobody filled, a spreadsheet's
``notes`` column kept empty): no feature, and not the label a table ends with either, so they
are left out before a table is read as samples, and said.

A user who names such a column as the one to predict, the texts or the labels, is told it is
blank (``target.labelled``); one who drops it has it dropped, as asked, without a note.
"""

from __future__ import annotations

from .table import Table, is_missing


def blank_columns(table: Table) -> list[str]:
    """The columns of ``table`` that are empty (or ``NA``, ``?``…) on every row, in order.

    >>> from pathlib import Path
    >>> t = Table(Path("t.csv"), ["a", "notes", "y"], [["1", "", "x"], ["2", "NA", "y"]])
    >>> blank_columns(t)
    ['notes']
    """
    if not len(table):
        return []
    return [name for name, column in zip(table.header, table.columns)
            if is_missing(column[0]) and bool(table.missing(name).all())]


def without_blank(table: Table, named: set[str], drop: tuple[str, ...], label: bool
                  ) -> tuple[Table, tuple[str, ...], list[str]]:
    """``table`` without its blank columns (those in ``named``, the columns an option names to
    read, stay: the loader says they are blank), ``drop`` without them, and the blank columns
    left out. Each left out that ``drop`` did not name is said in a note; where the last
    column is one and no option names the ``label``, the label is the last column that holds
    values, and the note says which. A table left with fewer than two columns keeps them all
    (its blank label is refused, naming it, rather than another column taken for it).

    >>> from pathlib import Path
    >>> t = Table(Path("t.csv"), ["a", "y", "notes"], [["1", "x", ""], ["2", "y", ""]])
    >>> kept, drop, blank = without_blank(t, set(), (), label=False)
    >>> kept.header, kept.rows, blank
    (['a', 'y'], [['1', 'x'], ['2', 'y']], ['notes'])
    >>> kept.notes
    ["notes: empty on every row, left out: it tells the model nothing (the label is 'y', the last column with values)"]
    """
    blank = [name for name in blank_columns(table) if name not in named]
    if not blank or len(table.header) - len(blank) < 2:
        return table, drop, []
    said = [name for name in blank if name not in drop]
    header = [name for name in table.header if name not in blank]
    notes = list(table.notes)
    if said:
        shown = ", ".join(said[:8]) + (" …" if len(said) > 8 else "")
        last = f" (the label is {header[-1]!r}, the last column with values)" \
            if table.header[-1] in said and not label else ""
        notes.append(f"{shown}: empty on every row, left out: "
                     f"{'it tells' if len(said) == 1 else 'they tell'} the model nothing{last}")
    keep = [i for i, name in enumerate(table.header) if name not in blank]
    kept = Table(table.path, header, lines=table.lines, notes=notes,
                 written={k: v for k, v in table.written.items() if k not in blank},
                 columns=[table.columns[i] for i in keep])
    kept.factors.update({k: v for k, v in table.factors.items() if k not in blank})
    kept.parsed.update({k: v for k, v in table.parsed.items() if k not in blank})
    return kept, tuple(name for name in drop if name not in blank), blank
