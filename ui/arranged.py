"""The places the canvas gives blocks by itself, saved: a design that arrives with blocks
partly over each other (hand-written, scripted, uploaded) has them moved apart on the canvas
(``overlap.js``; all at one spot: laid out anew, ``unstack``), which sends the new places back
at once as a ``change`` marked ``"arranged": true``.

They were kept in the browser only until the user's next edit: a reload before one showed the
blocks over each other again, and other tabs, the exports and the CLI never saw them. Such a
change is saved as a drag is, but it is not the user's edit: it is no undo step, it only moves
blocks, and it gives way to anything saved since the canvas took the design (another tab's
edit, this tab's own): it is dropped then, unsaid, and the canvas shows the design as it is.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from layerloom.graph import GraphError
from layerloom.graph import edit

from .savelog import Edit
from .state import DesignerState, events_of

log = logging.getLogger(__name__)


def handle_canvas_events(state: DesignerState, value: Any) -> bool:
    """Apply every canvas event not handled yet, oldest first, as
    :meth:`DesignerState.handle_events` does, the canvas's own arrangements by
    :func:`take_arranged`; True when any was new."""
    handled = False
    for event in events_of(value):
        if event.get("event") == "change" and event.get("arranged") is True:
            handled |= take_arranged(state, event)
        else:
            handled |= state.handle_event(event)
    return handled


def take_arranged(state: DesignerState, event: dict) -> bool:
    """Save the places an ``arranged`` change gives the blocks of the level it was made on,
    when that is the level shown now and nothing was saved since; False when the event was
    handled before."""
    if not isinstance(event.get("seq"), (int, float)) or event["seq"] <= state.last_seq:
        return False
    state.last_seq = event["seq"]
    if event.get("base") != state.canvas_version():
        log.info("arranged canvas change %s dropped: made on %r, now %s (project %s)",
                 event["seq"], event.get("base"), state.canvas_version(), state.project_id)
        return True
    level = moved_level(state.level(), event.get("graph"))
    if level is None:
        return True
    try:
        graph = edit.set_level(state.graph, state.path, level)
        if state.store.version(state.project_id) != state.saved_edits:
            return True  # another tab saved since this run took the design: theirs stands
    except (GraphError, OSError, TypeError, ValueError) as exc:
        log.warning("arranged canvas change %s of %s not saved: %s", event["seq"],
                    state.project_id, exc)
        return True
    undo, redo, said = list(state.undo_stack), list(state.redo_stack), len(state.notices)
    saved = state.commit(graph, edit=Edit("canvas", "blocks over each other moved apart",
                                          seq=int(event["seq"]), base=state.revision,
                                          scope=("level", tuple(state.path))))
    # the user's history is as it was: Ctrl+Z does not put the blocks back over each other
    state.undo_stack[:], state.redo_stack[:] = undo, redo
    if not saved:  # not the user's edit: a save that failed is not theirs to hear of
        del state.notices[said:]
    return True


def moved_level(level: dict, sent: Any) -> dict | None:
    """``level`` with each node at the place ``sent`` (the canvas's level) gives it, nothing
    else taken from ``sent``; None when no node moves (or ``sent`` is not a level)."""
    if not isinstance(sent, dict) or not isinstance(sent.get("nodes"), list):
        return None
    places = {n["id"]: n["position"] for n in sent["nodes"]
              if isinstance(n, dict) and isinstance(n.get("id"), str) and _place(n.get("position"))}
    out = copy.deepcopy(level)
    moved = False
    for node in out["nodes"]:
        place = places.get(node["id"])
        if place is not None and list(place) != node.get("position"):
            node["position"] = [round(place[0]), round(place[1])]
            moved = True
    return out if moved else None


def _place(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e9 for v in value)
