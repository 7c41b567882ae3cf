"""The designer's session state: one typed object per browser tab, kept in one session key.

:class:`DesignerState` holds the open project and its graph, the level shown (the composite
blocks opened), the selection, the undo and redo history, the last canvas event handled and the
theme. Every change of the graph goes through :meth:`DesignerState.commit`, which records undo,
bumps ``revision`` and autosaves. Each change names its :class:`~.savelog.Edit` (its source, the
revision it was made on, what it may touch): the store refuses a save that changes more, and
logs every save it makes. An edit that also changes the weights the design carries (the Train
page's "Replace the head") names their new version, saved with the design; its undo step keeps
the version the old design carried, so undo and redo switch the weights with the design.
A canvas ``change`` names the version it was made on (``base``); it
is applied when the design has changed since only in what the canvas does not edit (params,
repeats, labels: it is rebased on them), and refused with a toast otherwise. Validation and annotations are derived, computed once per
revision. On every run the tab takes a design another tab saved since (:meth:`DesignerState.catch_up`)
and says which of its own values that save replaced. Only :func:`current` touches Streamlit; the rest runs (and is tested) without it.

>>> import tempfile
>>> from layerloom.graph.templates import load_template
>>> from layerloom.ui.projects import ProjectStore
>>> state = DesignerState.new(ProjectStore(tempfile.mkdtemp()), load_template("seed-cnn"))
>>> state.totals().params
34826
"""

from __future__ import annotations

import errno
import itertools
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerloom.graph import Graph, GraphError, load_graph, validate
from layerloom.graph import edit
from layerloom.graph.templates import load_template
from layerloom.graph.validate import Report

from . import savelog
from .changes import in_words
from .merge import fresh_ids_for_added, merge_or_why, merge_preferring_mine
from .group_paths import grouped_as, grouped_by_level, in_use, ungrouped_as, ungrouped_by_level
from .renames import (holds_node, node_renames, renamed_as, renamed_since, renames_by_level,
                      same_block)
from .projects import (UNREADABLE_DIR, ProjectError, ProjectGone, ProjectStore, SaveConflict,
                       SaveRefused, Snapshot, Unwritable)
from .savelog import Edit

SESSION_KEY = "layerloom"
# what the banner saying the design file no longer reads is about: it goes once the file reads
UNREADABLE_ABOUT = "graph.json unreadable"
# and the one saying a change of it made outside LayerLoom cannot be logged: the folder is
# read-only (it goes once the file is as logged)
UNWRITABLE_ABOUT = "project folder unwritable"
GONE_ABOUT = "project folder gone"
# a write refused for want of permission (a folder made read-only, another user's, a read-only
# mount), not of room: making it writable, or a copy in a project of one's own, is the way on
UNWRITABLE_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)
FIRST_TEMPLATE = "seed-cnn"
UNDO_LIMIT = 100
MAX_HISTORIES = 20  # the projects left whose undo history a tab keeps
REVISION_LOG = 500  # the revisions remembered to rebase canvas changes on
DESIGNS_KEPT = 16  # the designs of the latest revisions kept to replay a canvas change on
THEMES = ("light", "dark")

CANVAS_STALE = ("Your last change on the canvas was not applied: the design changed "
                "meanwhile (in another tab, or by an undo) in a way it does not fit. The "
                "canvas shows the design as saved now; make the change again.")
log = logging.getLogger(__name__)
_BANNER_NUMBERS = itertools.count(1)  # keys each banner's close button, unique in the process


@dataclass
class Notice:
    """A message for the next run of the page (``kind``: error, warning or info, a banner above
    the canvas kept until dismissed; success, a toast, or a kept banner when it has details;
    toast (an edit refused) or note (news needing nothing done), a toast; hint (where to find
    something, as the page opens), a toast shown long. A toast does not move the canvas; a
    banner moves it only when it comes, as the user acts, and when dismissed)."""

    kind: str
    text: str
    details: tuple[str, ...] = ()  # one line each, e.g. the problems of a file
    # this tab's values of fields another tab replaced ((field path, value), …): the notice
    # offers to put them back
    put_back: tuple[tuple[str, Any], ...] = ()
    about: str | None = None  # the project it is about: its banner goes when that is resolved
    # said by a canvas event: the banner stands right above the canvas the user acts on (an
    # error from the inspector or a variable is toasted too: the banner may be out of view)
    on_canvas: bool = False
    # the design (its savelog.digest) the edit it tells of made: while the design is still
    # that one, its banner offers to undo the edit (a snapshot restored)
    undo_of: str | None = None
    # an edit that could not be written (a full disk, a read-only folder): (the design it was
    # made on, the design it made), both as dicts; the banner offers to save it again and to
    # download it, so the edit is never lost with the failed save
    unsaved: tuple[dict, dict] | None = None
    # the project folder cannot be written (read-only): the banner offers to save a copy as a
    # new project, of the edit ``unsaved`` keeps where there is one, else of the design shown
    offer_copy: bool = False


@dataclass(frozen=True)
class Step:
    """One step of undo or redo: the design to go back (or forward) to, and, for an edit that
    changed the weights the design carries (a replaced head), the weights version that design
    carries (a digest of :meth:`ProjectStore.keep_weights`, "" for none), switched with it;
    None: the weights are left as they are."""

    graph: dict
    weights: str | None = None


