"""The designer page: the canvas (or the expanded model graph), the inspector and the
variables beside it, the status bar and the problem list below."""

from __future__ import annotations

import streamlit as st

import layerloom.ui.canvas as canvas_component
from layerloom.graph import dumps_graph, load_graph
from layerloom.graph.registry import find_block

from .. import state as session
from .. import composites, inside, inspector, live, model_view, status, variables
from ..arranged import handle_canvas_events
from ..errors import shown_errors
from ..fields import plain, whole
from ..project_panel import unique_name
from ..state import DesignerState

CANVAS_KEY = "designer_canvas"
CANVAS_HEIGHT = 660  # until the canvas has measured the window it fills
# The canvas fills the window down to the status bar below it (its height and a margin), and
# stays at least "min" pixels tall, readable (the page scrolls in a smaller window).
CANVAS_FIT = {"min": 440, "below": 56}
VIEWS = {"canvas": "Canvas", "model": "Model graph"}


def take_canvas_events(state: DesignerState) -> None:
    """Apply the canvas's unanswered events (in the session already), oldest first; those
    handled before are skipped (the canvas's own arrangement of blocks that arrived over each
    other is saved as no undo step: ui/arranged.py). The app calls it on every run, whatever
    the page."""
    handle_canvas_events(state, st.session_state.get(CANVAS_KEY))


def render(state: DesignerState) -> None:
    # The canvas's unanswered events are in the session already: apply them, in order, before
    # drawing anything, so that this run shows their result (no second run needed).
    take_canvas_events(state)
    # Notices go into a slot drawn on every run: an element that comes and goes above the
    # canvas would shift it in the page, and Streamlit would then re-create its frame (losing
    # the canvas's unsent events, a drag in progress, its view for a moment).
    with st.container(key="notices"):
        show_notices(state)
    top = st.container(horizontal=True, vertical_alignment="center")
    with top:
        st.segmented_control("View", list(VIEWS), format_func=VIEWS.get, default=state.view,
                             key=f"view:{state.view}", label_visibility="collapsed",
                             on_change=_set_view, args=(state, f"view:{state.view}"))
        composites.breadcrumb(state)
    main, side = st.columns([3.3, 1.25], gap="medium")
    with main:
        if state.view == "model":
            model_view.render(state)
        else:
            draw_canvas(state)
        status.render(state)
    with side.container(key="sidepanel"):
        side_panel(state)
        with st.expander("Variables", expanded=True, icon=":material/tune:"):
            variables.render(state)


def draw_canvas(state: DesignerState) -> None:
    event = canvas_component.canvas(
        state.level(), state.catalog(), status.annotations(state),
        selected=state.selection_for_canvas(),
        theme=state.theme, height=CANVAS_HEIGHT, key=CANVAS_KEY, ack=state.last_seq,
        view_key="/".join((state.project_id, *state.path)), version=state.canvas_version(),
        can_undo=bool(state.undo_stack), can_redo=bool(state.redo_stack), fit_window=CANVAS_FIT)
    if handle_canvas_events(state, event):  # actions the session did not hold yet: draw them
        st.rerun()


def side_panel(state: DesignerState) -> None:
    """The inspector of what is selected: one node, several (group them), or none."""
    if len(state.selected) > 1:
        composites.group_form(state)
        return
    node = state.node(state.selected[0]) if state.selected else None
    if node is not None and node.type in state.graph.blocks:
        composites.node_panel(state, node)
    elif node is not None and find_block(node.type) is not None:
        inspector.render(state, node)
        if not state.path:  # a top-level block of a trained design: what it outputs
            with shown_errors("The block's output"):
                inside.block_activations(live.store_of(), state.project_id, node.id)
    elif node is not None:
        st.subheader(plain(node.type), anchor=False)
        inspector.facts(state, node.id)
    elif state.path:
        composites.block_panel(state)
    else:
        design_panel(state)


def design_panel(state: DesignerState) -> None:
    st.subheader(plain(state.graph.name), divider="gray", anchor=False)
    if state.graph.description:
        st.caption(plain(state.graph.description))
    st.caption("Select a block on the canvas to edit its params; drag blocks in from the "
               "palette, or double-click the canvas (or drop a wire on empty space) to search "
               "and add one; wire an output to an input. F fits the view, the wheel scrolls, "
               "Ctrl+wheel zooms, right-click the empty canvas for more. "
               "Shift-click or drag a box to select several, then *Group as block*. "
               "Double-click a block to open it. Ctrl+Z / Ctrl+Shift+Z undo and redo.")


TOAST_ICONS = {"toast": ":material/block:", "note": ":material/merge:",
               "success": ":material/check_circle:", "hint": ":material/folder_open:"}
