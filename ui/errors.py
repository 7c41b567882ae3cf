"""Errors in words: every page runs inside :func:`shown_errors`, so no traceback reaches the
browser.

Errors the project raises for users (a dataset that cannot be read, a design that is invalid, a
config out of range, an export that fails) carry messages written for people; they are shown as
they are, and the server's log gets one line (:func:`expected`: nothing is broken). Anything else
is a bug: the page says what failed in one line and the traceback goes to the server's log, where
a developer looks.

>>> friendly(ValueError("lr must be > 0, got -1"))
'lr must be > 0, got -1'
>>> friendly(KeyError("run-7"))
'KeyError: run-7'
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

log = logging.getLogger("layerloom.ui")

# Built-in errors whose message is usually readable as it is (a file not found, a bad value).
_WORDED = (ValueError, RuntimeError, OSError)


# The project's own errors for bad input: their messages say what is wrong and where (a file
# and line, a node, a field), so they are the user's to fix, not a bug.
EXPECTED = frozenset({"DataError", "GraphError", "ShapeError", "ParamError", "ExpressionError",
                      "ExportError", "ConfigError"})


def expected(err: BaseException) -> bool:
    """Whether ``err`` is one of the project's errors for bad input (a file that cannot be
    read, an invalid design or config), which needs no traceback in the log.

    >>> from layerloom.runtime.data import DataError
    >>> expected(DataError("4 values, but the header has 3 columns", file="a.csv", line=4))
    True
    >>> expected(KeyError("x")), expected(ValueError("x"))
    (False, False)
    """
    return any(cls.__name__ in EXPECTED and cls.__module__.startswith("layerloom")
               for cls in type(err).__mro__)


def log_error(what: str, err: BaseException) -> None:
    """Log ``err``: one line for an :func:`expected` error, the traceback for anything else."""
    if expected(err):
        log.warning("%s: %s: %s", what, type(err).__name__, friendly(err))
    else:
        log.error("%s failed", what, exc_info=err)


def friendly(err: BaseException) -> str:
    """One line for the user: the project's own errors (DataError, GraphError, ExportError,
    TrainError, ConfigError…) and common built-in ones keep their message; anything else is
    prefixed with its type so that a bug report names it."""
    text = "; ".join(line.strip() for line in str(err).splitlines() if line.strip())
    if isinstance(err, KeyError) and not type(err).__module__.startswith("layerloom"):
        text = text.strip("'\"")
    text = text or type(err).__name__
    if type(err).__module__.startswith("layerloom") or (
            isinstance(err, _WORDED) and type(err).__module__ == "builtins"):
        return text
    return f"{type(err).__name__}: {text}"


def export_failure(fmt: str, err: BaseException) -> str:
    """Why building the Export page's ``fmt`` failed, naming the format: an ExportError says it
    (``onnx export failed at gamma (LogGamma): …``); anything else (a full disk, a run's
    checkpoint deleted meanwhile, a dataset gone) said only its own words, repeated on each
    row by "Build and check the files" without saying which file it stopped."""
    text = friendly(err)
    return text if text.startswith(f"{fmt} export failed") else f"{fmt} export failed: {text}"


@contextlib.contextmanager
def shown_errors(what: str) -> Iterator[None]:
    """Run a page (or a part of one); an exception becomes an ``st.error`` saying ``what``
    failed and why. Streamlit's own rerun and stop signals are BaseExceptions and pass."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the page must not show a traceback
        log_error(what, err)
        from .fields import plain  # the message quotes user text (file names, ids): text

        st.error(f"{what} failed: {plain(friendly(err))}")