@dataclass
class DesignerState:
    store: ProjectStore
    project_id: str
    graph: Graph
    path: tuple[str, ...] = ()  # composite blocks opened, outermost first
    # the node opened at each step of ``path`` (the use of the block: its shapes are shown)
    uses: tuple[str, ...] = ()
    selected: list[str] = field(default_factory=list)  # node ids at the current level
    # the canvas must be told the selection on its next draw (Python changed it); a selection
    # made on the canvas is never sent back, or it could undo a click made in the meantime
    tell_selection: bool = True
    undo_stack: list[Step] = field(default_factory=list)  # oldest first
    redo_stack: list[Step] = field(default_factory=list)
    last_seq: int = 0  # the canvas's last event handled
    theme: str = "light"
    view: str = "canvas"  # the main area: "canvas" or "model" (the expanded model graph)
    uploads: int = 0  # bumps after each upload, so the uploader starts empty again
    revision: int = 0  # bumps on every change of the graph: keys the derived caches
    saved_edits: int = 0  # the project's save count this session last read or wrote
    merged_over: Graph | None = field(default=None, repr=False)  # see save()
    # the fields this tab's own edits set (savelog.diff paths) and the value each was given:
    # when another tab's save replaces one of them, this tab is told (see catch_up)
    own: dict[str, Any] = field(default_factory=dict, repr=False)
    # the blocks this tab's own edits renamed (``nodes.<new id>``, ``blocks.<name>.nodes.<new
    # id>`` inside one) and the id each had: when another tab's save removes one, this tab is
    # told, its version kept (a rename sets no field :attr:`own` could follow)
    own_ids: dict[str, str] = field(default_factory=dict, repr=False)
    browser: str | None = None  # this browser's id (its last project is remembered)
    remembered: str | None = None  # the project last remembered for it
    # (revision, source, structural, canvas seq) of the latest changes: a canvas change made
    # on an older revision is rebased over the changes since when none it does not hold
    # changed the structure
    revisions: list[tuple[int, str, bool, int | None]] = field(default_factory=list)
    # the design at each of the latest revisions: a canvas change made on one of them that the
    # structure has moved on from since (an undo, a group) is replayed as what it changed
    designs: dict[int, Graph] = field(default_factory=dict, repr=False)
    # the level each of the latest canvas changes sent (by seq): what the canvas showed after it
    sent_levels: dict[int, dict] = field(default_factory=dict, repr=False)
    notices: list[Notice] = field(default_factory=list)
    # (number, notice) of the banners shown above the canvas until the user dismisses them:
    # one that went at the next unrelated edit would move the canvas under the user's pointer
    # and could go unread
    banners: list[tuple[int, Notice]] = field(default_factory=list)
    # projects that could not be opened this session: (id, why); their snapshots are offered
    unopened: list[tuple[str, str]] = field(default_factory=list)
    pages: dict[str, Any] = field(default_factory=dict)  # other pages' own typed state
    # the undo and redo steps of the projects this tab left, by project id, with the design
    # they were made on: going back to one of them brings its history back (see switch)
    histories: dict[str, tuple[dict, list, list]] = field(default_factory=dict, repr=False)
    # set by "Select <node>" on another page: the next run opens the Designer, where the
    # node is selected (the app switches pages; a callback cannot)
    open_designer: bool = False
    # the snapshot this tab saved last and the revision it holds: said and marked in the
    # Snapshots menu (a toast lay over the menu, and over the snapshot just saved) while the
    # design is still that revision
    saved_snapshot: tuple[str, int] | None = None
    # what the tab shows in place of the project its link named, which could not be opened
    # (said beside why: "a new design, a fresh copy of the seed-cnn template")
    instead: str | None = None
    # the project this tab left, which the browser's link may still name: a request sent
    # before the browser had the new link carries it, and is no link to follow (see current)
    link_behind: str | None = None
    # this state's own mark in the canvas's version: revisions are counted per session, so a
    # change the browser queued under a session that is gone (the server restarted, a tab
    # away long enough for its session to end) must not pass for one of this session's
    session_mark: str = field(default_factory=lambda: secrets.token_hex(4))
    # whether another tab's save changed what undo or redo does (said) since this run began
    # or the notices were last shown: an Undo pressed then does nothing more, the user
    # reading first what it takes back now
    history_changed: bool = False
    # the notice that told this tab's values a save of another tab removed with their block,
    # and their field paths: an undo step that only set them is said there (it has
    # nothing left to take back), not in a notice and a snapshot of its own
    # (and the blocks renamed by this tab it removed: their paths, each with the id it had)
    told_removed: tuple[Notice, frozenset[str], dict[str, str]] | None = field(
        default=None, repr=False)
    # why the design file, changed outside LayerLoom, does not read, as this tab was told:
    # told once for each such change, not on every run
    unreadable_told: str | None = None
    # a change of the design file made outside LayerLoom could not be logged (the project
    # folder cannot be written), as this tab was told: once, until the file is as logged
    unwritable_told: bool = False
    # the project's folder was found gone (moved or deleted outside LayerLoom), as this tab
    # was told: once, until it is back
    gone_told: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, store: ProjectStore, pid: str) -> DesignerState:
        project = store.load(pid)
        state = cls(store, pid, project.graph, theme=_theme(store.settings().get("theme")),
                    saved_edits=project.edits)
        view = project.view
        state.path = tuple(p for p in view.get("path", []) if isinstance(p, str))
        state.uses = tuple(u for u in view.get("uses", []) if isinstance(u, str))
        state._fix_view()
        state.selected = [s for s in view.get("selected", []) if s in state._level_ids()]
        return state

    @classmethod
    def new(cls, store: ProjectStore, graph: Graph) -> DesignerState:
        return cls.open(store, store.create(graph))

    @classmethod
    def boot(cls, store: ProjectStore, wanted: str | None = None,
             last: str | None = None) -> DesignerState:
        """The project in the URL, else ``last`` (the last one this browser opened), else a
        new ``seed-cnn``."""
        notes, unopened = [], []
        for pid, why in ((wanted, "the link"), (last, "")):
            if not pid:
                continue
            try:
                state = cls.open(store, pid)
            except Exception as exc:  # noqa: BLE001 - any project that fails still opens the app
                notes.append(Notice("warning", f"Could not open project {pid} from "
                                               f"{why or 'last time'}: {_why(exc)}", about=pid))
                unopened.append((pid, _why(exc)))
                continue
            state.notices += notes
            state.unopened += unopened
            if unopened:  # the link failed: the panel that says so says what is shown instead
                state.instead = (f"“{state.graph.name}”, the project this browser had open "
                                 f"last")
            return state
        earlier = store.list() if not (wanted or last) else []
        state = cls.new(store, load_template(FIRST_TEMPLATE))
        state.notices += notes
        state.unopened += unopened
        if unopened:
            state.instead = f"a new design, a fresh copy of the {FIRST_TEMPLATE} template"
        if earlier:  # a browser new to this server: its own design, the others one click away
            newest = earlier[0]
            state.notices.append(Notice(
                "hint", f"This browser starts its own design, a new copy of {FIRST_TEMPLATE}. "
                        f"The {len(earlier)} design{'s' * (len(earlier) != 1)} made before "
                        f"{'are' if len(earlier) != 1 else 'is'} in the project list at the "
                        f"top left; the last changed is “{newest.name}” (its link: "
                        f"?project={newest.id})."))
        return state

    # -- derived, once per revision ---------------------------------------------------------

    def _cached(self, key: Any, make: Callable[[], Any]) -> Any:
        full = (key, self.revision)
        if full not in self._cache:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[full] = make()
        return self._cache[full]

    def report(self) -> Report:
        return self._cached("report", lambda: validate(self.graph))

    def annotations(self) -> dict:
        return self._cached(("annotations", self.path, self.uses),
                            lambda: edit.annotations(self.report(), self.path, self.uses))

    def catalog(self) -> list[dict]:
        return self._cached("catalog", lambda: edit.catalog(self.graph))

    def totals(self) -> edit.Totals:
        return self._cached("totals", lambda: edit.totals(self.report()))

    def level(self) -> dict:
        return edit.get_level(self.graph, self.path)

    def node(self, node_id: str):
        nodes, _ = edit.nodes_edges(self.graph, self.path)
        return next((n for n in nodes if n.id == node_id), None)

    def _level_ids(self) -> set[str]:
        nodes, _ = edit.nodes_edges(self.graph, self.path)
        return {n.id for n in nodes}

    # -- changes ----------------------------------------------------------------------------

    def commit(self, graph: Graph, *, selected: list[str] | None = None,
               from_canvas: bool = False, edit: Edit | None = None,
               weights: str | None = None) -> bool:
        """Make ``graph`` the design: undo records the old one, the new one is saved.

        ``weights``: a weights version (:meth:`ProjectStore.keep_weights`) the new design
        carries, made the one in use with it; undo then switches back to the weights the old
        design carried, redo to these again. False (nothing recorded or saved) when ``graph``
        is the design already, or when the store refused the save (it would change more than
        ``edit`` may: reported as an error).
        """
        old = self.graph.to_dict()
        if graph.to_dict() == old:
            if selected is not None:
                self.select(selected, from_canvas=from_canvas)
            return False
        try:  # the weights the old design carries, kept as a version for its undo
            before = self.store.weights_version(self.project_id) if weights is not None \
                else None
        except OSError as exc:
            self.notify("error", f"This edit was not saved: the design's weights cannot be "
                                 f"kept ({exc}). The design is unchanged.")
            return False
        if not self._replace(graph, selected, from_canvas, edit, weights):
            return False
        if self.merged_over is not None:  # undo takes back this edit, not the other tab's
            # and the older steps, made on this tab's design before that save, are laid over
            # it: the second Undo went back to a design without the other tab's edit
            self._relay("Undo", self.undo_stack, old, self.merged_over.to_dict())
            old = self.merged_over.to_dict()
        self.undo_stack.append(Step(old, before))
        del self.undo_stack[:-UNDO_LIMIT]
        self.redo_stack.clear()
        return True

    def _replace(self, graph: Graph, selected: list[str] | None,
                 from_canvas: bool = False, edit: Edit | None = None,
                 weights: str | None = None) -> bool:
        before = (self.graph, self.path, list(self.selected), self.tell_selection)
        self.graph = graph
        if selected is not None:
            self.selected = list(selected)
            self.tell_selection |= not from_canvas
        self._fix_view()
        try:
            self.save(edit, previous=before[0], weights=weights)
        except SaveConflict as exc:
            self.graph, self.path, self.selected, self.tell_selection = before
            log.warning("%s", exc)
            self._not_joined(edit, exc)
            return False
        except SaveRefused as exc:
            self.graph, self.path, self.selected, self.tell_selection = before
            log.error("%s", exc)
            self.notify("error", f"This edit was not saved: {exc}. The design is unchanged.")
            return False
        except OSError as exc:  # a full disk, a read-only folder: the edit is kept, not lost
            self.graph, self.path, self.selected, self.tell_selection = before
            log.error("could not save project %s: %s", self.project_id, exc)
            self._not_saved(before[0], graph, edit, exc)
            return False
        except Exception:  # a bug: the design shown stays the one saved
            self.graph, self.path, self.selected, self.tell_selection = before
            raise
        graph = self.graph  # what was saved: laid over another tab's design, where it was
        self.revision += 1
        structural = savelog.structure(before[0].to_dict()) != savelog.structure(graph.to_dict())
        self.revisions.append((self.revision, edit.source if edit else "save", structural,
                               edit.seq if edit else None))
        del self.revisions[:-REVISION_LOG]
        self.designs.setdefault(self.revision - 1, before[0])
        self.designs[self.revision] = graph
        for old in [r for r in self.designs if r < self.revision - DESIGNS_KEPT]:
            del self.designs[old]
        return True

    def _not_joined(self, edit: Edit | None, exc: SaveConflict) -> None:
        """Another tab saved the design since this tab's edit was made, and the edit does not
        join that save: the design here becomes the one saved (the other tab's work stays
        whole), and this tab is told what was not applied, why, and which snapshot keeps its
        version. The same where the design's file was changed outside LayerLoom (by hand):
        the file stays as edited, read here although no save was counted."""
        self.catch_up(outside=exc.outside, tell=False)
        what = " on the canvas" if edit is not None and edit.source == "canvas" else \
            f" ({edit.what})" if edit is not None and edit.what else ""
        where = (f"Your version is kept as the snapshot “{exc.kept.name}” (Snapshots menu)."
                 if exc.kept is not None else "Your version could not be kept as a snapshot.")
        who = ("this design's file (graph.json) was changed outside LayerLoom since this tab "
               "saved it" if exc.outside else "another tab or window changed this design "
               "meanwhile")
        why = exc.why.replace("the other edit", "the edit made outside LayerLoom") \
            if exc.outside else exc.why
        self.notify("warning", f"Your last edit{what} was not applied: {who}, and {why}. The "
                    f"design here now shows what is saved; make the edit again if you still "
                    f"want it. {where}")

    def _not_saved(self, made_on: Graph, graph: Graph, edit: Edit | None,
                   exc: OSError) -> None:
        """The project folder could not be written (a full disk, a folder made read-only):
        the design shown stays the one saved, and the edit is kept in the tab's banner, which
        offers to save it again (:meth:`save_again`) and to download it."""
        what = " on the canvas" if edit is not None and edit.source == "canvas" else \
            f" ({edit.what})" if edit is not None and edit.what else ""
        if isinstance(exc, ProjectGone):  # moved or deleted outside LayerLoom meanwhile
            self.notify("error", f"Your last edit{what} was not saved: this project's folder "
                        f"({exc.filename}) is no longer there: it was moved or deleted outside "
                        "LayerLoom, and is not made again here. The design shown is as it was "
                        "before this edit. Your edit is kept here: save it as a new project, "
                        "or download it (to open it as a project again, put the folder back "
                        "and reload the page).",
                        unsaved=(made_on.to_dict(), graph.to_dict()), offer_copy=True)
            return
        why = exc.strerror or str(exc)
        # not the hidden temporary file the write began with: the folder the user can mend
        unwritable = exc.errno in UNWRITABLE_ERRNOS
        linked = self._linked_folder(exc) if unwritable else None
        if linked is not None:  # graph.json a link into a folder of the user's
            target, folder = linked
            self.notify("error", f"Your last edit{what} was not saved: its design file "
                        f"(graph.json) is a link to {target}, in a folder that cannot be "
                        f"written ({why}: {folder}). The design shown is as it was before "
                        f"this edit. Your edit is kept here: make {folder} writable and save "
                        "it again, save it as a new project (in LayerLoom's own projects "
                        "folder), or download it.",
                        unsaved=(made_on.to_dict(), graph.to_dict()), offer_copy=True)
            return
        where = f" {self.store.projects / self.project_id}" if unwritable else \
            f" {exc.filename}" if exc.filename else ""
        remedy = ("make the folder writable and save it again, save it as a new project "
                  "(in LayerLoom's own projects folder), or download it" if unwritable else
                  "make room on the disk (or make the folder writable) and save it again, or "
                  "download it")
        self.notify("error", f"Your last edit{what} was not saved: the project folder cannot "
                    f"be written ({why}{':' if where else ''}{where}). The design shown is as "
                    f"it was before this edit. Your edit is kept here: {remedy}.",
                    unsaved=(made_on.to_dict(), graph.to_dict()), offer_copy=unwritable)

    def _linked_folder(self, exc: OSError) -> tuple[Path, Path] | None:
        """Where the project's graph.json is a symbolic link and ``exc`` (a write refused)
        names the folder its target is in (or a file there): the target and that folder."""
        link = self.store.projects / self.project_id / "graph.json"
        if not exc.filename or not link.is_symlink():
            return None
        target = Path(os.path.realpath(link))
        failed = Path(os.path.realpath(exc.filename))
        if failed == target.parent or failed.parent == target.parent:
            return target, target.parent
        return None

    def save_again(self, notice: Notice) -> bool:
        """Save the edit ``notice`` kept (:meth:`_not_saved`), laid over the design now (the
        edits saved since stay); True when saved. Where it no longer joins the design, the
        banner says so and the edit can still be downloaded."""
        if notice.unsaved is None:
            return False
        made_on, mine = notice.unsaved
        laid = merge_preferring_mine(made_on, mine, self.graph.to_dict())
        if laid is None:
            self.notify("error", "Could not save the kept edit: the design has changed since "
                                 "in a way it does not fit. Download it to keep it.",
                        unsaved=notice.unsaved)
            return False
        try:
            graph = load_graph(laid[0])
        except GraphError as exc:
            self.notify("error", f"Could not save the kept edit: {exc}", unsaved=notice.unsaved)
            return False
        if graph.to_dict() == self.graph.to_dict():
            self.notify("success", "The kept edit is in the design already: nothing to save.")
            return True
        if self.commit(graph, edit=Edit("retry", "an edit the disk refused before")):
            self.notify("success", "Saved the edit that was not saved before.")
            return True
        return False

    def apply(self, change: Callable[..., Any], *args: Any, as_edit: Edit | None = None,
              **kwargs: Any) -> Any:
        """Run a :mod:`layerloom.graph.edit` function on the design and commit its graph
        (unless nothing changed).

        Returns what it returned (the graph, or ``(graph, extra)``); a :class:`GraphError`
        becomes a notice, the design stays as it was, and None is returned. The edit saved is
        ``as_edit``, or one named after ``change`` whose scope is what ``change`` may touch
        (one param, one node's repeat or label, one variable); None when the save was refused.
        """
        try:
            result = change(self.graph, *args, **kwargs)
        except GraphError as exc:
            self.notify("error", str(exc))
            return None
        graph = result[0] if isinstance(result, tuple) else result
        if graph.to_dict() != self.graph.to_dict():  # a no-op leaves no undo step behind
            made = as_edit or _edit_of(change, args, kwargs, self.revision)
            if not self.commit(graph, edit=made):
                return None
        return result

    def undo(self) -> bool:
        return self._step(self.undo_stack, self.redo_stack, "undo")

    def redo(self) -> bool:
        return self._step(self.redo_stack, self.undo_stack, "redo")

    def _step(self, stack: list[Step], other: list[Step], source: str) -> bool:
        """Go to ``stack``'s last design (and its weights, when its step switches them); the
        design (and weights) left go onto ``other``."""
        # another tab's save since this tab's last run (a button's callback runs before the
        # page catches up): the steps are laid over it first, so that a step never puts this
        # tab's old value back over one that tab set since; where that changed what the step
        # does, the tab is told and this press does nothing more (also where the page's own
        # catch-up did, this run: the canvas's Ctrl+Z is handled after it)
        self.catch_up()
        if self.history_changed:
            self.history_changed = False
            return False
        if not stack:
            return False
        step = stack[-1]
        try:  # the weights now, kept as a version, so that the step back restores them
            now = self.store.weights_version(self.project_id) if step.weights is not None \
                else None
        except OSError as exc:
            self.notify("error", f"Could not {source}: the design's weights cannot be kept "
                                 f"({exc}). The design is unchanged.")
            return False
        current = Step(self.graph.to_dict(), now)
        stack.pop()  # the steps left are made on the design this one goes to
        if not self._replace(load_graph(step.graph), None, edit=Edit(source),
                             weights=step.weights):
            stack.append(step)
            return False
        if self.merged_over is not None:
            # laid over another tab's save this tab had not seen: the steps left are laid over
            # the design saved, and the step back goes to that tab's save (never to this tab's
            # design without it)
            over = self.merged_over.to_dict()
            this, that = ("Undo", "Redo") if source == "undo" else ("Redo", "Undo")
            self._relay(this, stack, step.graph, self.graph.to_dict())
            self._relay(that, other, current.graph, over)
            current = Step(over, now)
        other.append(current)
        return True

    def replace_design(self, graph: Graph, message: str, weights: str | None = None) -> bool:
        """A whole new design in this project (a snapshot): undoable; ``weights``: the weights
        version it carries (a snapshot's), switched with it. The canvas changes under the
        user, so the notice is a banner that lists what changed (:func:`changes.in_words`)
        and offers to undo it; False where nothing changed or the save was refused (said)."""
        # the design saved now, another tab's last save included: a restore is taken from a
        # callback, before the run catches up, and a snapshot equal to this tab's older design
        # was 'the design shown already: nothing changed' while the other tab's edit stayed
        self.catch_up()
        old = self.graph.to_dict()
        self.path = ()
        if not self.commit(graph, selected=[], edit=Edit("replace", message), weights=weights):
            if self.graph.to_dict() == graph.to_dict():
                self.notify("success", f"{message} It is the design shown already: nothing "
                                       f"changed.")
            return False
        new = self.graph.to_dict()
        lines = in_words(old, new) or ["the order of the blocks in the design's file"]
        self.notify("success", f"{message} The canvas now shows its design; what changed:",
                    lines, undo_of=savelog.digest(new))
        return True

    def switch(self, state: DesignerState) -> DesignerState:
        """Carry the session's theme, page states and canvas position over to another
        project's state (the canvas still holds its last event: it must not replay there)."""
        state.theme, state.pages, state.uploads = self.theme, self.pages, self.uploads
        state.browser, state.remembered = self.browser, self.remembered
        state.last_seq = max(state.last_seq, self.last_seq)
        state.notices = self.notices + state.notices
        state.banners = self.banners + state.banners
        state.unopened = [u for u in self.unopened if u[0] != state.project_id
                          and self._has_snapshots(u[0])] + state.unopened
        for pid, _ in self.unopened:
            if pid not in dict(state.unopened):  # nothing left to offer: said once is enough
                state.resolve(pid)
        state.histories = self._keep_history()
        state._take_history()
        return state

    def _has_snapshots(self, pid: str) -> bool:
        """Whether project ``pid`` (one that could not be opened) has snapshots to offer: its
        panel stays, across the projects opened after it, only while it has something to
        open. One without (a mistyped link) said 'It has no snapshots to open instead' above
        every design opened after it until dismissed."""
        try:
            return bool(self.store.snapshots(pid))
        except Exception:  # noqa: BLE001 - a project that cannot be read has none to offer
            return False

    def _keep_history(self) -> dict[str, tuple[dict, list, list]]:
        """The tab's kept histories with this project's undo and redo steps added, as the tab
        leaves it: they were lost, and a newcomer who looked at another design and came back
        could no longer undo an edit made a minute before."""
        histories = self.histories
        if self.undo_stack or self.redo_stack:
            histories[self.project_id] = (self.graph.to_dict(), list(self.undo_stack),
                                          list(self.redo_stack))
            while len(histories) > MAX_HISTORIES:  # the projects left longest ago go first
                histories.pop(next(iter(histories)))
        return histories

    def _take_history(self) -> None:
        """Undo and redo as they were when the tab left this project; laid over the saves
        made since (another tab's), as for a save caught up with, each step still taking back
        what it did."""
        kept = self.histories.pop(self.project_id, None)
        if kept is None or self.undo_stack or self.redo_stack:
            return
        made_on, undo, redo = kept
        now = self.graph.to_dict()
        if made_on == now:
            self.undo_stack[:], self.redo_stack[:] = undo, redo
        else:
            self._rebase_history(undo, redo, made_on, now)

    def _rebase_history(self, undo: list[Step], redo: list[Step], old: dict, new: dict,
                        told: Callable[[set[str]], set[str]] | None = None,
                        logged: set[tuple[str, str]] | None = None) -> bool:
        """``undo`` and ``redo`` (made on ``old``) laid over ``new``, another tab's save, made
        this tab's history; the steps that no longer join it are said (:meth:`_tell_dropped`),
        and the fields they leave as the other tab set them (:meth:`_tell_left`), less those
        ``told`` (given their names) says it told itself. True when anything was said.
        ``logged``: the renames the save log allows from ``old`` to ``new``
        (:meth:`_logged_renames`)."""
        self.undo_stack[:], undo_dropped, undo_left = _rebased(undo, old, new, logged)
        self.redo_stack[:], redo_dropped, redo_left = _rebased(redo, old, new, logged)
        # the values told first: a step that only set those the save removed is said there
        said = told({_field_words(f) for f in [*undo_left, *redo_left]}) if told else set()
        self._tell_dropped("Undo", undo_dropped, len(undo))
        self._tell_dropped("Redo", redo_dropped, len(redo))
        self._tell_left("Undo", undo_left, bool(self.undo_stack), said)
        self._tell_left("Redo", redo_left, bool(self.redo_stack), said)
        changed = bool(undo_dropped or redo_dropped or undo_left or redo_left)
        self.history_changed |= changed
        return changed

    def _relay(self, what: str, stack: list[Step], old: dict, new: dict) -> None:
        """``stack`` (``what``'s steps, Undo or Redo, made on ``old``) laid over ``new`` in
        place; the steps that no longer join it and the fields they leave are said."""
        had = list(stack)
        stack[:], dropped, left = _rebased(had, old, new)
        self._tell_dropped(what, dropped, len(had))
        self._tell_left(what, left, bool(stack))

    def _tell_left(self, what: str, left: dict[str, Any], more: bool,
                   said: set[str] = frozenset()) -> None:
        """Say which fields ``what`` (Undo or Redo) now leaves as another tab set them since
        (``left``: each with the value kept; those ``said`` told already), and whether it has
        more to take back."""
        fields = [(_field_words(f), v) for f, v in left.items() if _field_words(f) not in said]
        if not fields:
            return
        if len(fields) == 1:
            name, value = fields[0]
            leaves = f"{name} as another tab or window set it since" + (
                f" ({_shown(value)})" if value is not savelog.MISSING else "")
        else:
            names = [name + (f" ({_shown(v)})" if v is not savelog.MISSING else "")
                     for name, v in fields]
            if len(names) > 6:
                names = names[:5] + [f"{len(names) - 5} more"]
            leaves = (", ".join(names[:-1]) + f" and {names[-1]} as another tab or window "
                      "set them since")
        verb = what.lower()
        rest = (f"Your other changes still {verb}." if more
                else f"Nothing else is left to {verb}.")
        self.notify("warning", f"{what} leaves {leaves}: undo and redo never put your value "
                    f"back over a newer one from another tab. {rest}")

    def _tell_dropped(self, what: str, dropped: list[tuple[Step, str, set[str]]],
                      had: int) -> None:
        """Say that ``what`` (Undo or Redo) skips the ``dropped`` steps now (of the ``had``
        kept), why, and which snapshot keeps the design the latest of them went to: a user
        who pressed Undo saw nothing happen, told nothing. Steps that only set values another
        tab's save removed with their block, told already with the snapshot keeping them
        (:attr:`told_removed`), are said in that notice instead: one loss, one notice."""
        said = self._said_with_removed(what, dropped)
        dropped = [d for d in dropped if d not in said]
        had -= len(said)
        if not dropped:
            return
        step, why, _ = dropped[0]
        try:
            kept = self.store.snapshot(
                self.project_id, f"{'an undo' if what == 'Undo' else 'a redo'} step that no longer fits, kept at "
                + time.strftime("%H:%M:%S"), load_graph(step.graph))
        except (OSError, ProjectError, GraphError) as exc:
            log.warning("could not keep a dropped %s step of %s: %s", what, self.project_id, exc)
            kept = None
        why = why.replace("the other edit", "the other tab").replace("this edit", "this step")
        n, rest = len(dropped), had - len(dropped)
        skipped = (f"your {'step' if had == 1 else f'{had} steps'}" if not rest
                   else f"{n} of your {had} steps")
        if n == 1:
            misfit = f"{'it' if had == 1 else 'one step'} no longer fits the design saved ({why})"
        else:
            misfit = (f"{'they' if not rest else f'{n} steps'} no longer fit the design saved "
                      f"(the latest: {why})")
        others = (f" The other {'step still takes' if rest == 1 else f'{rest} steps still take'}"
                  f" back what {'it' if rest == 1 else 'each'} did." if rest else "")
        went = "went back to" if what == "Undo" else "went to"
        where = (f"The design {'that step' if n == 1 else 'the latest of them'} {went} "
                 f"is kept as the snapshot “{kept.name}” (Snapshots menu)" if kept is not None
                 else f"The design it {went} could not be kept as a snapshot")
        self.notify("warning", f"{what} skips {skipped} now: another tab or window changed "
                    f"this design since, and {misfit}.{others} {where}; the design shown is "
                    f"the one saved, with the other tab's change.")

    def _said_with_removed(self, what: str, dropped: list[tuple[Step, str, set[str]]]
                           ) -> list[tuple[Step, str, set[str]]]:
        """Those of the ``dropped`` undo steps that change only values of this tab's that
        another tab's save removed with their block, said in the notice that told them
        (:meth:`_tell_replaced`), whose snapshot keeps this tab's version: the step has
        nothing left to take back. Said on their own, they were a second notice with a second
        snapshot (of the design before this tab's edit) for one loss. A redo step is still
        said on its own: the design it goes to holds values this tab made and undid."""
        if what != "Undo" or self.told_removed is None or \
                not any(n is self.told_removed[0] for n in self.notices):
            return []  # a redo step goes to values this tab made: kept in its own snapshot
        notice, removed, renames = self.told_removed
        # the undo of a rename takes the block away under its new id and back under the old
        # one, the wires (and the order of the blocks) at its level following
        undone = {f"{key}-": key for key in renames}
        undone.update({f"{key.rpartition('nodes.')[0]}nodes.{was}+": key
                       for key, was in renames.items()})
        levels = {key.rpartition("nodes.")[0] for key in renames}
        wires = {f"{level}{what}" for level in levels for what in ("edges", "nodes(order)")}
        said = [d for d in dropped if d[2] - wires and d[2] - wires <= removed | set(undone)]
        if not said:
            return []
        paths = {path for _, _, changed in said for path in changed}
        fields = sorted({savelog.field_name(path) for path in paths if path in removed})
        renamed = sorted({undone[path] for path in paths if path in undone})
        did = ([f"set {', '.join(fields)}"] if fields else []) + (
            [f"renamed {', '.join(f'{renames[k]} to {_node_id(k)}' for k in renamed)}"]
            if renamed else [])
        steps = "your step" if len(said) == 1 else f"your {len(said)} steps"
        gone = "its block is gone" if len(fields) + len(renamed) == 1 \
            else "their blocks are gone"
        notice.text += (f" {what} skips {steps} that {' and '.join(did)} now: {gone}, so "
                        f"{'it has' if len(said) == 1 else 'they have'} nothing left to take "
                        f"back.")
        return said

    # -- view -------------------------------------------------------------------------------

    def select(self, ids: list[str], *, from_canvas: bool = False) -> None:
        if list(ids) != self.selected:
            self.selected = [i for i in ids if i in self._level_ids()]
            self.tell_selection |= not from_canvas
            self.save_view()

    def selection_for_canvas(self) -> list[str] | None:
        """The selection when the canvas must be told it, else None (it has it already)."""
        if not self.tell_selection:
            return None
        self.tell_selection = False
        return list(self.selected)

    def open_block(self, node_id: str) -> bool:
        node = self.node(node_id)
        if node is None or node.type not in self.graph.blocks:
            return False
        self.go_to(self.path + (node.type,), [], self.uses + (node_id,))
        return True

    def go_to(self, path: tuple[str, ...], selected: list[str] | None = None,
              uses: tuple[str, ...] | None = None) -> None:
        """Show the level ``path``; ``uses``: the node opened at each step (default: those
        opened so far, as far as they go)."""
        self.path = tuple(path)
        self.uses = tuple(uses if uses is not None else self.uses)[:len(self.path)]
        self._fix_view()
        self.selected = [s for s in (selected or []) if s in self._level_ids()]
        self.tell_selection = True
        self.save_view()

    def show_problem(self, node_path: str | None) -> bool:
        """Open the level holding a problem's node and select it."""
        where = edit.locate(self.graph, node_path or "")
        if where is None:
            return False
        # the use the problem is in: the problem's node path, less the copies' numbers
        uses = tuple(p for p in (node_path or "").split("/")[:-1] if not p.isdigit())
        self.go_to(where[0], [where[1]], uses[:len(where[0])])
        return True

    def set_theme(self, theme: str) -> None:
        self.theme = _theme(theme)
        self.store.update_settings(theme=self.theme)

    def notify(self, kind: str, text: str, details: list[str] | tuple[str, ...] = (),
               put_back: tuple[tuple[str, Any], ...] = (), about: str | None = None,
               undo_of: str | None = None, unsaved: tuple[dict, dict] | None = None,
               offer_copy: bool = False) -> None:
        self.notices.append(Notice(kind, text, tuple(details), tuple(put_back), about,
                                   undo_of=undo_of, unsaved=unsaved, offer_copy=offer_copy))

    def can_undo_to_before(self, notice: Notice) -> bool:
        """Whether ``notice``'s edit is the last one still (the design is the one it made),
        so that one undo takes it back."""
        return bool(notice.undo_of and self.undo_stack
                    and savelog.digest(self.graph.to_dict()) == notice.undo_of)

    def take_notices(self) -> list[Notice]:
        self.history_changed = False  # said: the next Undo does what it says now
        out, self.notices = self.notices, []
        return out

    def pin(self, notice: Notice) -> None:
        """Keep a banner shown until :meth:`dismiss`; one already shown is not shown twice."""
        if all(shown != notice for _, shown in self.banners):
            self.banners.append((next(_BANNER_NUMBERS), notice))

    def dismiss(self, number: int) -> None:
        self.banners = [(n, notice) for n, notice in self.banners if n != number]

    def resolve(self, about: str) -> None:
        """Drop the notices about ``about`` (a project that failed to open, now dismissed or
        opened from a snapshot): said already, they would only repeat it."""
        self.notices = [n for n in self.notices if n.about != about]
        self.banners = [(k, n) for k, n in self.banners if n.about != about]

    def _follow_renames(self, before: Graph, logged: set[tuple[str, str]] | None) -> None:
        """The selection kept on the blocks another tab renamed since ``before`` (the design
        shown until now; ``logged``: the renames the save log allows since,
        :meth:`_logged_renames`): the inspector stays on the block being edited, which it
        closed, as if the block were gone. The values this tab set in them follow too
        (:attr:`own`), so that a later save replacing one is still told."""
        self._own_follow(before.to_dict(), self.graph.to_dict(), logged)
        uses = list(self.uses)
        for depth, use in enumerate(uses[:len(self.path)]):  # the block opened, renamed
            try:
                uses[depth] = node_renames(edit.get_level(before, self.path[:depth]),
                                           edit.get_level(self.graph, self.path[:depth]),
                                           logged).get(use, use)
            except GraphError:
                break
        self.uses = tuple(uses)
        if not self.selected:
            return
        try:
            renames = node_renames(edit.get_level(before, self.path), self.level(), logged)
        except GraphError:  # the level is gone: _fix_view closes it
            return
        if any(s in renames for s in self.selected):
            self.selected = [renames.get(s, s) for s in self.selected]
            self.tell_selection = True

    def _leave_gone_block(self, before: Graph) -> None:
        """Close the composite block this tab had open when another tab's save took away its
        use (``before``: the design shown until then): the block's definition stays, used by
        nothing, and the canvas and the inspector went on showing it, where an edit changed
        nothing the design computes. Said; the blocks an ungroup brought out are selected."""
        opened, path = self.uses[:len(self.path)], self.path
        self._fix_view()
        if len(self.uses) >= len(opened):
            return
        depth = len(self.uses)
        # the path as it was: the block's definition may be gone with its use (another tab
        # undid the group), the path closed there too
        name, use = path[depth], opened[depth]
        self.go_to(self.path[:depth])
        try:
            was = {n.id for n in edit.nodes_edges(before, self.path)[0]}
        except GraphError:
            was = set()
        came = [n.id for n in edit.nodes_edges(self.graph, self.path)[0] if n.id not in was]
        self.select(came)
        where = f"the block {self.path[-1]}" if self.path else "the design's top level"
        self.notify("warning", f"The block {use} ({name}) you had open is no longer in the "
                    f"design: another tab or window "
                    + (f"ungrouped it. The canvas shows {where} now, {', '.join(came)} selected "
                       f"(what it held)." if came else
                       f"deleted it. The canvas shows {where} now."))

    def _own_follow(self, old: dict, new: dict, logged: set[tuple[str, str]] | None) -> None:
        """:attr:`own` and :attr:`own_ids` following another tab's save (``old`` → ``new``;
        ``logged``: the renames the save log allows, :meth:`_logged_renames`): this tab's
        values move with their blocks (:meth:`_own_move`), and a block this tab renamed that
        the other tab renamed again has the other tab's name now, no longer this tab's."""
        if not self.own and not self.own_ids:
            return
        renamed = self._own_move(old, new, logged)
        self.own_ids = {key: was for key, was in self.own_ids.items() if key not in renamed}

    def _own_move(self, old: dict, new: dict,
                  logged: set[tuple[str, str]] | None = None) -> dict[str, str]:
        """:attr:`own`'s field paths of the blocks renamed from ``old`` to ``new``, at the top
        level and in each composite block, grouped into a new composite block or brought out of
        one, under the paths the blocks have now (``nodes.conv2.params.p`` →
        ``nodes.features.params.p``, ``nodes.fc.label`` → ``blocks.Block.nodes.fc.label``),
        whichever tab renamed, grouped or ungrouped them: a value another tab then replaced
        there is still told
        (:meth:`_tell_replaced`). Returns the renames, each block's old path → its new one."""
        renamed = {f"{key.rpartition('nodes.')[0]}nodes.{was}": key
                   for key, was in renames_by_level(old, new, logged).items()}
        moved = {**grouped_by_level(old, new, logged), **ungrouped_by_level(old, new, logged),
                 **renamed}
        if moved and self.own:
            self.own = {_moved(path, moved): value for path, value in self.own.items()}
        return renamed

    def _own_renames(self, old: dict, new: dict) -> None:
        """Keep in :attr:`own_ids` the blocks this tab's edit from ``old`` to ``new`` renamed,
        each with the id it had before this tab's first rename of it; one renamed back (an
        undo) is no longer this tab's rename."""
        for key, was in renames_by_level(old, new).items():
            prefix = key.rpartition("nodes.")[0]
            first = self.own_ids.pop(f"{prefix}nodes.{was}", was)
            if f"{prefix}nodes.{first}" != key:
                self.own_ids[key] = first

    def _fix_view(self) -> None:
        """Close blocks that no longer exist; drop selected ids that are gone."""
        keep = []
        for name in self.path:
            if name not in self.graph.blocks:
                break
            keep.append(name)
        self.path = tuple(keep)
        uses = []  # each a node of the level above that uses the block opened
        for depth, use in enumerate(self.uses[:len(self.path)]):
            nodes, _ = edit.nodes_edges(self.graph, self.path[:depth])
            if not any(n.id == use and n.type == self.path[depth] for n in nodes):
                break
            uses.append(use)
        self.uses = tuple(uses)
        ids = self._level_ids()
        kept = [s for s in self.selected if s in ids]
        if kept != self.selected:
            self.selected = kept
            self.tell_selection = True

    def save(self, edit: Edit | None = None, previous: Graph | None = None,
             weights: str | None = None) -> None:
        """Save the design (see :meth:`ProjectStore.save`: ``previous`` and ``edit`` are
        checked against it; :class:`SaveRefused` when it changes more than ``edit`` may;
        ``weights``: the weights version it carries, switched with it)."""
        since = self.saved_edits
        intended = self.graph
        saved = self.store.save(self.project_id, self.graph, self._view(),
                                based_on=self.saved_edits, edit=edit, previous=previous,
                                weights=weights)
        self.saved_edits = saved.edits
        self.merged_over = saved.over
        made: set[str] = set()  # the fields this edit set
        if previous is not None:  # what this tab's edit set: told if another tab replaces it
            mine = intended.to_dict()
            made = set(savelog.diff(previous.to_dict(), mine))
            for path in made:
                value = savelog.value_at(mine, path)
                if value is not savelog.MISSING:
                    self.own[path] = value
            self._own_renames(previous.to_dict(), mine)
            self._own_move(previous.to_dict(), mine)  # its values follow its (un)group, rename
        if saved.merged is not None:
            self.graph = saved.merged
            logged = self._logged_renames(since)
            self._follow_renames(intended, logged)
            self._leave_gone_block(intended)
            # laid over the other tab's save: fields this tab set earlier that the other tab
            # changed since now hold its value (this edit's own fields win where both changed,
            # or moved with their block: a param set inside a block the other tab ungrouped)
            self._tell_replaced(intended, saved.merged, since, made, logged=logged,
                                outside=saved.outside, tabs=not saved.outside)
            if saved.outside:  # what changed there said, as when the page sees it first
                self.notify("warning" if saved.contested else "info",
                            "This design's file (graph.json) was changed outside LayerLoom "
                            "since this tab saved it; your edit is laid over those changes "
                            "(the design here now shows them too)"
                            + (f". Where both changed the same thing, your edit is saved and "
                               f"the file's version is kept as the snapshot “{saved.kept.name}” "
                               f"(Snapshots menu)." if saved.contested else ".")
                            + " What changed there:",
                            in_words(previous.to_dict(), saved.over.to_dict())
                            if previous is not None and saved.over is not None else ())
            elif saved.contested and edit is not None and edit.source in ("undo", "redo"):
                # the other tab's values stay: an undo takes back only what is still this tab's
                # (the step taken is off its stack: what is left there is still to undo)
                left = self.undo_stack if edit.source == "undo" else self.redo_stack
                self._tell_left(edit.source.capitalize(),
                                {what: _value_of(saved.merged.to_dict(), what)
                                 for what in saved.contested}, bool(left))
            elif saved.contested:
                both = ", ".join(saved.contested[:6]) + (" …" if len(saved.contested) > 6
                                                         else "")
                self.notify("warning", "This design was also changed in another tab or "
                            "window. Its other changes are kept; where both changed the same "
                            f"thing ({both}) this tab's edit is saved, and the other version is "
                            f"kept as the snapshot “{saved.kept.name}” (Snapshots menu).")
            else:
                self.notify("note", "This design was also changed in another tab or window; "
                            "both changes are kept (the design here now shows theirs too).")
        elif saved.kept is not None and saved.outside:
            self.notify("warning", "This design's file (graph.json) was changed outside "
                        "LayerLoom since this tab saved it. That version is kept as the "
                        f"snapshot “{saved.kept.name}” (Snapshots menu); this tab's design, "
                        "with your edit, is the one saved now.")
        elif saved.kept is not None:
            self.notify("warning", "This design was also changed in another tab or window. "
                        f"Its version there is kept as the snapshot “{saved.kept.name}” "
                        "(Snapshots menu); this tab's design is the one saved now.")
        if saved.set_aside is not None:
            self.notify("warning", "This design's file (graph.json) was changed outside "
                        f"LayerLoom and no longer read as a design ({saved.set_aside.why}). "
                        f"That file is kept, as it was, at {saved.set_aside.path}; this tab's "
                        "design, with your edit, is the one saved now.")
        if saved.landed is not None:
            where = (f"the snapshot “{saved.landed.name}” (Snapshots menu)"
                     if isinstance(saved.landed, Snapshot) else
                     f"{saved.landed.path}, as it was (it does not read as a design: "
                     f"{saved.landed.why})")
            self.notify("warning", "This design's file (graph.json) was written outside "
                        "LayerLoom twice while this tab saved your edit, once on this tab's "
                        "own file in the instant it was there, before the other write was put "
                        f"back. One of the two versions is kept as {where}; your edit is laid "
                        "over the other, which the file holds.")
        if isinstance(saved.caught, Snapshot):
            self.notify("warning", "This design's file (graph.json) was written outside "
                        "LayerLoom again and again while this tab saved your edit. Its last "
                        f"version there is kept as the snapshot “{saved.caught.name}” "
                        "(Snapshots menu); this tab's design, with your edit, is the one saved "
                        "now.")
        elif saved.caught is not None:
            self.notify("warning", "This design's file (graph.json) was written outside "
                        "LayerLoom again and again while this tab saved your edit, and its "
                        f"last version there does not read as a design ({saved.caught.why}). "
                        f"That file is kept, as it was, at {saved.caught.path}; this tab's "
                        "design, with your edit, is the one saved now.")

    def catch_up(self, outside: bool = False, tell: bool = True) -> bool:
        """Take the design another tab (or window) saved since this tab last read or wrote
        it, so that the canvas and the inspector never show a value that is not the one saved;
        True when the design shown changed. Where that save replaced a value this tab's own
        edit had set, this tab is told (the field, its value and the one saved) and its
        version is kept as a snapshot (see :meth:`_tell_replaced`). Cheap when nothing was
        saved since (the save count only); called on every run of the page.

        The design file changed outside LayerLoom (edited by hand, or by another program)
        is taken in as a save (:meth:`ProjectStore.take_outside`: told by a digest of the
        file's bytes, no save counted) and shown at once, the tab told what changed
        (``tell``), not only at its next save, so that nobody edits a design that is no longer
        the file. ``outside``: read the file all the same (the save refusing an edit saw it
        changed, and says so itself)."""
        try:
            try:
                self.store.take_outside(self.project_id, self.graph)
                if self.gone_told:  # back (put back where it was): its banner goes
                    self.gone_told = False
                    self.resolve(GONE_ABOUT)
                if self.unwritable_told:  # the file is as logged now (here, or by another
                    # server on the project): its banner goes
                    self.unwritable_told = False
                    self.resolve(UNWRITABLE_ABOUT)
                if self.unreadable_told is not None:  # it reads again (an editor's write
                    # caught half-way, or the file mended): its banner goes, a break is told
                    self.unreadable_told = None
                    self.resolve(UNREADABLE_ABOUT)
            except GraphError as exc:  # no design: the design here stays the one saved last
                self._tell_unreadable(exc)
            except Unwritable as exc:  # shown all the same, said: no edit can be saved there
                self._tell_unwritable(exc)
                outside = True
            except OSError as exc:  # not written down (a read-only folder): shown all the same
                log.warning("could not log the change of project %s made outside LayerLoom: "
                            "%s", self.project_id, exc)
                outside = True
            if self.store.version(self.project_id) == self.saved_edits and not outside:
                return False
            project = self.store.load(self.project_id)
        except (OSError, ProjectError, GraphError) as exc:  # the next save still merges
            if self._tell_gone():
                return False
            log.warning("could not read project %s saved elsewhere: %s", self.project_id, exc)
            return False
        since, before = self.saved_edits, self.graph
        self.saved_edits = project.edits
        old, new = before.to_dict(), project.graph.to_dict()
        if old == new:
            return False
        by_hand, by_tabs = self._saved_since(since)
        by_hand |= outside
        if by_hand and tell:
            self.notify("info", "This design's file (graph.json) was changed outside LayerLoom "
                        "(edited by hand, or by another program)"
                        + (", and in another tab or window" if by_tabs else "")
                        + "; the design here now shows it. What changed:",
                        in_words(old, new) or ["the order of the blocks in the design's file"])
        self.merged_over = None
        self.graph = project.graph
        logged = self._logged_renames(since)
        self._follow_renames(before, logged)
        self._leave_gone_block(before)
        self.revision += 1
        structural = savelog.structure(old) != savelog.structure(new)
        self.revisions.append((self.revision, "other tab", structural, None))
        del self.revisions[:-REVISION_LOG]
        self.designs.setdefault(self.revision - 1, before)
        self.designs[self.revision] = project.graph
        for gone in [r for r in self.designs if r < self.revision - DESIGNS_KEPT]:
            del self.designs[gone]
        # undo and redo keep taking back this tab's own steps, laid over the other tab's save;
        # told with the values of this tab's edits that save replaced (after the renames it
        # made are followed)
        self._rebase_history(
            list(self.undo_stack), list(self.redo_stack), old, new,
            told=lambda left: self._tell_replaced(before, project.graph, since, left=left,
                                                  logged=logged, outside=by_hand,
                                                  tabs=by_tabs),
            logged=logged)
        return True

    def _saved_since(self, since: int) -> tuple[bool, bool]:
        """Whether the saves after version ``since`` hold a change of the file made outside
        LayerLoom (:meth:`ProjectStore.take_outside`), and another tab's save."""
        try:
            lines = self.store.save_log(self.project_id)
        except (OSError, ProjectError):
            return False, True
        after = [savelog.is_outside(line) for line in lines
                 if isinstance(line.get("version"), int) and line["version"] > since]
        return any(after), not all(after)

    def _tell_unreadable(self, exc: GraphError) -> None:
        """Say, once for each change, that the design file was changed outside LayerLoom into
        one that no longer reads as a design: the tab goes on showing the design saved last,
        and its next save keeps that file as it is (``unreadable/``) before writing."""
        if self.unreadable_told == str(exc):
            return
        self.unreadable_told = str(exc)
        self.notify("warning", "This design's file (graph.json) was changed outside LayerLoom "
                    f"and no longer reads as a design: {exc}. The design here is the one "
                    "saved last; mend the file, or edit here: your next edit keeps that file, "
                    f"as it is, in the project's {UNREADABLE_DIR}/ folder and saves this "
                    "design.", about=UNREADABLE_ABOUT)

    def _tell_gone(self) -> bool:
        """Whether the project's folder is gone (moved or deleted outside LayerLoom while this
        tab shows it); said once, at once (not only at the next edit, refused then), naming
        the folder, with a copy of the design shown as a new project offered."""
        folder = self.store.projects / self.project_id
        if folder.is_dir() and ((folder / "graph.json").exists()
                                or (folder / "meta.json").is_file()):
            return False  # there (a design file that does not read is told as such)
        if not self.gone_told:
            self.gone_told = True
            log.warning("project %s: its folder %s is no longer there", self.project_id,
                        folder)
            self.notify("error", f"This project's folder ({folder}) is no longer there: it was "
                        "moved or deleted outside LayerLoom, and is not made again here, so no "
                        "edit of yours can be saved to it. The design shown is kept in this "
                        "tab: save a copy as a new project (in LayerLoom's own projects "
                        "folder), or download it with the JSON button (to open it as a project "
                        "again, put the folder back and reload the page).",
                        about=GONE_ABOUT, offer_copy=True)
        return True

    def _tell_unwritable(self, exc: Unwritable) -> None:
        """Say, once, that the design file was changed outside LayerLoom in a project folder
        LayerLoom cannot write: the tab shows the file as it is, but neither that change nor
        any edit can be saved there; the banner offers a copy as a new project (the JSON
        button downloads it)."""
        if self.unwritable_told:
            return  # said once, on the server's terminal too (not on every run of the page)
        self.unwritable_told = True
        log.warning("could not log the change of project %s made outside LayerLoom: %s",
                    self.project_id, exc)
        why = exc.strerror or "cannot be written"
        room = "make room on the disk" if exc.errno == errno.ENOSPC else \
            "make the folder writable"
        self.notify("warning", "This design's file (graph.json) was changed outside LayerLoom, "
                    f"and its project folder cannot be written ({why}: {exc.filename}): "
                    "LayerLoom cannot record that change there, nor save any edit of yours. "
                    "The design here shows the file as it is now. To go on editing it, save a "
                    "copy as a new project (in LayerLoom's own projects folder), or download "
                    f"it with the JSON button; or {room} and edit again.",
                    about=UNWRITABLE_ABOUT, offer_copy=True)

    def _tell_replaced(self, mine: Graph, saved: Graph, since: int,
                       made: set[str] = frozenset(), left: set[str] = frozenset(),
                       logged: set[tuple[str, str]] | None = None,
                       outside: bool = False, tabs: bool = True) -> set[str]:
        """Say which values this tab's edits set (in ``mine``, the design it showed) another
        tab's save replaced in ``saved``, naming both values and the snapshot that keeps this
        tab's version: one the other tab's save kept (after version ``since``), else one taken
        now. The notice offers to put this tab's values back, and says that undo and redo
        leave them as saved where they are among ``left`` (fields by name,
        ``dropout1.p``); returns the names of ``left`` it told. ``outside``: the saves since
        include a change of the file made outside LayerLoom, said so; ``tabs``: and another
        tab's save."""
        # the blocks that save renamed under their new ids, and those it grouped or ungrouped
        # where they are now, as :attr:`own` names them (followed already): a value replaced
        # in a block renamed, grouped or ungrouped too went untold
        new, showed = saved.to_dict(), mine.to_dict()
        old = ungrouped_as(grouped_as(renamed_as(showed, new, logged), new, logged),
                           new, logged)
        changed = savelog.diff(old, new)
        # what each design computes: a value or a block left only in a definition nothing uses
        # (its group ungrouped, then deleted) is no longer in the design, and was not told
        idle = set(showed.get("blocks") or {}) - set(in_use(showed).get("blocks") or {})
        shown = {**old, "blocks": {name: block for name, block in (old.get("blocks") or {}).items()
                                   if name not in idle}}
        now = in_use(new)
        # and a value whose block that save removed (the diff names the block, not the value)
        changed += [path for path in self.own if path not in changed
                    and savelog.value_at(now, path) is savelog.MISSING]
        replaced = [(path, self.own[path], savelog.value_at(now, path))
                    for path in changed if path not in made
                    and path in self.own and savelog.value_at(shown, path) == self.own[path]]
        # and a block this tab renamed that the save removed (nowhere in the design now: not
        # moved into a group or out of one)
        renames = {key: was for key, was in self.own_ids.items() if f"{key}+" not in made
                   and holds_node(shown, _node_id(key)) and not holds_node(now, _node_id(key))}
        if not replaced and not renames:
            return set()
        told = {savelog.field_name(path) for path, _, _ in replaced} & set(left)
        for path, _, _ in replaced:  # told once: the value shown now is the other tab's
            del self.own[path]
        for key in renames:
            del self.own_ids[key]
        kept = self._kept_since(since, old, [path for path, _, _ in replaced], list(renames))
        source = ("from another tab or outside LayerLoom" if outside and tabs else
                  "in the file, changed outside LayerLoom" if outside else "from another tab")
        lines = [f"{savelog.field_name(path)}: your {_shown(value)} was "
                 + ("removed" if now is savelog.MISSING else f"replaced by {_shown(now)}")
                 + f" {source}" for path, value, now in replaced]
        lines += [f"{_node_words(key)}: your rename of {was} to {_node_id(key)} was removed "
                  f"with the block {source}" for key, was in renames.items()]
        where = f"is kept as the snapshot “{kept.name}” (Snapshots menu)" if kept is not None             else "could not be kept as a snapshot"
        which = (", ".join(sorted(told)) if len(told) < len(replaced)
                 else "it" if len(told) == 1 else "them")
        undo = (f" Undo and redo leave {which} as saved: they never put your value back over "
                f"a newer one from another tab." if told else "")
        who = ("This design's file (graph.json) was changed outside LayerLoom since"
               + (", and in another tab or window" if tabs else "")
               + ", and with it what this tab had set" if outside else
               "Another tab or window changed what this tab had set")
        self.notify("warning", f"{who}; the design here now shows what is saved. Your version "
                    f"{where}.{undo}",
                    details=lines,
                    put_back=tuple((path, value) for path, value, now in replaced
                                   if now is not savelog.MISSING))
        removed = frozenset(path for path, _, now in replaced if now is savelog.MISSING)
        self.told_removed = (self.notices[-1], removed, renames) if removed or renames \
            else None
        return told

    def _kept_since(self, since: int, design: dict, paths: list[str],
                    blocks: list[str] = ()):
        """A snapshot kept by a save after version ``since`` holding ``design``'s values of
        ``paths`` and its ``blocks`` (``nodes.<id>``: a block by its id, anywhere); else a
        snapshot of ``design`` taken now (None if it cannot be written)."""
        try:
            kept = [line["kept"] for line in self.store.save_log(self.project_id)
                    if isinstance(line.get("version"), int) and line["version"] > since
                    and isinstance(line.get("kept"), str)]
            for snap in self.store.snapshots(self.project_id):
                if snap.id in kept:
                    theirs = in_use(self.store.load_snapshot(self.project_id, snap.id).to_dict())
                    if all(savelog.value_at(theirs, p) == savelog.value_at(design, p)
                           for p in paths) and all(holds_node(theirs, _node_id(key))
                                                   for key in blocks):
                        return snap
            return self.store.snapshot(self.project_id, "this tab's version, kept at "
                                       + time.strftime("%H:%M:%S"), load_graph(design))
        except (OSError, ProjectError, GraphError) as exc:
            log.warning("could not keep this tab's version of %s: %s", self.project_id, exc)
            return None

    def put_back(self, values: tuple[tuple[str, Any], ...]) -> bool:
        """Set the fields another tab replaced back to this tab's values (one undoable edit;
        the rest of the design, the other tab's other changes included, stays)."""
        design = self.graph.to_dict()
        for path, value in values:
            design = savelog.with_value(design, path, value) if design is not None else None
        if design is None:
            self.notify("error", "Could not put this tab's values back: a block they belong "
                                 "to is gone. The snapshot still keeps them.")
            return False
        names = ", ".join(savelog.field_name(path) for path, _ in values)
        try:
            graph = load_graph(design)
        except GraphError as exc:
            self.notify("error", f"Could not put this tab's values back: {exc}")
            return False
        if self.commit(graph, edit=Edit("restore", f"put back this tab's {names}")):
            self.notify("success", f"Put back this tab's {names}.")
            return True
        return False

    def save_view(self) -> None:
        try:
            self.store.save_view(self.project_id, self._view())
        except (OSError, ProjectError) as exc:  # the view is a nicety; never fail a click on it
            log.warning("could not save the view of %s: %s", self.project_id, exc)

    def _view(self) -> dict:
        return {"path": list(self.path), "uses": list(self.uses), "selected": list(self.selected)}

    # -- canvas events ----------------------------------------------------------------------

    def canvas_version(self) -> str:
        """The version of the level the canvas is given: a canvas ``change`` names the one it
        was made on (its ``base``): the project and level, this session's mark and revision,
        and a digest of the level itself, which lets a later session tell a change made on the
        design it holds (see :meth:`_revision_named`)."""
        digest = self._cached(("level digest", self.path), lambda: _level_digest(self.level()))
        return (f"{self.project_id}|{'/'.join(self.path)}|"
                f"{self.session_mark}:{self.revision}:{digest}")

    def handle_events(self, value: Any) -> bool:
        """Apply every canvas event not handled yet, oldest first (the canvas sends its queue
        of unanswered events, ``{"events": [...]}``, or one event); True when any was new."""
        handled = False
        for event in events_of(value):
            handled |= self.handle_event(event)
        return handled

    def handle_event(self, event: Any) -> bool:
        """Apply one canvas event; False when it is None or was handled already."""
        if not isinstance(event, dict) or not isinstance(event.get("seq"), (int, float)):
            return False
        if event["seq"] <= self.last_seq:
            return False
        self.last_seq = event["seq"]
        said = len(self.notices)
        try:
            return self._handle(event)
        finally:
            for notice in self.notices[said:]:
                notice.on_canvas = True

    def _handle(self, event: dict) -> bool:
        kind = event.get("event")
        selected = [s for s in event.get("selected") or [] if isinstance(s, str)]
        if kind == "change" and isinstance(event.get("graph"), dict):
            self._canvas_change(event, selected)
        elif kind == "select":
            self.select(selected, from_canvas=True)
        elif kind in ("undo", "redo"):
            # the canvas's selection as the user left it: a click on a block followed at once
            # by Ctrl+Z reaches Python in the undo alone (the click's own select is dropped for
            # it), and the inspector kept showing the block selected before
            if isinstance(event.get("selected"), list):
                self.select(selected, from_canvas=True)
            if kind == "undo":
                self.undo()
            else:
                self.redo()
        elif kind == "group":
            ids = [i for i in event.get("ids") or selected if isinstance(i, str)]
            self.group(ids)
        elif kind == "open":
            self.open_block(str(event.get("id")))
        return True

    def _canvas_change(self, event: dict, selected: list[str]) -> None:
        base_seq = event.get("baseSeq")
        base = self._base_of(event.get("base"),
                             base_seq if isinstance(base_seq, (int, float)) else None)
        sent = event["graph"]
        if base is None:
            replayed = self._replayed(event)
            if replayed is None and self._carried_out(event):
                return
            if replayed is None:
                log.warning("refused canvas change %s: made on %r, now %s (project %s)",
                            event["seq"], event.get("base"), self.canvas_version(),
                            self.project_id)
                if self._of_another_session(event.get("base")):
                    self._keep_stale_change(sent)
                else:
                    self._keep_refused_change(event)
                self.select(selected, from_canvas=True)
                return
            base, sent = replayed
            log.info("replayed canvas change %s made on %r on %s (project %s)", event["seq"],
                     event.get("base"), self.canvas_version(), self.project_id)
        # base None: made in a session that is gone, laid over what was saved since
        rebased = base is None or any(source != "canvas" for rev, source, *_ in self.revisions
                                      if rev > base)
        try:
            level = self._overlay(sent)
            graph = edit.set_level(self.graph, self.path, level)
        except (GraphError, TypeError, ValueError) as exc:
            self.notify("error", f"The canvas sent a change that cannot be read: {exc}")
            return
        self.sent_levels[int(event["seq"])] = event["graph"]
        for old in sorted(self.sent_levels)[:-DESIGNS_KEPT]:
            del self.sent_levels[old]
        self.commit(graph, selected=selected, from_canvas=True,
                    edit=Edit("canvas", "change", seq=int(event["seq"]), base=base,
                              rebased=rebased, scope=("level", tuple(self.path))))

    def _carried_out(self, event: dict) -> bool:
        """A canvas change made inside a composite block this tab showed opened, which another
        tab's save ungrouped (or deleted) before this run handled the change: the page caught
        up first (every run does) and left the block, so the change names a level this tab no
        longer shows. It is laid over the design saved as the change of the design it was
        made on (:func:`~.merge.merge_or_why`), which makes a change inside a group ungrouped
        on its blocks as ungrouped; True when saved. It was refused with a toast, kept
        nowhere: in a browser, the carry-over of such a change never happened. False (refused
        as before) where the merge gives up or both changed the same thing."""
        where, mark, rev, _ = _version_parts(event.get("base"))
        project, _, level = where.partition("|")
        path = tuple(level.split("/")) if level else ()
        if project != self.project_id or mark != self.session_mark or not rev.isdigit() \
                or int(rev) not in self.designs or path[:len(self.path)] != self.path \
                or len(path) <= len(self.path) or not isinstance(event.get("graph"), dict):
            return False
        made_on = self.designs[int(rev)]
        try:
            mine = edit.set_level(made_on, path, {"nodes": event["graph"].get("nodes"),
                                                  "edges": event["graph"].get("edges")})
            laid = merge_or_why(made_on.to_dict(), mine.to_dict(), self.graph.to_dict())
            graph = load_graph(laid[0]) if isinstance(laid, tuple) and not laid[1] else None
        except (GraphError, TypeError, ValueError, AttributeError):
            return False
        if graph is None:
            return False
        if graph.to_dict() == self.graph.to_dict():
            return True  # the change is in the design already
        if not self.commit(graph, edit=Edit("canvas", f"change inside {path[-1]}, ungrouped",
                                            seq=int(event["seq"]), base=self.revision,
                                            rebased=True)):
            return True  # the save said why
        self.notify("note", f"Your last change on the canvas, made inside the block "
                    f"{path[-1]} another tab or window ungrouped meanwhile, is made on its "
                    f"blocks as ungrouped.")
        return True

    def _base_of(self, base: Any, base_seq: float | None = None) -> int | None:
        """The revision a canvas change was made on, when it can still apply: the same
        project and level, and no change of the structure since that the change does not
        hold; None when it cannot. The canvas's own later events hold its earlier changes,
        except those sent before it took its base (``base_seq``, the last seq it had sent
        then: a graph taken from Python replaces what the canvas showed). A change that
        names no base (an old canvas) is taken as made on the current revision."""
        if base is None:
            return self.revision
        rev = self._revision_named(base)
        if rev is None or rev > self.revision:
            return None
        if rev < self.revision and (not self.revisions or self.revisions[0][0] > rev + 1):
            return None  # older than the revisions remembered
        for r, source, structural, seq in self.revisions:
            held = source == "canvas" and (base_seq is None or seq is None or seq > base_seq)
            if r > rev and structural and not held:
                return None
        return rev

    def _revision_named(self, base: Any) -> int | None:
        """The revision in a canvas ``base`` (``"project|path|mark:revision:digest"``, see
        :meth:`canvas_version`) made on this project and level; None for another one, or a
        base that is not one.

        A base of a session that is gone (the server restarted while the tab was open, or the
        tab was away until its session ended) names a revision counted there: it is the latest
        revision of this session whose level is the one it was made on (the same digest). The
        canvas keeps the graph it took until Python answers its events, so the first change
        made after a restart always names the old session; refused, it did not land, although
        it was made on the very design saved. One made on a level changed since (another tab
        saved meanwhile) names none."""
        where, mark, rev, digest = _version_parts(base)
        if where != self.canvas_version().rpartition("|")[0] or not rev.isdigit():
            return None
        if mark == self.session_mark:
            return int(rev)
        if not digest:
            return None
        held = {self.revision: self.graph, **self.designs}
        for revision in sorted(held, reverse=True):
            if revision <= self.revision and \
                    _level_digest(edit.get_level(held[revision], self.path)) == digest:
                return revision
        return None

    def _of_another_session(self, base: Any) -> bool:
        """Whether a canvas ``base`` names this project and level in a session that is gone
        (made before the server restarted, or before this tab's session was renewed)."""
        where, mark, _, _ = _version_parts(base)
        return where == self.canvas_version().rpartition("|")[0] and mark != self.session_mark

    def _keep_stale_change(self, sent: Any) -> None:
        """A canvas change made in a session that is gone, not applied (what it was made on
        is not known, so it could undo what was saved since: its canvas sent no level it was
        made on, or not the one its base names; or it does not fit what was saved since): the
        design as that canvas showed it is kept as a snapshot, and the tab is told."""
        kept = None
        try:
            design = edit.set_level(self.graph, self.path, self._overlay(sent))
            kept = self.store.snapshot(self.project_id, "canvas change not applied, kept at "
                                       + time.strftime("%H:%M:%S"), design)
        except (GraphError, TypeError, ValueError, AttributeError, OSError,
                ProjectError) as exc:
            log.warning("could not keep a stale canvas change of %s: %s", self.project_id, exc)
        where = (f"The canvas's version, with that change, is kept as the snapshot "
                 f"“{kept.name}” (Snapshots menu)." if kept is not None else
                 "It could not be kept as a snapshot.")
        self.notify("warning", "Your last change on the canvas was not applied: it was made "
                    "before this page's connection to the server was renewed (the server "
                    "restarted, or the tab was away a long time), on a design that may have "
                    "changed since. The canvas shows the design as saved now; make the change "
                    f"again. {where}")

    def _keep_refused_change(self, event: dict) -> None:
        """A canvas change of this session that does not fit what was saved since its canvas
        took the design (another tab deleted what it moves, an undo took away what it wires),
        not applied: the design as that canvas showed it, with the change, is kept as a
        snapshot, and the toast says which. It was told with nothing kept: the block the user
        dragged or wired was put back, the change gone with it."""
        where, mark, rev, _ = _version_parts(event.get("base"))
        project, _, level = where.partition("|")
        path = tuple(level.split("/")) if level else ()
        kept = None
        try:
            if project != self.project_id:
                raise ValueError(f"made on another project's canvas ({project})")
            if mark == self.session_mark and rev.isdigit() and int(rev) in self.designs:
                made_on = self.designs[int(rev)]  # the design the canvas showed
            elif path == self.path:  # not remembered: the level sent, the rest as now
                made_on = self.graph
            else:
                raise ValueError(f"made on a level no longer remembered ({level})")
            design = edit.set_level(made_on, path, self._overlay(event["graph"], made_on, path))
            kept = self.store.snapshot(self.project_id, "canvas change not applied, kept at "
                                       + time.strftime("%H:%M:%S"), design)
        except (GraphError, TypeError, ValueError, AttributeError, KeyError, OSError,
                ProjectError) as exc:
            log.warning("could not keep a refused canvas change of %s: %s", self.project_id,
                        exc)
        self.notify("toast", CANVAS_STALE + (
            f" Your change is kept as the snapshot “{kept.name}” (Snapshots menu), the "
            f"design as your canvas showed it." if kept is not None else
            " It could not be kept as a snapshot."))

    def _replayed(self, event: dict) -> tuple[int | None, dict] | None:
        """A canvas change made on a revision the structure has moved on from since (an undo,
        a group, a change the canvas had not taken yet) replayed on the level now: the nodes
        it adds and removes, the edges it adds and removes and the positions it moves,
        relative to the level it was made on. ``(revision made on, level)``; None when that
        revision's design is not remembered, or the change does not fit what happened since
        (a node it adds exists now, an edge it adds lacks an end).

        A change made in a session that is gone (the server restarted) on a level this one
        never held (another tab changed it meanwhile) is replayed on the level its canvas sent
        with it (``baseGraph``), when that is the very level its base names (the same digest):
        ``(None, level)``. It was refused, and only kept as a snapshot."""
        sent = event.get("graph")
        if not isinstance(sent, dict):
            return None
        rev = self._revision_named(event.get("base"))
        try:
            if rev is not None:
                return rev, self._replay(sent, edit.get_level(self.designs[rev], self.path),
                                         event, self._logged_renames(self.designs[rev]))
            made_on = self._gone_base(event)
            if made_on is not None:
                return None, self._replay(sent, made_on, event)
        except (GraphError, KeyError, TypeError, ValueError):  # not a level, or it does not fit
            pass
        return None

    def _gone_base(self, event: dict) -> dict | None:
        """The level a change of a session that is gone was made on, as its canvas sent it
        (``baseGraph``), when it is the one its base names (the digest of its nodes and edges
        is the base's); else None."""
        made_on = event.get("baseGraph")
        if not self._of_another_session(event.get("base")) or not isinstance(made_on, dict):
            return None
        level = {"nodes": made_on.get("nodes"), "edges": made_on.get("edges")}
        if not isinstance(level["nodes"], list) or not isinstance(level["edges"], list):
            return None
        digest = _version_parts(event.get("base"))[3]
        return level if digest and _level_digest(level) == digest else None

    def _logged_renames(self, since: int | Graph) -> set[tuple[str, str]] | None:
        """The blocks the saves after version ``since`` (or after the design ``since``, one
        this tab showed, was saved) could have renamed, as the save log tells
        (:func:`~.savelog.renames_after`); None where it does not."""
        try:
            lines = self.store.save_log(self.project_id)
        except (OSError, ProjectError):
            return None
        if isinstance(since, Graph):
            digest = savelog.digest(since.to_dict())
            saved = [line["version"] for line in lines
                     if line.get("digest") == digest and isinstance(line.get("version"), int)]
            since = max(saved, default=None)
        return savelog.renames_after(lines, since)

    def _replay(self, sent: dict, made_on: dict, event: dict,
                logged: set[tuple[str, str]] | None = None) -> dict:
        """The level now with what ``sent`` changed from ``made_on``, the level its base names
        (see :meth:`_replayed`; ``logged``: the renames the save log allows since, see
        :func:`~.renames.node_renames`); ValueError when it does not fit."""
        # what the canvas showed when it made the change: the level of its last change since
        # its base (its own changes it holds), else the level it was made on
        base_seq = event.get("baseSeq")
        own = [seq for seq in self.sent_levels
               if isinstance(base_seq, (int, float)) and base_seq < seq < event["seq"]]
        before = self.sent_levels[max(own)] if own else made_on
        now = edit.get_level(self.graph, self.path)
        # blocks another tab renamed since: what the change did to one is done to it renamed
        before, sent = renamed_since(before, sent, now, logged)
        was = {n["id"]: n for n in before["nodes"]}
        nodes = {n["id"]: n for n in now["nodes"]}
        sent = fresh_ids_for_added(sent, was, nodes)  # another tab added one of that id
        made = {n["id"]: n for n in sent.get("nodes", []) if isinstance(n, dict) and "id" in n}
        for nid, node in made.items():
            if nid not in was:  # added
                if nid in nodes:
                    raise ValueError(f"{nid} exists now")
                nodes[nid] = node
            elif node.get("position") != was[nid].get("position"):
                if nid not in nodes or not same_block(nid, before, now):
                    # deleted since (its id another's now, or none's): the move is not made,
                    # and said, never dropped unseen
                    raise ValueError(f"{nid} is not there now")
                nodes[nid] = {**nodes[nid], "position": node.get("position")}
        for nid in was.keys() - made.keys():  # removed
            if nid in nodes and not same_block(nid, before, now):
                raise ValueError(f"{nid} is another block now")
            nodes.pop(nid, None)

        def key(e: dict) -> str:  # an edge's ends and ports, however the dict is spelled
            return json.dumps([e.get("source"), e.get("target"), e.get("port"),
                               e.get("source_port")], default=str)

        old_edges = {key(e) for e in before["edges"]}
        new_edges = [e for e in sent.get("edges", []) if isinstance(e, dict)]
        gone = old_edges - {key(e) for e in new_edges}
        edges = [e for e in now["edges"] if key(e) not in gone
                 and e.get("source") in nodes and e.get("target") in nodes]
        have = {key(e) for e in edges}
        for e in new_edges:
            if key(e) in old_edges or key(e) in have:
                continue
            if e.get("source") not in nodes or e.get("target") not in nodes:
                raise ValueError("an edge it adds lacks an end now")
            edges.append(e)
        order = [n["id"] for n in now["nodes"] if n["id"] in nodes]
        order += [nid for nid in made if nid in nodes and nid not in order]
        return {"nodes": [nodes[i] for i in order], "edges": edges}

    def _overlay(self, level: dict, design: Graph | None = None,
                 path: tuple[str, ...] | None = None) -> dict:
        """The canvas's level with what only Python edits (params, repeat, label) taken from
        the design (``design``'s level ``path``: by default the design and level shown) for
        every node it already holds: the canvas never changes those, so a change made on an
        older revision keeps the inspector's edits made since."""
        nodes, _ = edit.nodes_edges(self.graph if design is None else design,
                                    self.path if path is None else path)
        held = {n.id: n.to_dict() for n in nodes}
        out = []
        for node in level.get("nodes", []):
            if not isinstance(node, dict):
                out.append(node)
                continue
            now = held.get(node.get("id"))
            if now is not None and now.get("type") == node.get("type"):
                node = {k: v for k, v in node.items() if k not in savelog.NODE_FIELDS}
                node.update({k: now[k] for k in savelog.NODE_FIELDS if k in now})
            out.append(node)
        return {"nodes": out, "edges": level.get("edges", [])}

    def group(self, ids: list[str], name: str | None = None,
              promote: list[tuple[str, str]] = ()) -> str | None:
        result = self.apply(edit.group, ids, path=self.path, name=name or None,
                            promote=list(promote))
        if result is None:
            return None
        self.select([result[1]])
        return result[1]


