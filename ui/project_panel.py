"""The sidebar's projects section: switch project, new (blank or from a template), rename and
describe the design, open (upload) a design's JSON or a trained model's ONNX file
(:mod:`.model_upload`), download JSON, named snapshots with restore. The store
itself is :mod:`.projects`.

Two projects never go by the same name: a new, opened or renamed design whose name another
project has already takes the first free ``name (2)``, ``name (3)``…; projects that share a name
from before are told apart in the switcher by their id.
"""

from __future__ import annotations

import re
import time
from typing import Any

import streamlit as st

from layerloom.graph import Graph, GraphError, dumps_graph
from layerloom.graph import edit as graph_edit
from layerloom.graph.naming import file_stem
from layerloom.graph.templates import list_templates, load_template

from . import model_upload
from . import state as session
from .fields import plain, took, unseen_submit, whole, widget_key
from .projects import ProjectError, read_upload
from .state import DesignerState


BLANK = "Blank design"
BLANK_NAME = "untitled"


def render(state: DesignerState) -> None:
    """One row: project switcher, New, Design (rename, describe), Open, Download, Snapshots."""
    projects = state.store.list()
    ids = [p.id for p in projects]
    if state.project_id not in ids:
        ids.insert(0, state.project_id)
    names = {p.id: p.name for p in projects}
    names.setdefault(state.project_id, state.graph.name)
    st.selectbox("Project", ids, index=ids.index(state.project_id),
                 format_func=lambda pid: project_label(pid, names),
                 key=f"project:{state.project_id}", on_change=_switch,
                 args=(state, f"project:{state.project_id}"), label_visibility="collapsed",
                 width=300, help="Every change is saved as you go; the page's link "
                                 "(…?project=) reopens this design")
    if st.button("New", icon=":material/add:", key="new"):
        new_dialog(state)
    with st.popover("Design", icon=":material/edit:", help="Rename and describe this design"):
        design_form(state)
    with st.popover("Open", icon=":material/folder_open:"):
        upload_key = f"upload:{state.uploads}"
        st.file_uploader("Open a design (JSON)", type=["json"], key=upload_key,
                         on_change=_upload, args=(state, upload_key),
                         help="Opens as a new project; the current one stays as it is")
        model_upload.uploader(state)
        weights_key = f"weights:{state.uploads}"
        st.file_uploader("Weights for this design (.safetensors)", type=["safetensors"],
                         key=weights_key, on_change=_upload_weights, args=(state, weights_key),
                         help="An imported model's weights (import-torch/import-onnx "
                              "--weights): the Train page starts from them, the Export page "
                              "exports them")
        if state.store.weights_file(state.project_id) is not None:
            st.caption("This design carries weights (weights.safetensors).")
            if st.button("Forget the weights", key="weights.forget"):
                state.store.set_weights(state.project_id, None)
                state.notify("success", "The design's weights are forgotten: fresh weights "
                                        "from now on.")
    st.download_button("JSON", data=dumps_graph(state.graph), icon=":material/download:",
                       file_name=f"{file_stem(state.graph.name, 'design')}.json",
                       mime="application/json",
                       on_click="ignore", help="Download the design as a JSON file")
    with st.popover("Snapshots", icon=":material/bookmarks:"):
        snapshots(state)


def project_label(pid: str, names: dict[str, str]) -> str:
    """A project's name; with its id's last part when another project has the same name."""
    name = names.get(pid) or pid
    twins = sum(1 for other in names.values() if other == name)
    return f"{name} · {pid.rsplit('-', 1)[-1]}" if twins > 1 else name


def chosen_project(store, value: Any) -> str | None:
    """The project id the switcher's ``value`` stands for. The widget may hand back an
    option's label rather than its id when that label changed since the page was drawn (a
    rename here or in another tab): the label is matched against the projects' labels now;
    None when it matches none (the project shown was renamed: nothing to switch to)."""
    value = str(value or "")
    if store.exists(value):
        return value
    projects = store.list()
    names = {p.id: p.name for p in projects}
    found = [p.id for p in projects if value in (p.name, project_label(p.id, names))]
    return found[0] if len(found) == 1 else None


