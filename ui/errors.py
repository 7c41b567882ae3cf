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

# Errors whose message is meant for the user (ValueError covers DataError, ConfigError, …).
_WORDED = (ValueError, RuntimeError, OSError)


def friendly(err: BaseException) -> str:
    """One line for the user; error types made for users keep their own message."""
    problems = getattr(err, "problems", None)
    if problems and all(hasattr(p, "message") for p in problems):
        return "; ".join(str(p) for p in problems)
    text = str(err).strip().strip("'\"") or type(err).__name__
    if isinstance(err, _WORDED) and type(err).__module__.startswith(("layerloom", "builtins")):
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
        st.error(f"{what} failed: {friendly(err)}")