def events_of(value: Any) -> list[dict]:
    """The events in a canvas component value, oldest first: ``{"events": [...]}`` (the
    canvas's queue of events Python has not answered) or one event (``{"seq", ...}``)."""
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("events"), list):
        items = [e for e in value["events"]
                 if isinstance(e, dict) and isinstance(e.get("seq"), (int, float))]
        return sorted(items, key=lambda e: e["seq"])
    return [value] if isinstance(value.get("seq"), (int, float)) else []


def _level_digest(level: dict) -> str:
    """A digest of one level as the canvas is given it (:meth:`DesignerState.canvas_version`),
    the same for the level the canvas sends back (``baseGraph``): JavaScript reads ``2.0`` as
    ``2``."""
    return savelog.digest(_as_javascript_reads(level))


def _as_javascript_reads(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _as_javascript_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_javascript_reads(v) for v in value]
    return value


def _version_parts(base: Any) -> tuple[str, str, str, str]:
    """``(where, mark, revision, digest)`` of a canvas version (``"project|path|mark:rev:digest"``;
    an older canvas's has no digest: ``""``)."""
    where, _, rest = str(base).rpartition("|")
    mark, rev, digest = (rest.split(":") + ["", "", ""])[:3]
    return where, mark, rev, digest


def _edit_of(change: Callable[..., Any], args: tuple, kwargs: dict, base: int) -> Edit:
    """The edit ``change(graph, *args, **kwargs)`` makes, with what it may touch."""
    name = getattr(change, "__name__", "change")
    if change is edit.set_param and len(args) >= 3:
        path, node, param = args[:3]
        return Edit("inspector", f"{node}.{param}", base=base,
                    scope=("param", tuple(path), node, param))
    if change is edit.update_node and len(args) >= 2:
        path, node = args[:2]
        return Edit("inspector", f"{node}.{'/'.join(sorted(kwargs))}", base=base,
                    scope=("node", tuple(path), node, tuple(sorted(kwargs))))
    if change is edit.set_variable and args:
        return Edit("inspector", f"variable {args[0]}", base=base, scope=("variable", args[0]))
    return Edit("designer", name, base=base)