def unique_name(store, name: str, exclude: str | None = None) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when another project (not ``exclude``) is
    called that already."""
    name = (name or "").strip() or BLANK_NAME
    taken = {p.name for p in store.list() if p.id != exclude}
    if name not in taken:
        return name
    base = re.sub(r" \(\d+\)$", "", name)
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def blank_design() -> Graph:
    """An empty canvas: no blocks, no variables, no description."""
    return Graph(name=BLANK_NAME)


@st.dialog("New design")
def new_dialog(state: DesignerState) -> None:
    """Pick a blank design or a template; it opens as a new project (the current one stays
    saved). The figures shown are computed from the template, never read from its text."""
    templates = list_templates()
    options = [BLANK] + [t["name"] for t in templates]
    chosen = st.selectbox("Template", options, key="new:template", index=0)
    if chosen == BLANK:
        st.caption("An empty canvas: add an Input, the layers and an Output from the palette "
                   "(or search), and wire them.")
    else:
        entry = next(t for t in templates if t["name"] == chosen)
        st.caption(plain(entry["description"]))
        shapes = f"{entry['inputs'][0]} → {entry['outputs'][0]}" if entry.get("inputs") and \
            entry.get("outputs") else ""
        st.markdown(f"**{entry['params']:,}** params · task {plain(entry['task'])}"
                    + (f" · {plain(shapes)}" if shapes else "")
                    + (f" · sized for {plain(entry['dataset'])}" if entry.get("dataset") else ""))
    if st.button("Create", type="primary", key="new:create", on_click=_new_chosen,
                 args=(state,)):
        st.rerun()  # closes the dialog


def design_form(state: DesignerState) -> None:
    """Rename and describe the design (undoable, saved with the project). The form is drawn
    afresh for each revision (its fields show the design's name and description now); the
    submission is taken in a callback, before the run that might take another tab's save and
    with it a new revision, so a submit from a tab that is behind is never dropped."""
    shown = (state.graph.name, state.graph.description or "")
    # keyed by what it shows, not by the revision, which a new session counts from 0 again:
    # a name typed before the server restarted stays in the box and is applied when submitted
    # (see fields.unseen_submit), unless another tab changed the name or description since
    form = widget_key(f"design-info:{state.project_id}", shown)
    with st.form(key=form, border=False):
        st.text_input("Design name", value=shown[0], max_chars=80, key=f"{form}:name")
        st.text_area(
            "Description", value=shown[1], height=110,
            placeholder="What this design is for, in your words", key=f"{form}:description",
            help="Your own words about the design. Figures such as its parameter count are "
                 "shown computed (status bar), so they never go stale here.")
        unseen_submit(st.form_submit_button("Apply", type="primary", on_click=_apply_info,
                                            args=(state, form)), form, _apply_info, state, form)


@whole
def _apply_info(state: DesignerState, form: str) -> None:
    took(form)
    _set_info(state, st.session_state.get(f"{form}:name", ""),
              st.session_state.get(f"{form}:description", ""))


def snapshots(state: DesignerState) -> None:
    """Save a named snapshot (taken in a callback, like the design form, so that a tab behind
    another tab's save keeps it), and restore one."""
    # one form per project, never per revision (a new session counts those from 0 again: the
    # name typed before the server restarted was dropped), cleared once saved
    form = f"snap:{state.project_id}"
    with st.form(key=form, border=False, clear_on_submit=True):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.text_input("Name", placeholder="before the wider head", key=f"{form}:name")
        unseen_submit(right.form_submit_button("Save", icon=":material/bookmark_add:",
                                               on_click=_save_snapshot, args=(state, form)),
                      form, _save_snapshot, state, form)
    snaps = state.store.snapshots(state.project_id)[:20]
    # marked "saved" while the design is the one it saved: once edited, the design is no
    # longer in it (a mark kept then told the user an edit since was safe)
    saved = next((snap for snap in snaps if (snap.id, state.revision) == state.saved_snapshot),
                 None)
    if saved is not None:  # here, under the form: a toast lay over this menu
        st.caption(f":material/check_circle: Saved snapshot “{plain(saved.name)}”.")
    for snap in snaps:
        left, right = st.columns([3, 2], vertical_alignment="center")
        when = time.strftime('%b %d, %H:%M', time.localtime(snap.created))
        mark = " · :green[saved]" if snap is saved else ""
        left.markdown(f"{plain(snap.name)}  \n:gray[{when}]{mark}")
        right.button("Restore", key=f"restore:{snap.id}", on_click=_restore,
                     args=(state, snap.id, snap.name), help="Undo brings the current one back")


@whole
def _save_snapshot(state: DesignerState, form: str) -> None:
    took(form)
    name = st.session_state.get(f"{form}:name") or ""
    try:
        snap = state.store.snapshot(state.project_id, name, state.graph)
    except (OSError, ProjectError) as exc:  # a full disk, a read-only folder: said, not a trace
        state.notify("error", f"The snapshot{f' “{name}”' if name else ''} was not saved: "
                              f"{getattr(exc, 'strerror', None) or exc}. The design is "
                              f"unchanged; the JSON button in the project bar downloads it "
                              f"to keep a copy.")
        return
    state.saved_snapshot = (snap.id, state.revision)  # said in the Snapshots menu, kept open



def unopened(state: DesignerState) -> None:
    """Projects that could not be opened (a design that no longer reads, or is too big to
    open): why, and their snapshots, any of which opens as a new project."""
    for pid, why in list(dict(state.unopened).items()):
        with st.container(border=True, key=f"unopened:{pid}"):
            if not state.store.exists(pid):
                _not_found(state, pid)
                continue
            st.warning(f"Project {plain(pid)} could not be opened: {plain(why)}",
                       icon=":material/report:")
            try:
                snaps = state.store.snapshots(pid)
            except (ProjectError, OSError):
                snaps = []
            row = st.container(horizontal=True, vertical_alignment="bottom")
            if snaps:
                stamp = "%Y-%m-%d %H:%M"
                labels = {s.id: f"{s.name} ({time.strftime(stamp, time.localtime(s.created))})"
                          for s in snaps}
                chosen = row.selectbox(f"Snapshots of {pid}", list(labels),
                                       format_func=labels.get, key=f"unopened:snap:{pid}")
                row.button("Open snapshot as a new project", key=f"unopened:open:{pid}",
                           on_click=_open_snapshot, args=(state, pid, chosen, labels[chosen]),
                           type="primary")
            else:
                row.caption("It has no snapshots to open instead.")
            row.button("Dismiss", key=f"unopened:dismiss:{pid}", on_click=_dismiss,
                       args=(state, pid))


def _not_found(state: DesignerState, pid: str) -> None:
    """A link to a project this server does not have (mistyped, from another server, deleted):
    said as such, what the page shows in its place, and the projects there are to open. It was
    said as any project that fails to open, above a fresh seed-cnn that nothing named, as if
    the user's work were gone or were that design."""
    st.warning(f"There is no project “{plain(pid)}” on this server: the link names none (its "
               f"id mistyped, or the project deleted). No project was changed.",
               icon=":material/report:")
    shown = state.instead or f"“{state.graph.name}”, the project this tab had open"
    st.markdown(f"Shown below instead: {plain(shown)}.")
    projects = state.store.list()
    names = {p.id: p.name for p in projects}
    # a link that gives a design's name rather than its id: the projects of that name first
    others = sorted((p for p in projects if p.id != state.project_id),
                    key=lambda p: p.name.casefold() != pid.casefold())
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if others:
        labels = {p.id: f"{project_label(p.id, names)} (?project={p.id}, changed "
                        f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(p.updated))})"
                  for p in others}
        key = f"unopened:other:{pid}"
        row.selectbox(f"Projects on this server ({len(others)})", list(labels),
                      format_func=labels.get, key=key)
        row.button("Open", key=f"unopened:go:{pid}", type="primary", on_click=_open_other,
                   args=(state, pid, key))
    else:
        row.caption("This server has no other project.")
    row.button("Dismiss", key=f"unopened:dismiss:{pid}", on_click=_dismiss, args=(state, pid))


