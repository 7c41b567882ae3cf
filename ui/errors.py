"""Errors in words: every page runs inside :func:`shown_errors`, so no traceback reaches the
browser.

Errors the project raises for users (a dataset that cannot be read, a design that is invalid, a
config out of range, an export that fails) carry messages written for people; they are shown as
they are. Anything else is a bug: the page says what failed in one line and the traceback goes to
the server's log, where a developer looks.

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


@contextlib.contextmanager
def shown_errors(what: str) -> Iterator[None]:
    """Run a page (or a part of one); an exception becomes an ``st.error`` saying ``what``
    failed and why. Streamlit's own rerun and stop signals are BaseExceptions and pass."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the page must not show a traceback
        log.exception("%s failed", what)
        from .fields import plain  # the message quotes user text (file names, ids): text

        st.error(f"{what} failed: {plain(friendly(err))}")