def _rebased(steps: list[Step], old: dict, new: dict,
             logged: set[tuple[str, str]] | None = None
             ) -> tuple[list[Step], list[tuple[Step, str]], dict[str, Any]]:
    """Undo (or redo) steps made on ``old`` laid over ``new`` (another tab's save), each
    still taking back what it did, and the steps that no longer join it, newest first, each
    with why (:func:`~.merge.merge_or_why`). Each step is laid as what it takes back from the
    step after it, so that one that no longer joins (it changes a block the other tab
    removed) is skipped alone: the steps before it still take back their own edits (they
    were all dropped with it, unsaid). A value the other tab set since in a field a step
    changes stays the other tab's (a step takes back only what is still this tab's: tab A's
    undo put A's old out_channels back over tab B's newer one); the third item names those
    fields, with the value kept. A step left changing nothing is skipped."""
    out: list[Step] = []
    dropped: list[tuple[Step, str, set[str]]] = []  # each with the fields it changes
    left: dict[str, Any] = {}
    made_on, laid_on = old, new  # the design the next step was made on, and that one as laid
    for step in reversed(steps):  # the next step first: each is made on the one after it
        laid = merge_or_why(made_on, step.graph, laid_on, theirs_win=True, renames=logged)
        if isinstance(laid, str):
            dropped.append((step, laid, set(savelog.diff(made_on, step.graph))))
        else:
            for what in laid[1]:
                left.setdefault(what, _value_of(laid[0], what))
            if _bare(laid[0]) != _bare(laid_on) or step.weights is not None:
                out.append(Step(laid[0], step.weights))
            laid_on = laid[0]
        made_on = step.graph
    return out[::-1], dropped, left