@whole
def _open_other(state: DesignerState, pid: str, key: str) -> None:
    """Open the project picked in place of the link's missing ``pid``."""
    other = st.session_state.get(key)
    _dismiss(state, pid)
    if other and other != state.project_id:
        _switch_to(state, other)


@whole
def _open_snapshot(state: DesignerState, pid: str, sid: str, label: str) -> None:
    try:
        graph = state.store.load_snapshot(pid, sid)
    except Exception as exc:  # noqa: BLE001 - a snapshot that fails too is said, not raised
        state.notify("error", f"Could not open snapshot {label} of {pid}: {session._why(exc)}")
        return
    graph.name = unique_name(state.store, graph.name)
    other = session.new_project(state, graph, f"The copy of snapshot “{label}”")
    if other is None:
        return
    _dismiss(other, pid)
    other.notify("success", f"Opened snapshot “{label}” of {pid} as the new project "
                            f"“{graph.name}”.")


def _dismiss(state: DesignerState, pid: str) -> None:
    state.unopened[:] = [(p, why) for p, why in state.unopened if p != pid]
    state.resolve(pid)  # its "could not open" banner goes with it


# -- callbacks ----------------------------------------------------------------------------------

@whole
def _switch(state: DesignerState, key: str) -> None:
    pid = chosen_project(state.store, st.session_state[key])
    if pid is None or pid == state.project_id:
        return
    _switch_to(state, pid)


