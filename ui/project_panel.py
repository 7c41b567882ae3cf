"""The sidebar's projects section: switch project, new from a template, open (upload) and
download JSON, named snapshots with restore. The store itself is :mod:`.projects`."""

from __future__ import annotations

import re
import time

import streamlit as st

from layerloom.graph import GraphError, dumps_graph
from layerloom.graph.templates import list_templates, load_template

from . import state as session
from .fields import plain
from .projects import ProjectError, read_upload
from .state import DesignerState


def render(state: DesignerState) -> None:
    """One row: project switcher, New, Open, Download, Snapshots."""
    projects = state.store.list()
    ids = [p.id for p in projects]
    if state.project_id not in ids:
        ids.insert(0, state.project_id)
    names = {p.id: p.name for p in projects}
    st.selectbox("Project", ids, index=ids.index(state.project_id),
                 format_func=lambda pid: f"{names.get(pid, state.graph.name)} · {pid}",
                 key=f"project:{state.project_id}", on_change=_switch,
                 args=(state, f"project:{state.project_id}"), label_visibility="collapsed",
                 width=300, help="Every change is saved as you go; the page's link "
                                 "(…?project=) reopens this design")
    if st.button("New", icon=":material/add:", key="new"):
        new_dialog(state)
    with st.popover("Open", icon=":material/folder_open:"):
        upload_key = f"upload:{state.uploads}"
        st.file_uploader("Open a design (JSON)", type=["json"], key=upload_key,
                         on_change=_upload, args=(state, upload_key),
                         help="Opens as a new project; the current one stays as it is")
    st.download_button("JSON", data=dumps_graph(state.graph), icon=":material/download:",
                       file_name=f"{_slug(state.graph.name)}.json", mime="application/json",
                       on_click="ignore", help="Download the design as a JSON file")
    with st.popover("Snapshots", icon=":material/bookmarks:"):
        snapshots(state)


@st.dialog("New design")
def new_dialog(state: DesignerState) -> None:
    """Pick a template; the design opens as a new project (the current one stays saved)."""
    templates = list_templates()
    chosen = st.selectbox("Template", [t["name"] for t in templates], key="new:template",
                          index=_index(templates, session.FIRST_TEMPLATE))
    entry = next(t for t in templates if t["name"] == chosen)
    st.caption(plain(entry["description"]))
    st.markdown(f"**{entry['params']:,}** params · task {plain(entry['task'])}")
    if st.button("Create", type="primary", key="new:create", on_click=_new_chosen,
                 args=(state,)):
        st.rerun()  # closes the dialog


def snapshots(state: DesignerState) -> None:
    with st.form(key=f"snap:{state.revision}", border=False, clear_on_submit=True):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        name = left.text_input("Name", placeholder="before the wider head")
        if right.form_submit_button("Save", icon=":material/bookmark_add:"):
            snap = state.store.snapshot(state.project_id, name, state.graph)
            state.notify("success", f"Saved snapshot “{snap.name}”.")
            st.rerun()
    for snap in state.store.snapshots(state.project_id)[:20]:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(f"{plain(snap.name)}  \n:gray[{time.strftime('%b %d, %H:%M', time.localtime(snap.created))}]")
        right.button("Restore", key=f"restore:{snap.id}", on_click=_restore,
                     args=(state, snap.id, snap.name), help="Undo brings the current one back")


def _index(templates: list[dict], name: str) -> int:
    return next((i for i, t in enumerate(templates) if t["name"] == name), 0)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name or "design").strip("-") or "design"


# -- callbacks ----------------------------------------------------------------------------------

def _switch(state: DesignerState, key: str) -> None:
    pid = st.session_state[key]
    if pid == state.project_id:
        return
    try:
        session.use(state, DesignerState.open(state.store, pid))
    except (ProjectError, GraphError) as exc:
        state.notify("error", f"Could not open project {pid}: {exc}")


def _new_chosen(state: DesignerState) -> None:
    _new(state, st.session_state["new:template"])


def _new(state: DesignerState, template: str) -> None:
    other = session.use(state, DesignerState.new(state.store, load_template(template)))
    other.notify("success", f"New project from the {template} template.")


def _upload(state: DesignerState, key: str) -> None:
    upload = st.session_state.get(key)
    if upload is None:
        return
    try:
        graph = read_upload(upload.name, upload.getvalue())
    except GraphError as exc:
        state.notify("error", f"Could not open {upload.name}; the current design is kept.",
                     str(exc).splitlines())
        return
    state.uploads += 1
    other = session.use(state, DesignerState.new(state.store, graph))
    other.notify("success", f"Opened {upload.name} as a new project.")


def _restore(state: DesignerState, sid: str, name: str) -> None:
    try:
        graph = state.store.load_snapshot(state.project_id, sid)
    except (ProjectError, GraphError, OSError, ValueError) as exc:
        state.notify("error", f"Could not restore the snapshot: {exc}")
        return
    state.replace_design(graph, f"Restored snapshot “{name}”.")