def _bare(design: dict) -> dict:
    """``design`` without an empty ``blocks`` (a merge leaves it out): to tell a step that
    changes nothing."""
    return {k: v for k, v in design.items() if not (k == "blocks" and not v)}


# a block both sides renamed, as the merge names it: "conv1 (renamed enc here, feat there)"
_RENAMED = re.compile(r"(?P<block>block )?(?P<old>.+) \(renamed (?P<mine>.+) here, "
                      r"(?P<theirs>.+) there\)")


def _value_of(design: dict, what: str) -> Any:
    """The value of ``what`` (a field the merge names: ``conv1.params.out_channels``,
    ``variables.width``, a block's new id) in ``design``; :data:`savelog.MISSING` where it
    names no field."""
    renamed = _RENAMED.fullmatch(what)
    if renamed:
        return renamed["theirs"]
    if what.endswith(".position"):
        return savelog.MISSING  # a place in numbers says nothing: the canvas shows it
    head, _, rest = what.partition(".")
    if head == "variables":
        return (design.get("variables") or {}).get(rest, savelog.MISSING)
    nid, _, rest = what.partition(".")
    levels = [design, *(b for b in (design.get("blocks") or {}).values() if isinstance(b, dict))]
    for level in levels:
        for node in level.get("nodes", []):
            if isinstance(node, dict) and node.get("id") == nid:
                holder = node.get("params") or {} if rest.startswith("params.") else node
                return holder.get(rest.removeprefix("params."), savelog.MISSING)
    return design.get(what, savelog.MISSING)