def _switch_to(state: DesignerState, pid: str) -> None:
    try:
        session.use(state, DesignerState.open(state.store, pid))
    except Exception as exc:  # noqa: BLE001 - a project that fails leaves this one open
        why = session._why(exc)
        state.notify("error", f"Could not open project {pid}: {why}", about=pid)
        state.unopened.append((pid, why))


@whole
def _new_chosen(state: DesignerState) -> None:
    _new(state, st.session_state["new:template"])


def _new(state: DesignerState, template: str) -> None:
    graph = blank_design() if template == BLANK else load_template(template)
    graph.name = unique_name(state.store, graph.name)
    other = session.new_project(state, graph, f"The new project “{graph.name}”")
    if other is None:
        return
    other.notify("success", f"New blank design “{graph.name}”." if template == BLANK else
                 f"New project “{graph.name}” from the {template} template.")


def _set_info(state: DesignerState, name: str, description: str) -> None:
    wanted = (name or "").strip()
    if not wanted:
        state.notify("error", "The design needs a name; it keeps “" + state.graph.name + "”.")
        return
    unique = unique_name(state.store, wanted, exclude=state.project_id)
    text = (description or "").strip() or None
    if unique == state.graph.name and text == state.graph.description:
        return
    if not state.commit(graph_edit.set_info(state.graph, name=unique, description=text or "")):
        return  # not saved: the notice the refusal left says why (never "Saved")
    if unique != wanted:
        state.notify("warning", f"Another project is called “{wanted}”: this one is now "
                                f"“{unique}”.")
    else:
        state.notify("success", f"Saved the name and description of “{unique}”.")


@whole
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
    graph.name = unique_name(state.store, graph.name)
    other = session.new_project(state, graph, f"The project of {upload.name}")
    if other is None:
        return
    other.notify("success", f"Opened {upload.name} as a new project.")


@whole
def _upload_weights(state: DesignerState, key: str) -> None:
    """Keep an uploaded .safetensors with the project once it fits the design (tensors whose
    shape differs, a replaced head, will start fresh)."""
    upload = st.session_state.get(key)
    if upload is None:
        return
    from layerloom.graph import compile_graph
    from layerloom.graph.import_torch.finetune import load_fitting

    data = upload.getvalue()
    try:
        from safetensors.torch import load as load_tensors

        tensors = load_tensors(data)
        fresh = load_fitting(compile_graph(state.graph), tensors)
    except GraphError as exc:
        state.notify("error", f"{upload.name} does not fit this design; nothing was stored.",
                     str(exc).splitlines())
        return
    except Exception as exc:  # noqa: BLE001 - not a safetensors file: said, not a traceback
        state.notify("error", f"{upload.name} is not a readable safetensors file: "
                              f"{str(exc).splitlines()[0][:200]}")
        return
    state.uploads += 1
    state.store.set_weights(state.project_id, data)
    note = f" ({', '.join(fresh)} start fresh: their shape differs)" if fresh else ""
    state.notify("success", f"{upload.name}: {len(tensors)} tensors stored with this design"
                            f"{note}.")


def _restore(state: DesignerState, sid: str, name: str) -> None:
    try:
        graph = state.store.load_snapshot(state.project_id, sid)
    except (ProjectError, GraphError, OSError, ValueError) as exc:
        state.notify("error", f"Could not restore the snapshot: {exc}")
        return
    state.replace_design(graph, f"Restored snapshot “{name}”.",  # with its weights, if kept
                         weights=state.store.snapshot_weights(state.project_id, sid))