LONG_TOASTS = ("success", "hint")  # shown long enough to read a few lines


def show_notices(state: DesignerState) -> None:
    """New one-off news as toasts, which do not move the canvas: a refused edit, a note, a
    success without details. Anything else (an error or warning to act on, a success with
    details to read) becomes a banner that stays until its close button: gone at the next
    edit, it moved the canvas under the user's pointer (a drop landed on another block) and
    could go unread."""
    for notice in state.take_notices():
        if notice.kind in TOAST_ICONS and not (notice.kind == "success" and notice.details):
            # a success may run to a few lines (an import's result): shown long enough to read
            st.toast(plain(notice.text), icon=TOAST_ICONS[notice.kind],
                     duration="long" if notice.kind in LONG_TOASTS else "short")
        elif notice.about and notice.about in dict(state.unopened):
            continue  # the panel of unopened projects says it, with the snapshots, until dismissed
        else:
            if notice.kind == "error" and not notice.on_canvas:
                # the banner stands above the canvas, out of view of a user scrolled down to the
                # inspector's Id or a variable: an edit refused there ("id 'conv 2!' is not
                # allowed") looked as if the box just went back. The toast is seen wherever one
                # is; the banner keeps it until dismissed
                st.toast(plain(notice.text), icon=":material/error:", duration="long")
            state.pin(notice)
    for number, notice in state.banners:
        text = plain(notice.text)
        if notice.details:
            text += "\n\n" + "\n".join(f"- {plain(d)}" for d in notice.details)
        kind = notice.kind if notice.kind in ("error", "warning", "success") else "info"
        with st.container(horizontal=True, vertical_alignment="top", gap="small",
                          key=f"banner-{number}"):
            getattr(st, kind)(text, width="stretch")
            st.button("", icon=":material/close:", key=f"dismiss-{number}", help="Dismiss",
                      on_click=state.dismiss, args=(number,))
        if state.can_undo_to_before(notice):  # a restore that changed the canvas: take it back
            st.button("Undo: back to the design before", key=f"undo_notice-{number}",
                      icon=":material/undo:", type="primary", on_click=_undo_notice,
                      args=(state, number))
        if notice.unsaved is not None:  # the disk refused the edit: kept, to save or download
            with st.container(horizontal=True, gap="small", key=f"unsaved-{number}"):
                st.button("Save it again", key=f"save_again-{number}", icon=":material/save:",
                          type="primary", on_click=_save_again, args=(state, number, notice))
                st.download_button(
                    "Download this edit's design", dumps_graph(load_graph(notice.unsaved[1])),
                    file_name=f"{state.project_id}-not-saved.json", mime="application/json",
                    key=f"download_unsaved-{number}", icon=":material/download:",
                    on_click="ignore")
        if notice.offer_copy:  # the project folder cannot be written: a copy of one's own
            st.button("Save a copy as a new project", key=f"save_copy-{number}",
                      icon=":material/file_copy:", type="primary", on_click=_save_copy,
                      args=(state, number, notice))
        if notice.put_back:  # another tab replaced this tab's values: offer them back
            st.button("Put back this tab's values", key=f"put_back-{number}",
                      icon=":material/undo:", on_click=_put_back,
                      args=(state, number, notice.put_back))


def _undo_notice(state: DesignerState, number: int) -> None:
    """The edit a banner tells of undone (as the canvas's Undo would), its banner with it."""
    if state.undo():
        state.dismiss(number)


@whole
def _save_again(state: DesignerState, number: int, notice) -> None:
    """The edit the disk refused, saved now (its banner goes; a new one says if it fails)."""
    state.dismiss(number)
    state.save_again(notice)


@whole
def _save_copy(state: DesignerState, number: int, notice) -> None:
    """The design shown, or the edit the folder refused, as a new project the tab opens (its
    banner goes; where the projects folder cannot take it either, that is said, the banner
    left for the download)."""
    copy = load_graph(notice.unsaved[1] if notice.unsaved is not None
                      else state.graph.to_dict())
    copy.name = unique_name(state.store, copy.name)
    left = state.project_id
    other = session.new_project(state, copy, "The copy")
    if other is None:
        return
    other.dismiss(number)  # the banners came along: this one, and the folder's, are answered
    other.resolve(session.UNWRITABLE_ABOUT)
    other.notify("success", f"Saved a copy as the new project “{copy.name}”, open here: your "
                            f"edits are saved there. Project {left} is left as it is.")


def _put_back(state: DesignerState, number: int, values) -> None:
    """This tab's values back (one undoable edit); the warning that offered them is answered."""
    state.put_back(values)
    state.dismiss(number)


@whole
def _set_view(state: DesignerState, key: str) -> None:
    state.view = st.session_state[key] or state.view