def _moved(path: str, moved: dict[str, str]) -> str:
    """Field ``path`` under its block's new path, where ``moved`` (a block's path → its new
    one) moves the block: ``_moved("nodes.a.label", {"nodes.a": "nodes.b"})`` is
    ``nodes.b.label``."""
    block = next((b for b in moved if path.startswith(f"{b}.")), None)
    return path if block is None else moved[block] + path[len(block):]


def _node_id(key: str) -> str:
    """The id of the block at ``key`` (``nodes.<id>``, ``blocks.<name>.nodes.<id>``)."""
    return key.rpartition("nodes.")[2]


def _node_words(key: str) -> str:
    """A block's path in the designer's words: ``drop``, ``Block/drop`` inside a block."""
    prefix = key.rpartition("nodes.")[0]
    block = prefix.removeprefix("blocks.").removesuffix(".")
    return f"{block}/{_node_id(key)}" if block else _node_id(key)


def _field_words(what: str) -> str:
    """A field the merge names in the designer's words: ``conv1.out_channels``,
    ``variable width``."""
    if what.startswith("variables."):
        return f"variable {what.removeprefix('variables.')}"
    renamed = _RENAMED.fullmatch(what)
    if renamed:
        return f"the {'name of the block' if renamed['block'] else 'id of'} {renamed['old']}"
    if what.endswith(".position"):
        return f"the place of {what.removesuffix('.position')} on the canvas"
    return what.replace(".params.", ".", 1)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _theme(value: Any) -> str:
    return value if value in THEMES else "light"


