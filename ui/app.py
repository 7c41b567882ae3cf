"""LayerLoom's Streamlit app: ``layerloom app`` (or ``python -m layerloom.ui.serve``).

Sets up the page, the project bar (projects, snapshots, theme) and the navigation: the Designer, then the
Data, Train, Results, Runs and Export pages that exist. Every page gets the session's one
:class:`~layerloom.ui.state.DesignerState` and is drawn inside a guard: a bug shows a short
message instead of a traceback, and the design (saved on every change) is kept.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from layerloom.runtime import address_limit  # os, sys and resource: nothing heavy loads

# Started as `streamlit run ui/app.py` under an address-space limit (ulimit -v), this is the
# first of LayerLoom's code to run: numpy is fitted to the limit before it loads, and where the
# limit is too low for the pages' libraries the app says so (the line `layerloom app` says)
# instead of ending in C or showing an ImportError's traceback in the browser.
address_limit.prepare()
try:
    from layerloom.ui import fields, keep_typing, project_panel, projects, theme
    from layerloom.ui import state as session
    from layerloom.ui.cache import favicon
    from layerloom.ui.fields import plain
    from layerloom.ui.pages import designer
    REFUSED = None
except (ImportError, MemoryError) as exc:
    REFUSED = address_limit.load_failure(exc)
    if REFUSED is None:
        raise

log = logging.getLogger("layerloom.ui")

# (module, title, icon): shown in this order when the module exists
OTHER_PAGES = (
    ("data", "Data", ":material/dataset:"),
    ("train", "Train", ":material/model_training:"),
    ("results", "Results", ":material/insights:"),
    ("runs", "Runs", ":material/history:"),
    ("export", "Export", ":material/ios_share:"),
    ("help", "Help", ":material/help:"),
)


def guarded(render: Callable[[session.DesignerState], None], state: session.DesignerState,
            where: str) -> None:
    """Draw ``render(state)``; an exception becomes a message, never a traceback."""
    try:
        render(state)
    except Exception as exc:  # a bug: Streamlit's own rerun/stop signals are BaseExceptions
        log.exception("%s failed", where)
        st.error(f"Something went wrong while drawing the {where}: {type(exc).__name__}: "
                 f"{plain(str(exc)[:300])}. Your design is saved (project "
                 f"{state.project_id}); undo the last change or reload the page.",
                 icon=":material/bug_report:")


def page(module, title: str, icon: str, state: session.DesignerState, **kwargs) -> st.Page:
    def run() -> None:
        guarded(module.render, state, f"{title} page")

    return st.Page(run, title=title, icon=icon, url_path=title.lower(), **kwargs)


def pages(state: session.DesignerState) -> list[st.Page]:
    out = [page(designer, "Designer", ":material/account_tree:", state, default=True)]
    for name, title, icon in OTHER_PAGES:
        full = f"layerloom.ui.pages.{name}"
        if importlib.util.find_spec(full) is None:
            continue
        try:
            module = importlib.import_module(full)
        except Exception:  # a page that does not import leaves the others working
            log.exception("cannot import %s", full)
            continue
        out.append(page(module, title, icon, state))
    return out


def app_bar(state: session.DesignerState) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="appbar"):
        st.markdown("**:material/hub: LayerLoom**", width="content")
        project_panel.render(state)
        st.space("stretch")
        theme.toggle(state)


def unopened_home(exc: Exception) -> str:
    """Why the projects folder could not be opened, and what to do: a full disk is made room
    on (then a reload opens it), not left for another folder that can be written."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"LayerLoom cannot open its projects folder: the disk that holds "
                f"{plain(projects.home())} is full ({plain(exc.strerror)}). Free some space on "
                f"it and reload this page, or set LAYERLOOM_HOME to a folder on another disk "
                f"and restart LayerLoom.")
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return (f"LayerLoom cannot open its projects folder: {plain(projects.home())} is on a "
                f"read-only file system. Set LAYERLOOM_HOME to a folder you can write to and "
                f"restart LayerLoom.")
    return (f"LayerLoom cannot open its projects folder: {plain(exc)}. Set LAYERLOOM_HOME to a "
            f"folder you can write to and restart.")


# set by `layerloom app` to the home it made, named but not there (layerloom/cli/app.py)
HOME_MADE_ENV = "LAYERLOOM_HOME_MADE"
_TOLD_HOME_MADE = "layerloom.told_home_made"


def home_made_notice() -> None:
    """Once a session, where ``layerloom app`` made the home it was given (named but not there:
    a mistyped path most likely), that the home is new: another home's projects and runs are
    not shown here."""
    made = os.environ.get(HOME_MADE_ENV)
    if not made or st.session_state.get(_TOLD_HOME_MADE):
        return
    if Path(made) != projects.home().absolute():
        return
    st.session_state[_TOLD_HOME_MADE] = True
    st.toast(f"LayerLoom's home {plain(made)} did not exist when the app started: it was made "
             f"new and empty, so projects and runs kept in another home are not shown. If you "
             f"meant another folder, stop the app and start it with --home set to that folder.",
             icon=":material/create_new_folder:", duration="infinite")


def refuse(message: str) -> None:
    """The server's terminal and the page say why the app cannot run here, in one line."""
    print(f"error: {message}", file=sys.stderr)
    st.error(f"LayerLoom cannot start: {message}.", icon=":material/memory:")


def main() -> None:
    if REFUSED:
        refuse(REFUSED)
        return
    st.set_page_config(page_title="LayerLoom", page_icon=favicon(), layout="wide",
                       initial_sidebar_state="collapsed")
    theme.style()
    keep_typing.install()  # typed text survives a box drawn anew; a "?" never ticks a box
    fields.begin_run()
    try:
        state = session.current()
    except Exception as exc:  # e.g. the projects folder cannot be written
        log.exception("cannot open the projects store")
        st.error(unopened_home(exc))
        return
    # a browser that came without its id gets one, in a hidden slot drawn on every run: an
    # element drawn only then moved the page below it when it went (the tab's next session,
    # after a restart of the server), and Streamlit drew the canvas's frame anew on the first
    # edit, losing what that frame held (events not yet answered, its view)
    with st.container(key="browser_cookie"):
        session.browser_cookie()
    home_made_notice()
    # The canvas's unanswered events, whichever page this run draws: a block dropped just before
    # a click on another page's link reaches Python with that click's run, and the designer's
    # canvas is not drawn there (its events would be gone at the end of the run).
    guarded(designer.take_canvas_events, state, "canvas's last edits")
    guarded(app_bar, state, "project bar")
    with st.container(key="unopened"):  # a slot on every run: the page below never shifts
        if state.unopened:  # a project that failed to open: why, and its snapshots
            guarded(project_panel.unopened, state, "projects that could not be opened")
    shown = pages(state)
    navigation = st.navigation(shown, position="top")
    if state.open_designer:  # "Select <node>" on another page: the Designer shows it
        state.open_designer = False
        st.switch_page(shown[0])
    navigation.run()
    theme.sync(state)
    fields.end_run()  # reached only by a run that completed (a rerun or a stop raises)


if __name__ == "__main__":  # `streamlit run ui/app.py` runs this file as __main__
    main()