def current() -> DesignerState:
    """This tab's state; the project comes from the URL (``?project=<id>``), which is kept in
    step so that a refresh reopens the same design and two tabs keep their own."""
    import streamlit as st

    state: DesignerState | None = st.session_state.get(SESSION_KEY)
    wanted = st.query_params.get("project")
    if state is None:
        store = ProjectStore()
        browser = browser_id()
        state = DesignerState.boot(store, wanted, None if wanted else
                                   store.browser_project(browser))
        state.browser = browser
        # a reload (or a tab closed and opened again) is a new session: the undo and redo of
        # the tab it replaces, gone, come back with it
        histories, pages = _left_behind(browser, _session_id(), state.project_id)
        state.histories.update(histories)
        state._take_history()
        if pages is not None and not state.pages:
            # and what its other pages held: the Train page's settings (epochs 7 came back
            # as 10), the data chosen, the runs compared
            state.pages = pages
    elif wanted and wanted == state.link_behind:
        pass  # the link before a switch, from a request sent meanwhile: the switch holds
    elif wanted and wanted != state.project_id:
        try:  # another project's link in this tab (the browser's Back)
            state = state.switch(DesignerState.open(state.store, wanted))
        except Exception as exc:  # noqa: BLE001 - any project that fails leaves this one open
            state.notify("warning", f"Could not open project {wanted}: {_why(exc)}", about=wanted)
            state.unopened.append((wanted, _why(exc)))
    if wanted == state.project_id:  # the browser has the link: Back to the other is a link
        state.link_behind = None
    state.history_changed = False  # what the runs before said of undo has been shown
    state.catch_up()  # another tab's save since this tab's last run: shown, and said
    st.session_state[SESSION_KEY] = state
    _note_tab(state)
    if st.query_params.get("project") != state.project_id:
        st.query_params["project"] = state.project_id
    if state.browser and state.remembered != state.project_id:
        try:
            state.store.remember_browser(state.browser, state.project_id)
            state.remembered = state.project_id
        except OSError as exc:  # a nicety: never fail a page on it
            log.warning("could not remember the project of this browser: %s", exc)
    return state


# The designer state of each browser's latest session on each project, by (browser, project),
# with the session's id: when that session is gone (the page reloaded, the tab closed), the
# next session of the same browser takes its undo and redo history. A session still open (a
# second tab) keeps its own.
_TABS: OrderedDict[tuple[str, str], tuple[str, DesignerState, float]] = OrderedDict()
_TABS_LOCK = threading.Lock()
MAX_TABS = 64
# a session gone this long ago is no longer kept for the next one (a reload takes seconds): its
# designs and history are freed, as Streamlit frees the session's own
LEFT_KEPT_S = 30 * 60


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:  # noqa: BLE001 - no session (bare mode): nothing to hand over
        return None


def _session_open(session_id: str) -> bool:
    """Whether the session is still connected; True where it cannot be told (then nothing is
    taken from it)."""
    try:
        from streamlit.runtime import Runtime

        return not Runtime.exists() or Runtime.instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001 - when in doubt, the other session keeps its history
        return True


def _note_tab(state: DesignerState) -> None:
    """Remember this session's state as its browser's latest on its project."""
    sid = _session_id()
    if not state.browser or sid is None:
        return
    now = time.monotonic()
    with _TABS_LOCK:
        key = (state.browser, state.project_id)
        _TABS[key] = (sid, state, now)
        _TABS.move_to_end(key)
        while len(_TABS) > MAX_TABS:
            _TABS.popitem(last=False)
        for old_key, (old_sid, _, noted) in list(_TABS.items()):
            if now - noted > LEFT_KEPT_S and not _session_open(old_sid):
                del _TABS[old_key]


def _left_behind(browser: str, session_id: str | None, project_id: str | None = None
                 ) -> tuple[dict[str, tuple[dict, list, list]], dict | None]:
    """The undo and redo histories, by project, of ``browser``'s sessions that are gone (the
    page this one reloads), and the other pages' state of the latest of them that was on
    ``project_id`` (the Train page's settings and the data chosen are that design's: a tab
    gone from another project leaves them to it); taken (a second new session gets none of
    them)."""
    taken: dict[str, tuple[dict, list, list]] = {}
    pages = None
    if session_id is None:
        return taken, pages
    with _TABS_LOCK:
        for key, (sid, old, _) in list(_TABS.items()):  # the latest last
            if key[0] != browser or sid == session_id or _session_open(sid):
                continue
            del _TABS[key]
            if old.undo_stack or old.redo_stack:
                taken[key[1]] = (old.graph.to_dict(), list(old.undo_stack),
                                 list(old.redo_stack))
            for pid, kept in old.histories.items():  # projects it left, not reopened since
                taken.setdefault(pid, kept)
            if key[1] == project_id:
                pages = old.pages
    return taken, pages


def _why(exc: Exception) -> str:
    """A project's failure to open, in words (RecursionError and MemoryError included)."""
    if isinstance(exc, RecursionError):
        return "its design is nested too deeply to be read"
    if isinstance(exc, MemoryError):
        return "its design needs more memory than this machine has"
    if isinstance(exc, (ProjectError, GraphError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


BROWSER_COOKIE = "layerloom_browser"
_BROWSER_ID = re.compile(r"^[0-9a-f]{16,64}$")
_NEW_BROWSER = "_layerloom_new_browser"


def browser_id() -> str:
    """This browser's id: its ``layerloom_browser`` cookie, or a new one (which
    :func:`browser_cookie` then sets), so that the bare URL opens the last project of this
    browser, not one shared by everyone."""
    import streamlit as st

    try:
        cookie = st.context.cookies.get(BROWSER_COOKIE)
    except Exception:  # no browser (AppTest, bare mode)
        cookie = None
    if isinstance(cookie, str) and _BROWSER_ID.match(cookie):
        return cookie
    if _NEW_BROWSER not in st.session_state:
        st.session_state[_NEW_BROWSER] = secrets.token_hex(16)
    return st.session_state[_NEW_BROWSER]


def browser_cookie() -> None:
    """Set this browser's id cookie when it came without one (a year; this site only)."""
    import streamlit as st

    new = st.session_state.get(_NEW_BROWSER)
    if not new or not _BROWSER_ID.match(new):
        return
    st.html(f'<script>document.cookie = "{BROWSER_COOKIE}={new}; path=/; '
            f'max-age=31536000; SameSite=Strict";</script>', unsafe_allow_javascript=True)


def new_project(state: DesignerState, graph: Graph, what: str) -> DesignerState | None:
    """``graph`` as a new project, made this tab's (:func:`use`); None where the projects
    folder cannot be written (a full disk, a read-only home), said in ``state`` in words
    (``what``: "The new project", "The snapshot's copy"…), the design open left as it was."""
    try:
        other = DesignerState.new(state.store, graph)
    except OSError as exc:
        log.error("could not create a project: %s", exc)
        where = f": {exc.filename}" if exc.filename else ""
        state.notify("error", f"{what} was not created: the projects folder cannot be written "
                              f"({exc.strerror or exc}{where}). The design open here is as it "
                              f"was.")
        return None
    return use(state, other)


def use(state: DesignerState, other: DesignerState) -> DesignerState:
    """Make ``other`` this tab's state (after opening or creating another project).

    The page's link follows in :func:`current` (which the run calls after its callbacks), not
    here: from a callback, sending it was a rerun check, and a newer request found there stopped
    the callback (what it did after this was lost) and brought the old link back, which
    reopened the project left.
    """
    import streamlit as st

    other = state.switch(other)
    if other.project_id != state.project_id:
        other.link_behind = state.project_id
    st.session_state[SESSION_KEY] = other
    return other
