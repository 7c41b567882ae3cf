"""The local projects store: every design is saved on each change, under ``$LAYERLOOM_HOME``
(default ``~/.layerloom``).

::

    <home>/settings.json                         {"browsers": {browser id: its last project},
                                                  "theme": "light"}
    <home>/projects/<id>/graph.json              the design, in the graph format
    <home>/projects/<id>/meta.json               {"name" (the design's), "created", "updated", "view",
                                                  "edits" (the save count), "file" (a digest of
                                                  graph.json's bytes as the last save left them)}
    <home>/projects/<id>/saves.jsonl             one line a save: {"version", "based_on", "time",
                                                  "edit", "changes", "digest"} (ui/savelog.py);
                                                  a change of graph.json made outside LayerLoom
                                                  is a line too, once seen (edit source
                                                  "outside": see ProjectStore.take_outside)
    <home>/projects/<id>/snapshots/<sid>.json    {"name", "created", "graph"}: named copies
    <home>/projects/<id>/data.json               the dataset chosen on the Data page
                                                  ({"source", "label", "options", "seed",
                                                  "val_fraction", "test_fraction"})
    <home>/projects/<id>/unreadable/graph-<time>.json  the design file as edited outside
                                                  LayerLoom, which no longer read as a design,
                                                  kept before a save wrote over it
    <home>/projects/<id>/weights.safetensors     weights the design carries (an imported model's),
                                                  used by the Train and Export pages
    <home>/projects/<id>/weights/<digest>.safetensors  versions of those weights (by content),
                                                  so that undo and redo of an edit that changed
                                                  them (a replaced head) switch them back and
                                                  forth with the design (a hard link to the
                                                  file in use where the file system allows)

Every file is written to a temporary file first and moved into place, so a crash or a killed
server never leaves half a design; the move captures what it replaced, so that a write of the
design file outside LayerLoom landing in that instant is put back, never silently replaced. Project ids come from URLs, so they are checked against a
strict pattern before they become paths. No Streamlit here.

>>> import tempfile
>>> from layerloom.graph.templates import load_template
>>> store = ProjectStore(tempfile.mkdtemp())
>>> pid = store.create(load_template("seed-cnn"))
>>> store.load(pid).graph.name, [p.id for p in store.list()] == [pid]
('seed-cnn', True)
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerloom.graph import Graph, GraphError, dumps_graph, load_graph, loads_graph, validate
from layerloom.graph.file_lines import node_lines
from layerloom.graph.io import decode_graph_bytes
from layerloom.graph.io import parse_graph

from . import savelog
from .merge import merge_or_why
from .savelog import Edit

try:
    import fcntl
except ImportError:  # Windows: one server's threads are still serialised
    fcntl = None

HOME_ENV = "LAYERLOOM_HOME"
PROJECT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
SNAPSHOT_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_BROWSERS = 500  # browsers whose last project settings.json remembers
WEIGHTS_DIR = "weights"  # a project's weights versions, by digest
WEIGHTS_DIGEST = re.compile(r"^[0-9a-f]{32}$")
WEIGHTS_KEPT = 8  # weights versions kept besides the one in use
DATA_CHOICE = "data.json"  # a project's dataset chosen on the Data page
# the waits between a save's tries, each from the design file as it is, where it changed as it
# was saved or did not read (an editor's write caught half-way: the file emptied, not yet
# written, was set aside and written over, the editor's write then going to the file replaced;
# a loaded machine can leave a writer unscheduled a tenth of a second): under a second in all,
# spent once on a file that really no longer reads, before it is set aside
SAVE_WAITS = (0.02, 0.05, 0.1, 0.25, 0.5)
UNREADABLE_DIR = "unreadable"  # design files edited outside LayerLoom that no longer read
LATE_WAIT = 0.1  # after a save wrote over such a file: for its writer to finish, if any


class _ChangedMeanwhile(Exception):
    """The design file changed outside LayerLoom while a save was under way: tried again.
    ``landed``: a write outside LayerLoom that landed on the save's own file in the instant it
    was there, kept (a snapshot, or set aside) before that file was swapped back out;
    ``put_back``: the file written outside LayerLoom that the save's move replaced and put
    back (None: none)."""

    def __init__(self, landed: Snapshot | SetAside | None = None,
                 put_back: bytes | None = None):
        super().__init__()
        self.landed = landed
        self.put_back = put_back


class _PutBack(Exception):
    """:func:`_write_atomic` found it had replaced another file than the one expected (a write
    outside LayerLoom landing as the save moved its own in) and put that file straight back.
    ``landed``: what was written on the save's own file in the instant it was there (a
    program that read it then and wrote its change on top), each to be kept: never dropped."""

    def __init__(self, landed: list[bytes], replaced: bytes):
        super().__init__()
        self.landed = landed
        self.replaced = replaced  # the file put back


class ProjectError(Exception):
    """A project or snapshot that is not there, or an id that cannot be one."""


class SaveRefused(ProjectError):
    """A save that would write more (or other) than its edit: nothing was written."""


class SaveConflict(SaveRefused):
    """An edit made on a design another tab has saved over since (or, ``outside``, that was
    changed outside LayerLoom since: the file edited by hand), which does not join that save
    (``why``): nothing was written over it; the edit's design is kept as the snapshot
    ``kept`` (None when even that could not be written)."""

    def __init__(self, message: str, why: str, kept: Snapshot | None, outside: bool = False):
        super().__init__(message)
        self.why = why
        self.kept = kept
        self.outside = outside


class Unwritable(OSError):
    """A change of the design file made outside LayerLoom that could not be logged as a save
    (:meth:`ProjectStore.take_outside`): the project folder cannot be written (read-only,
    another user's, a full disk). ``errno`` and ``strerror`` are the write's, ``filename``
    the folder."""

    def __init__(self, folder: Path, cause: OSError):
        super().__init__(cause.errno, cause.strerror or str(cause), str(folder))


class ProjectGone(OSError):
    """A save into a project whose folder is no longer there (moved or deleted outside
    LayerLoom while a tab edited it): nothing was written, no folder made again."""

    def __init__(self, folder: Path):
        super().__init__(errno.ENOENT, "the project's folder is no longer there (moved or "
                         "deleted outside LayerLoom)", str(folder))


def home() -> Path:
    """``$LAYERLOOM_HOME``, or ``~/.layerloom``."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".layerloom").expanduser()


@dataclass
class Project:
    id: str
    graph: Graph
    view: dict = field(default_factory=dict)  # {"path": [...], "selected": [...]}
    edits: int = 0  # how many times the design was saved: see ProjectStore.save(based_on=)


@dataclass(frozen=True)
class Saved:
    edits: int  # the project's save count after this save
    kept: Snapshot | None = None  # another tab's version, kept before it was overwritten
    merged: Graph | None = None  # the design saved: this edit laid over another tab's save
    over: Graph | None = None  # that other tab's design, which the edit was laid over
    # what both changed ("conv1.…"): this edit's value saved (the other's for an undo or redo)
    contested: tuple[str, ...] = ()
    # the design on disk was edited outside LayerLoom (by hand), not by another tab: ``over``
    # (merged) or ``kept`` (it did not join) is that design
    outside: bool = False
    # the design file as edited outside LayerLoom, which did not read as a design: kept there
    set_aside: SetAside | None = None
    # the design file as written outside LayerLoom in the very instant this save moved its own
    # in, where the save could not start again from it: kept (a snapshot, or set aside where
    # it does not read), never silently replaced
    caught: Snapshot | SetAside | None = None
    # a write outside LayerLoom that landed on this save's own file in the instant an earlier
    # try of it had moved that file in, before the file it replaced (a hand edit, which
    # stays) was put back: kept, as a snapshot or set aside, never silently dropped
    landed: Snapshot | SetAside | None = None


@dataclass(frozen=True)
class SetAside:
    path: str  # where the file that did not read is kept
    why: str  # why it did not read (the GraphError's message)


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    updated: float


@dataclass(frozen=True)
class Snapshot:
    id: str
    name: str
    created: float


class ProjectStore:
    def __init__(self, root: str | Path | None = None):
        self.home = Path(root) if root is not None else home()
        self.projects = self.home / "projects"

    # -- projects ------------------------------------------------------------------------------

    def create(self, graph: Graph) -> str:
        """Save ``graph`` as a new project; returns its id (``seed-cnn-3f9a1c``)."""
        slug = re.sub(r"[^a-z0-9]+", "-", (graph.name or "design").lower()).strip("-")
        while True:
            pid = f"{slug[:40] or 'design'}-{secrets.token_hex(3)}"
            if not (self.projects / pid).exists():
                break
        try:
            (self._dir(pid) / "snapshots").mkdir(parents=True)
            now = time.time()
            self._write_json(self._dir(pid) / "meta.json",
                             {"name": graph.name or pid, "created": now, "updated": now,
                              "view": {}})
            self.save(pid, graph, edit=Edit("create", f"new project {graph.name or pid}"))
        except BaseException:  # a full disk: no half-made project folder is left behind
            shutil.rmtree(self._dir(pid), ignore_errors=True)
            raise
        return pid

    def exists(self, pid: str | None) -> bool:
        return bool(pid) and PROJECT_ID.match(pid) is not None and \
            (self.projects / pid / "graph.json").is_file()

    def load(self, pid: str) -> Project:
        """The project ``pid``; a design file that no longer parses raises :class:`GraphError`.
        A change of the file made outside LayerLoom is taken in as a save first
        (:meth:`take_outside`): the design read is the one its save count names, so that an
        edit made on it is laid over later saves as any other (with the count of the last
        save, it was refused as made on a design never saved)."""
        folder = self._existing(pid)
        with _saving(folder):  # the design and its save count of one save, never of two
            stamp = _stamp(folder / "graph.json")  # before the read: a change after it is seen
            graph = load_graph(folder / "graph.json")
            meta = self._meta(pid)
            if stamp != meta.get("file"):
                try:
                    self._taken_outside(folder, graph, meta, stamp)
                except OSError:  # a read-only folder: read all the same, as the file says
                    meta = self._meta(pid)
        return Project(pid, graph, meta.get("view") or {}, _edits(meta))

    def version(self, pid: str) -> int:
        """The project's save count now (cheap: its meta file only): a tab that last read or
        wrote another count is behind another tab's save (see :meth:`save`)."""
        return _edits(self._meta(pid))

    def take_outside(self, pid: str, known: Graph | None = None) -> int | None:
        """Take in a change of the design file made outside LayerLoom (graph.json edited by
        hand, or written by another program) as a save of its own, so that every tab, window
        and server on the project takes it as it takes another tab's save (by the save count)
        and merges later edits over it as over one: its line in the save log (edit source
        ``outside``, its digest, and what it changed against ``known``, the design a tab
        showed, where that is the one saved last) and the save count one more. Returns that
        count; None where the file is as the last save left it (cheap: a digest of its bytes
        against the one the save wrote down, nothing parsed), or where the log cannot
        tell (a project saved before the log had digests). A file that no longer reads as a
        design raises :class:`GraphError` (the next save keeps it under ``unreadable/``); a
        change that cannot be logged, :class:`Unwritable` (the folder cannot be written)."""
        folder = self._existing(pid)
        path = folder / "graph.json"
        if _stamp(path) == self._meta(pid).get("file"):
            return None
        with _saving(folder):
            meta = self._meta(pid)
            stamp = _stamp(path)
            if stamp == meta.get("file"):
                return None  # taken in meanwhile, by another tab or server
            return self._taken_outside(folder, load_graph(path), meta, stamp, known)

    def _taken_outside(self, folder: Path, graph: Graph, meta: dict, stamp: str | None,
                       known: Graph | None = None) -> int | None:
        """:meth:`take_outside` under the project's lock: ``graph``, the design file read,
        whose ``stamp`` is not the one ``meta`` holds. ``meta`` is updated in place."""
        new = graph.to_dict()
        edits = _edits(meta)
        lines = savelog.read_log(folder / savelog.LOG_NAME)
        last = next((line.get("digest") for line in reversed(lines)
                     if line.get("version") == edits), None)
        meta["file"] = stamp
        if last is None or last == savelog.digest(new):  # touched only, or not told
            try:
                self._write_json(folder / "meta.json", meta)
            except OSError:  # a read-only folder: looked at again next time
                pass
            return None
        line = {"version": edits + 1, "based_on": edits, "time": round(time.time(), 3),
                "edit": Edit("outside", "the design file changed outside LayerLoom").record(),
                "digest": savelog.digest(new)}
        if known is not None and savelog.digest(known.to_dict()) == last:
            line["changes"] = savelog.diff(known.to_dict(), new)[:savelog.CHANGES_LOGGED]
        meta.update(updated=time.time(), name=graph.name or meta.get("name") or folder.name,
                    edits=edits + 1)
        # the count (meta.json) is written aside first, and moved into place once the line is
        # logged: in a folder that takes no new file, its save log alone writable (a folder
        # made read-only, the files not), each look appended a line the count never took
        staged = None
        try:
            staged = _staged(folder / "meta.json",
                             json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
            _append_line(folder / savelog.LOG_NAME, json.dumps(line, ensure_ascii=False))
            os.replace(staged, folder / "meta.json")
        except OSError as exc:  # a read-only folder, another user's: the change is not logged
            if staged is not None:
                staged.unlink(missing_ok=True)
            raise Unwritable(folder, exc) from exc
        return edits + 1

    def save(self, pid: str, graph: Graph, view: dict | None = None, *,
             based_on: int | None = None, edit: Edit | None = None,
             previous: Graph | None = None, weights: str | None = None) -> Saved:
        """Write the design (and the view: opened block, selection) of project ``pid``.

        ``based_on`` is the save count the caller last read or wrote. When another tab (or
        another window, or another server on the same home) has saved since, and its design
        differs, this edit (``previous`` → ``graph``) is laid over that design when the two
        touch different things (:func:`~.merge.merge`; ``Saved.merged`` is then the design
        saved, ``Saved.over`` the other tab's); otherwise the other version is first kept as
        a snapshot (``Saved.kept``): two tabs on one project never silently drop each other's
        work.

        ``edit`` says what is saved (:class:`~.savelog.Edit`) and ``previous`` the design it was
        made on: the save is refused (:class:`SaveRefused`, nothing written) when the new
        design changes anything the edit's scope does not cover. Each save appends a line to
        ``saves.jsonl`` (version, edit, changes, digest); a design equal to the one on disk is
        not saved again (the view still is).

        ``weights``: the weights version (:meth:`keep_weights`, :meth:`weights_version`; ""
        for none) the saved design carries, made the one in use together with the design,
        under the same lock (None: the weights are left alone). A version no longer kept is
        refused (:class:`SaveRefused`) before anything is written. A save from a tab whose
        design is older than a save that switched the weights (another tab replaced the head)
        switches back to the weights its design carried, when they are still kept.

        The design file changed outside LayerLoom while the save was under way (an editor or
        a script writing it, which the project's lock does not keep out), or found not reading
        (such a write caught half-way), makes the save start again from the file as it is a
        moment later, the edit laid over it, rather than write it over; so does one landing
        in the instant the save moves its file in (what the move replaced is put back). The
        last try writes all the same, and keeps such a write as a snapshot (``Saved.caught``).
        """
        landed = None
        for wait in SAVE_WAITS:
            try:
                saved = self._save(pid, graph, view, based_on, edit, previous, weights)
                break
            except _ChangedMeanwhile as exc:
                landed = exc.landed or landed
                time.sleep(wait)  # an editor's write under way: finished meanwhile
                if exc.put_back is not None:
                    landed = self._put_back_replaced(pid, exc.put_back) or landed
        else:
            saved = self._save(pid, graph, view, based_on, edit, previous, weights, last=True)
        return saved if landed is None else dataclasses.replace(saved, landed=landed)

    def _save(self, pid: str, graph: Graph, view: dict | None, based_on: int | None,
              edit: Edit | None, previous: Graph | None, weights: str | None,
              last: bool = False) -> Saved:
        """One try of :meth:`save`: :class:`_ChangedMeanwhile` where the design file does not
        read or changed between its read and the write (unless ``last``), nothing written but
        snapshots."""
        folder = self._dir(pid)
        edit = edit or Edit("save")
        new = graph.to_dict()
        if based_on is not None and not folder.is_dir():  # not a new project: gone
            raise ProjectGone(folder)
        with _saving(folder):
            if based_on is not None and not (folder / "meta.json").is_file() and \
                    not (folder / "graph.json").exists():  # gone as the lock was taken
                _remove_lock_folder(folder)
                raise ProjectGone(folder)
            meta = self._meta(pid)
            edits = _edits(meta)
            read = _stamp(folder / "graph.json")  # before the read: a change after it is seen
            unreadable = None  # why the design on disk does not read, when it does not
            try:
                theirs = load_graph(folder / "graph.json") if (folder / "graph.json").is_file() \
                    else None
            except (GraphError, OSError) as exc:
                theirs, unreadable = None, exc
                if isinstance(exc, GraphError) and not last:
                    raise _ChangedMeanwhile from exc  # looked at again before it is set aside
            if previous is not None:
                changes = savelog.diff(previous.to_dict(), new)
                bad = savelog.outside(changes, edit.scope)
                if bad:
                    raise SaveRefused(
                        f"refused to save project {pid}: the {edit.source} edit "
                        f"({edit.what or 'unnamed'}) would also change {', '.join(bad[:6])}"
                        + (" …" if len(bad) > 6 else ""))
            if weights:
                self._weights_path(folder, weights)  # refused here: nothing written yet
            was = self.weights_version(pid) if weights is not None else None
            merged, contested = None, ()
            # an undo or redo takes back only what is still this tab's: where the save it is
            # laid over set a field it changes, that value stays (contested names it)
            theirs_win = edit.source in ("undo", "redo")
            behind = based_on is not None and edits != based_on and theirs is not None
            # the saves since are changes of the file made outside LayerLoom, taken in (see
            # take_outside), no other tab's: said as such
            by_hand = behind and _outside_only(folder, based_on)
            if behind and previous is not None:  # laid over the other tab's save, if it joins
                merged, contested, why = self._merged(folder, based_on, previous, graph, theirs,
                                                      theirs_win)
                if merged is not None:
                    graph, new = merged, merged.to_dict()
                elif theirs.to_dict() != new:
                    # it does not join: the other tab's save stays as it is (never overwritten
                    # by a design that lacks its work), and this edit's design is kept
                    mine = self._kept_unapplied(pid, graph)
                    raise SaveConflict(
                        (f"project {pid}'s design file was changed outside LayerLoom since "
                         f"this edit's design (version {based_on}, now {edits})" if by_hand else
                         f"project {pid} was saved by another tab since this edit's design "
                         f"(version {based_on}, now {edits})")
                        + f", and the edit does not join that save: {why}", why, mine,
                        outside=by_hand)
            # no save since the caller's, yet the file is not what it saved: changed outside
            # LayerLoom (edited by hand): this edit is laid over it as over another tab's save
            outside = not behind and previous is not None and theirs is not None and \
                theirs.to_dict() != previous.to_dict()
            if outside and based_on is not None:
                merged, contested, why = self._merged(folder, based_on, previous, graph,
                                                      theirs, theirs_win)
                if merged is not None:
                    graph, new = merged, merged.to_dict()
                elif theirs.to_dict() != new:
                    # it does not join the hand edit: the file stays as edited (never written
                    # over with a design that lacks it), and this edit's design is kept
                    mine = self._kept_unapplied(pid, graph)
                    raise SaveConflict(
                        f"project {pid}'s design file was changed outside LayerLoom since "
                        f"this edit's design (version {based_on}), and the edit does not join "
                        f"that change: {why}", why, mine, outside=True)
            outside = outside or by_hand
            over = theirs if merged is not None else None
            if theirs is not None and theirs.to_dict() == new:  # nothing new to write
                if weights is not None:
                    self._use_weights(folder, weights)
                if view is not None and meta.get("view") != view:
                    meta["view"] = view
                    self._write_json(folder / "meta.json", meta)
                return Saved(edits, merged=merged, over=over, contested=contested,
                             outside=outside)
            kept = None
            if merged is not None:
                if contested and not theirs_win:  # the other tab's values of what both changed
                    kept = self.snapshot(pid, ("changed outside the app, kept at " if outside
                                               else "changed in another tab, kept at ")
                                         + time.strftime("%H:%M:%S"), theirs)
            elif behind:
                kept = self.snapshot(pid, ("changed outside the app, kept at " if by_hand
                                           else "changed in another tab, kept at ")
                                     + time.strftime("%H:%M:%S"), theirs)
                if weights is None:  # the weights this tab's design carries, if switched since
                    was = self.weights_version(pid)
                    weights = self._weights_at(folder, based_on, was)
            elif outside:  # and this edit does not join it: kept, never silently overwritten
                kept = self.snapshot(pid, "changed outside the app, kept at "
                                     + time.strftime("%H:%M:%S"), theirs)
            set_aside = None
            if isinstance(unreadable, GraphError):
                # edited outside LayerLoom into a file that no longer reads as a design: the
                # text is kept as it is, never silently written over
                set_aside = self._set_aside(folder, unreadable)
            text = dumps_graph(graph)
            data = text.encode("utf-8")
            if not last and _stamp(folder / "graph.json") != read:
                raise _ChangedMeanwhile  # what this save read is no longer the file
            # the text written, not the file read again: an editor's write since is no
            # design that failed to read back (the save was refused, the file holding it)
            written = loads_graph(text).to_dict()
            if written != new:  # never expected: a design that does not read back as written
                raise SaveRefused(f"project {pid}: the design saved does not read back as it "
                                  f"was written (changes {savelog.diff(new, written)[:6]})")
            version = edits + 1
            changes = savelog.diff(theirs.to_dict() if theirs is not None else {}, new)
            line = {"version": version, "based_on": based_on, "time": round(time.time(), 3),
                    "edit": edit.record(), "changes": changes[:savelog.CHANGES_LOGGED],
                    "digest": savelog.digest(new)}
            if kept is not None:
                line["kept"] = kept.id
            if weights is not None:
                line["weights"], line["weights_was"] = weights, was
            meta["updated"] = time.time()
            meta["name"] = graph.name or meta.get("name") or pid
            meta["edits"] = version
            # a change made outside is told by it: the bytes written, not the file read again,
            # which may be an editor's write since (taken for this save's, seen by no tab)
            meta["file"] = _digest(data)
            if view is not None:
                meta["view"] = view
            # the file as read, held (a hard link: no room needed) to be put back should the
            # save fail once its design file is moved in (the disk full at the log's line):
            # the file kept the edit the tab said was not saved, every tab then told of it as
            # a change made outside LayerLoom, and Undo had nothing to take back
            held = _hold(folder / "graph.json")
            replaced, staged = _NOT_MOVED, None
            try:
                # moved in, what it replaced captured: a write outside LayerLoom landing after
                # the check above, in the instant before the move, was written over unsaid
                # (but for the last try) one that replaced another file than the one read is
                # swapped straight back, the save starting again from it: the save's file was
                # there for an instant, and what a program wrote on it then is kept
                try:
                    replaced = _write_atomic(folder / "graph.json", data,
                                             expect=None if last else read)
                except _PutBack as back:
                    landed = None
                    for version in back.landed:
                        landed = self._keep_caught(pid, folder, version)
                    raise _ChangedMeanwhile(landed, back.replaced) from None
                caught = None
                if replaced is not None and _digest(replaced) != read:
                    caught = self._keep_caught(pid, folder, replaced)
                if weights is not None:
                    self._use_weights(folder, weights)
                # meta.json (the count) written aside before the line is logged, and moved in
                # after it: nothing after the line needs room on the disk
                staged = _staged(folder / "meta.json",
                                 json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
                _append_line(folder / savelog.LOG_NAME, json.dumps(line, ensure_ascii=False))
                os.replace(staged, folder / "meta.json")
                staged = None
                if held is not None and set_aside is not None and caught is None:
                    caught = self._written_late(pid, folder, held, replaced)
            except BaseException:
                if staged is not None:
                    staged.unlink(missing_ok=True)
                if replaced is not _NOT_MOVED:
                    _move_back(folder / "graph.json", held, replaced, data)
                    if weights is not None and was is not None:
                        try:
                            self._use_weights(folder, was)
                        except (OSError, SaveRefused):
                            pass
                raise
            finally:
                if held is not None:
                    held.unlink(missing_ok=True)
        return Saved(version, kept, merged, over, contested, outside=outside,
                     set_aside=set_aside, caught=caught)

    def _put_back_replaced(self, pid: str, put_back: bytes) -> Snapshot | SetAside | None:
        """The hand edit a save's move replaced and put back (``put_back``), kept where the
        file is no longer it a moment later: a program that read the save's own file in the
        instant it was there may have written its change over the one put back (read before
        the put-back, written after it: no move of the save's sees it); None where the file
        still is the one put back (an editor's save, the usual case: no snapshot)."""
        if _stamp(self._dir(pid) / "graph.json") in (_digest(put_back), None):
            return None
        try:
            return self._keep_caught(pid, self._dir(pid), put_back)
        except OSError:  # no room for it: the save goes on, as before this check
            return None

    def _written_late(self, pid: str, folder: Path, held: Path, replaced: bytes | None
                      ) -> Snapshot | SetAside | None:
        """The design file that did not read and was set aside and replaced (a save's last
        try), as written since by whoever had it open (an editor or a script writing it
        slowly in place: emptied, then written, into the file no longer graph.json), kept as
        :meth:`_keep_caught` keeps it; None where nothing was written there after a moment."""
        time.sleep(LATE_WAIT)
        late = _bytes_of(held)
        if late is None or late == replaced:
            return None
        try:
            return self._keep_caught(pid, folder, late)
        except OSError:  # the save itself is done: the late text could not be kept
            return None

    def _keep_caught(self, pid: str, folder: Path, data: bytes) -> Snapshot | SetAside:
        """The design file as written outside LayerLoom in the instant a save's last try
        moved its own in (an editor writing it over and over), kept: as a snapshot, or under
        ``unreadable/`` where it does not read as a design."""
        try:
            graph = loads_graph(decode_graph_bytes(data, "graph.json"), filename="graph.json")
        except GraphError as exc:
            kept = folder / UNREADABLE_DIR / (time.strftime("graph-%Y%m%d-%H%M%S-")
                                              + secrets.token_hex(2) + ".json")
            kept.parent.mkdir(exist_ok=True)
            _write_atomic(kept, data)
            return SetAside(str(kept), str(exc))
        return self.snapshot(pid, "changed outside the app as it was saved, kept at "
                             + time.strftime("%H:%M:%S"), graph)

    @staticmethod
    def _set_aside(folder: Path, why: GraphError) -> SetAside:
        """Keep the design file as it is on disk (one that does not read) under
        ``unreadable/``, before a save writes over it."""
        source = folder / "graph.json"
        kept = folder / UNREADABLE_DIR / (time.strftime("graph-%Y%m%d-%H%M%S-")
                                          + secrets.token_hex(2) + ".json")
        kept.parent.mkdir(exist_ok=True)
        _write_atomic(kept, source.read_bytes())
        return SetAside(str(kept), str(why))

    def _merged(self, folder: Path, based_on: int, previous: Graph, graph: Graph,
                theirs: Graph, theirs_win: bool = False
                ) -> tuple[Graph | None, tuple[str, ...], str]:
        """``previous`` → ``graph`` laid over ``theirs``, what both changed (this edit's value
        taken there) and ""; or ``(None, (), why not)``: unless ``previous`` is the design saved
        as version ``based_on`` (by its digest in the log), the edits join (a node this edit
        changed was not removed there…) and the result has no problem that neither design
        has. ``theirs`` is the saves logged since, their renames told by the log, and what was
        changed outside LayerLoom, which the log tells nothing of: a block renamed there is
        followed only where it is plainly renamed (in its place, its wires held), never taken
        from a block deleted and another of its type put on its wire (a tab's edit of the one
        deleted was laid on the new one, the value written by hand replaced)."""
        base = previous.to_dict()
        lines = savelog.read_log(folder / savelog.LOG_NAME)
        logged = {line.get("version"): line.get("digest") for line in lines}
        if logged.get(based_on) != savelog.digest(base):
            return None, (), "the design it was made on is not the one saved then"
        renames = savelog.renames_after(lines, based_on)
        laid = merge_or_why(base, graph.to_dict(), theirs.to_dict(), theirs_win=theirs_win,
                            renames=renames)
        if isinstance(laid, str):
            return None, (), laid
        joined, contested = laid
        try:
            result = parse_graph(joined)
        except GraphError as exc:
            return None, (), f"together they are no valid design ({exc})"

        def errors(design: Graph) -> set[str]:
            return {str(issue) for issue in validate(design).errors}

        new = sorted(errors(result) - errors(graph) - errors(theirs))
        if new:
            return None, (), f"together they would give this error: {new[0]}"
        return result, tuple(contested), ""

    def save_log(self, pid: str) -> list[dict]:
        """The project's save log, oldest first (see :mod:`~.savelog`)."""
        return savelog.read_log(self._existing(pid) / savelog.LOG_NAME)

    def save_view(self, pid: str, view: dict) -> None:
        """Write only the view (opened block, selection): the design on disk is left alone."""
        folder = self._existing(pid)
        with _saving(folder):
            meta = self._meta(pid)
            meta["view"] = view
            self._write_json(folder / "meta.json", meta)

    def list(self) -> list[ProjectInfo]:
        """Every project, the most recently changed first."""
        out = []
        if self.projects.is_dir():
            for folder in self.projects.iterdir():
                if self.exists(folder.name):
                    meta = self._meta(folder.name)
                    out.append(ProjectInfo(folder.name, str(meta.get("name") or folder.name),
                                           float(meta.get("updated") or 0)))
        return sorted(out, key=lambda p: -p.updated)

    # -- snapshots -----------------------------------------------------------------------------

    def _kept_unapplied(self, pid: str, graph: Graph) -> Snapshot | None:
        """``graph``, an edit that does not join what was saved, kept as a snapshot of its
        own; None where even that cannot be written (the save's refusal still says why)."""
        try:
            return self.snapshot(pid, "this tab's edit, not applied, kept at "
                                 + time.strftime("%H:%M:%S"), graph)
        except OSError:
            return None

    def snapshot(self, pid: str, name: str, graph: Graph) -> Snapshot:
        """Keep a named copy of ``graph`` (with the version of the weights in use, when the
        design carries any: :meth:`snapshot_weights`); restore it with :meth:`load_snapshot`."""
        now = time.time()
        folder = self._existing(pid) / "snapshots"
        folder.mkdir(exist_ok=True)
        name = name.strip() or time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        data = {"name": name, "created": now, "graph": graph.to_dict()}
        try:
            weights = self.weights_version(pid)
        except OSError:  # the snapshot still keeps the design
            weights = ""
        if weights:
            data["weights"] = weights
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        # a new file under an id not taken: two snapshots kept in one second (two tabs' edits
        # that did not join, two servers) drew the same four hex digits now and then, and the
        # second replaced the first, an edit kept 'as a snapshot' gone
        for _ in range(64):
            sid = f"{stamp}-{secrets.token_hex(2)}"
            if _write_new(folder / f"{sid}.json", text):
                return Snapshot(sid, name, now)
        raise OSError(f"no free snapshot id in {folder} for {stamp}")

    def snapshot_weights(self, pid: str, sid: str) -> str | None:
        """The weights version snapshot ``sid`` was taken with, when it is still kept (what
        restoring it switches to with its design); None: none recorded, or no longer kept."""
        if not SNAPSHOT_ID.match(sid or ""):
            return None
        try:
            data = json.loads((self._existing(pid) / "snapshots" / f"{sid}.json")
                              .read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        digest = data.get("weights") if isinstance(data, dict) else None
        if not isinstance(digest, str) or not WEIGHTS_DIGEST.match(digest):
            return None
        kept = self._dir(pid) / WEIGHTS_DIR / f"{digest}.safetensors"
        return digest if kept.is_file() else None

    def snapshots(self, pid: str) -> list[Snapshot]:
        """The project's snapshots, the newest first; none where the project's folder is gone
        (moved or deleted outside LayerLoom while a tab shows it: its bar is still drawn)."""
        if pid is None or PROJECT_ID.match(pid) is None:
            raise ProjectError(f"there is no project {pid!r}")
        folder = self._dir(pid) / "snapshots"
        out = []
        for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a broken snapshot is skipped, never fatal
            out.append(Snapshot(path.stem, str(data.get("name", path.stem)),
                                float(data.get("created") or 0)))
        return out

    def load_snapshot(self, pid: str, sid: str) -> Graph:
        if not SNAPSHOT_ID.match(sid or ""):
            raise ProjectError(f"no snapshot {sid!r}")
        path = self._existing(pid) / "snapshots" / f"{sid}.json"
        if not path.is_file():
            raise ProjectError(f"no snapshot {sid!r} in project {pid!r}")
        data = json.loads(path.read_text(encoding="utf-8"))
        return load_graph(data["graph"])

    # -- settings ------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        try:
            data = json.loads((self.home / "settings.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def browser_project(self, browser: str | None) -> str | None:
        """The project that browser ``browser`` had open last (None: none yet)."""
        browsers = self.settings().get("browsers")
        pid = browsers.get(browser) if isinstance(browsers, dict) and browser else None
        return pid if isinstance(pid, str) else None

    def remember_browser(self, browser: str, pid: str) -> None:
        """Remember ``pid`` as browser ``browser``'s last project (the newest 500 kept)."""
        with _saving(self.home):  # two servers on one home: neither drops the other's browsers
            settings = self.settings()
            browsers = settings.get("browsers")
            browsers = dict(browsers) if isinstance(browsers, dict) else {}
            browsers.pop(browser, None)
            browsers[browser] = pid
            settings["browsers"] = dict(list(browsers.items())[-MAX_BROWSERS:])
            self._write_json(self.home / "settings.json", settings)

    def update_settings(self, **values: Any) -> None:
        with _saving(self.home):
            settings = self.settings()
            settings.update(values)
            self._write_json(self.home / "settings.json", settings)

    # -- the data chosen for the design ------------------------------------------------------

    def data_choice(self, pid: str) -> dict | None:
        """The dataset chosen for project ``pid`` on the Data page (as written by
        :meth:`set_data_choice`), or None when none was chosen (or the file is unreadable)."""
        try:
            data = json.loads((self._existing(pid) / DATA_CHOICE).read_text(encoding="utf-8"))
        except (OSError, ValueError, ProjectError):
            return None
        return data if isinstance(data, dict) else None

    def set_data_choice(self, pid: str, choice: dict | None) -> None:
        """Keep (None: forget) the dataset chosen for project ``pid``; the design is left
        alone (this is no edit of it)."""
        path = self._existing(pid) / DATA_CHOICE
        if choice is None:
            path.unlink(missing_ok=True)
        else:
            self._write_json(path, choice)

    # -- weights a design carries (an imported model's) --------------------------------------

    def weights_file(self, pid: str) -> Path | None:
        """The project's ``weights.safetensors``, or None when it carries none."""
        path = self._dir(pid) / "weights.safetensors"
        return path if path.is_file() else None

    def set_weights(self, pid: str, data: bytes | None) -> None:
        """Store (or, with None, forget) the weights the design carries; stored weights are
        also kept as a version (:meth:`keep_weights`)."""
        path = self._existing(pid) / "weights.safetensors"
        if data is None:
            path.unlink(missing_ok=True)
            return
        digest = self.keep_weights(pid, data)
        with _saving(path.parent):
            self._use_weights(path.parent, digest)

    def keep_weights(self, pid: str, data: bytes) -> str:
        """Keep ``data`` (safetensors bytes) as a version of the project's weights, without
        making it the one in use; its digest (what :meth:`save`'s ``weights`` takes). Only the
        newest :data:`WEIGHTS_KEPT` versions besides the one in use are kept."""
        digest = hashlib.sha256(data).hexdigest()[:32]
        folder = self._existing(pid) / WEIGHTS_DIR
        path = folder / f"{digest}.safetensors"
        if not path.is_file():
            folder.mkdir(exist_ok=True)
            _write_atomic(path, data)
        now = time.time_ns()
        os.utime(path, ns=(now, now))  # the newest (again): pruned last
        self._prune_weights(pid)
        return digest

    def weights_version(self, pid: str) -> str:
        """The digest of the weights the design carries now ("" for none), kept as a version
        (a hard link, or a copy, of the file in use) so that a later save can switch back."""
        live = self.weights_file(pid)
        if live is None:
            return ""
        folder = self._dir(pid) / WEIGHTS_DIR
        folder.mkdir(exist_ok=True)
        for path in folder.glob("*.safetensors"):  # the file in use is a version's hard link
            try:
                if WEIGHTS_DIGEST.match(path.stem) and os.path.samefile(path, live):
                    return path.stem
            except OSError:
                continue
        held = folder / f".held-{secrets.token_hex(6)}"  # the file in use now, even if it is
        _link_atomic(live, held)                         # replaced while it is read
        try:
            sha = hashlib.sha256()
            with open(held, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    sha.update(chunk)
            digest = sha.hexdigest()[:32]
            path = folder / f"{digest}.safetensors"
            if not path.is_file():
                os.replace(held, path)
        finally:
            held.unlink(missing_ok=True)
        return digest

    @staticmethod
    def _weights_at(folder: Path, version: int, now: str) -> str | None:
        """The weights version in use when the design was at save ``version``, when a save
        since switched them (a replaced head, its undo) and it is still kept; else None."""
        for line in savelog.read_log(folder / savelog.LOG_NAME):
            after = line.get("version")
            if isinstance(after, int) and after > version and "weights_was" in line:
                then = line["weights_was"]
                if not isinstance(then, str) or then == now:
                    return None
                if then and not (folder / WEIGHTS_DIR / f"{then}.safetensors").is_file():
                    return None
                return then
        return None

    def _use_weights(self, folder: Path, digest: str) -> None:
        """Make version ``digest`` (checked by :meth:`_weights_path`) the weights in use; ""
        means none."""
        live = folder / "weights.safetensors"
        if digest == "":
            live.unlink(missing_ok=True)
            return
        _link_atomic(self._weights_path(folder, digest), live)

    @staticmethod
    def _weights_path(folder: Path, digest: str) -> Path:
        """Version ``digest``'s file; :class:`SaveRefused` when it is not kept (any more)."""
        path = folder / WEIGHTS_DIR / f"{digest}.safetensors"
        if not WEIGHTS_DIGEST.match(digest or "") or not path.is_file():
            raise SaveRefused(f"the weights that design carries ({str(digest)[:12]}) are no "
                              f"longer kept with project {folder.name}")
        return path

    def _prune_weights(self, pid: str) -> None:
        """Forget all but the newest :data:`WEIGHTS_KEPT` versions besides the one in use and
        those a snapshot was taken with (an undo that would need a forgotten one is refused in
        words, the design left as it is)."""
        folder = self._dir(pid) / WEIGHTS_DIR
        with _saving(folder.parent):
            live = self.weights_file(pid)
            snapped = {self.snapshot_weights(pid, snap.id) for snap in self.snapshots(pid)}
            versions = []
            for path in folder.glob("*.safetensors"):
                try:
                    stat = path.stat()
                    if path.stem in snapped or (live is not None and
                                                os.path.samefile(path, live)):
                        continue
                except OSError:
                    continue
                versions.append((stat.st_mtime_ns, path.name, path))
            for *_, path in sorted(versions, reverse=True)[WEIGHTS_KEPT:]:
                path.unlink(missing_ok=True)

    # -- helpers -------------------------------------------------------------------------------

    def _dir(self, pid: str) -> Path:
        if not isinstance(pid, str) or not PROJECT_ID.match(pid):
            raise ProjectError(f"{pid!r} is not a project id")
        return self.projects / pid

    def _existing(self, pid: str) -> Path:
        if not self.exists(pid):
            raise ProjectError(f"there is no project {pid!r}")
        return self._dir(pid)

    def _meta(self, pid: str) -> dict:
        try:
            data = json.loads((self._dir(pid) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _write_json(path: Path, data: Any) -> None:
        _write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


_save_lock = threading.Lock()


@contextmanager
def _saving(folder: Path):
    """One save of a project (or of the home's settings) at a time: threads of this server (a
    lock), and other processes on the same home where the platform has ``fcntl`` (an advisory
    lock on ``.lock``)."""
    with _save_lock:
        if fcntl is None:
            yield
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(folder / ".lock", "a")
        except OSError:
            # a folder that cannot be written (read-only, or on a read-only mount) is still
            # read, locked where its lock file is there to read (a lock needs no write access);
            # a save then fails at its first write, said in words
            try:
                handle = open(folder / ".lock")
            except OSError:
                yield
                return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_lock_folder(folder: Path) -> None:
    """Remove ``folder`` where it holds the lock file alone (made by :func:`_saving` for a
    project that is gone); the lock itself is still held, and goes with its file."""
    try:
        if [p.name for p in folder.iterdir()] == [".lock"]:
            (folder / ".lock").unlink()
            folder.rmdir()
    except OSError:
        pass


def _outside_only(folder: Path, version: int) -> bool:
    """Whether the saves logged after ``version`` are all changes of the design file made
    outside LayerLoom (none another tab's)."""
    after = [line for line in savelog.read_log(folder / savelog.LOG_NAME)
             if isinstance(line.get("version"), int) and line["version"] > version]
    return bool(after) and all(savelog.is_outside(line) for line in after)


def _stamp(path: Path) -> str | None:
    """A digest of the file's bytes as they are (None: no file): a save writes it down, so that
    a change of the file made outside LayerLoom is seen without parsing it. By content, not by
    modification time: a program writing the file within the same tick of the clock as a save,
    at the same size, would go unseen (reading a 20,000-node design's 4.6 MB takes 5 ms)."""
    try:
        return _digest(path.read_bytes())
    except OSError:
        return None


def _digest(data: bytes) -> str:
    """:func:`_stamp` of a file of bytes ``data``."""
    return hashlib.sha256(data).hexdigest()[:32]


def _edits(meta: dict) -> int:
    value = meta.get("edits", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _append_line(path: Path, line: str) -> None:
    """Append one line and flush it to disk (the log is append-only). A line the disk did not
    take (or took part of) is taken out again, so that the log holds no save that failed and
    the next line is whole (a torn line, the next written onto it, read as none)."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:  # unbuffered: nothing is left to be written after a failure
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass
            raise
    finally:
        os.close(fd)


def _staged(path: Path, text: str | bytes) -> Path:
    """``text`` written to a new temporary file beside ``path``, to be moved there (or
    removed) by the caller."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else
              os.fdopen(fd, "w", encoding="utf-8")) as f:
            f.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _write_atomic(path: Path, text: str | bytes, expect: str | None = None) -> bytes | None:
    """Write ``text`` to a temporary file beside ``path`` and move it into place in one step;
    returns the bytes it replaced (None: no file was there, or none that reads). Captured
    exactly, whatever wrote the file up to the move (an editor writing it in place, or writing
    a new file and renaming it over): the two files are exchanged in one step where the system
    can (Linux's renameat2), else the file there is hard-linked aside before the move (again
    where a rename landed after the link: one landing between that check and the move goes
    unseen), else, on a file system without hard links, read just before the move (a write
    landing after the read goes unseen).
    A symbolic link is written where it points, the link kept (a design file the user linked
    to one of their own, in a repository of theirs, was replaced by a file of its own: their
    file got no more edits, and their edits there were seen by no tab).

    ``expect``: the digest (:func:`_digest`) of the file the caller means to replace. Where the
    move replaced another (written outside LayerLoom in the instant before it), that file is
    put straight back and :class:`_PutBack` raised, naming what was written on ``text``'s file
    in the instant it was there (a program that read it and wrote its change on top): with
    the exchange, swapped back in one more step, nothing written anew (``text`` visible for as
    little as can be); else moved back as :func:`_put_back` does."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staged(path, text)
    held = None
    try:
        if _exchange(tmp, path):
            replaced = _bytes_of(tmp)  # what was at path, moved here in the same step
            if expect is None or replaced is None or _digest(replaced) == expect:
                return replaced
            ours = text.encode("utf-8") if isinstance(text, str) else text
            if not _exchange(tmp, path):  # gone meanwhile: the file written there is put back
                raise _PutBack(_put_back(path, replaced, ours), replaced)
            landed = _bytes_of(tmp)  # the save's file as it was when swapped back out
            if landed is not None and landed != ours:
                time.sleep(LATE_WAIT)  # written in place: for its writer to finish, if any
                landed = _bytes_of(tmp)
            raise _PutBack([landed] if landed is not None and landed != ours else [], replaced)
        held = path.parent / f".{path.name}.{secrets.token_hex(6)}.replaced"
        replaced = None
        for _ in range(8):  # linked again where a rename landed meanwhile (another file there)
            try:
                held.unlink(missing_ok=True)
                os.link(path, held)
            except OSError as exc:  # none there; or no hard links here: the file as it is now
                held.unlink(missing_ok=True)
                held = None
                replaced = None if isinstance(exc, FileNotFoundError) else _bytes_of(path)
                break
            if _same_file(held, path):
                break
        os.replace(tmp, path)
        replaced = _bytes_of(held) if held is not None else replaced
        if expect is not None and replaced is not None and _digest(replaced) != expect:
            ours = text.encode("utf-8") if isinstance(text, str) else text
            raise _PutBack(_put_back(path, replaced, ours), replaced)
        return replaced
    finally:
        tmp.unlink(missing_ok=True)
        if held is not None:
            held.unlink(missing_ok=True)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _bytes_of(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # not there, a link to nothing, unreadable
        return None


_NOT_MOVED = object()  # a save's design file not moved in (yet): nothing to move back


def _hold(path: Path) -> Path | None:
    """A hard link to the file at ``path`` beside it (None: no file, or no hard links here),
    which keeps that file whatever is moved over ``path``; the caller removes it."""
    held = path.parent / f".{path.name}.{secrets.token_hex(6)}.held"
    try:
        os.link(path, held)
    except OSError:
        return None
    return held


def _move_back(path: Path, held: Path | None, replaced: bytes | None, ours: bytes) -> None:
    """Undo a save's move of ``ours`` to ``path`` (it failed after it: a full disk), putting
    back ``replaced``, the file it replaced: ``held``'s, a hard link to it, where it holds
    those bytes (no room needed), else written anew. Best effort: a file written there by
    another program since is left as it is."""
    if replaced is None:  # there was none (a project being made: removed by its caller)
        return
    try:
        if held is not None and _bytes_of(held) == replaced:
            if _exchange(held, path):
                back = _bytes_of(held)
                if back is not None and back != ours:  # written there since: that stays
                    _exchange(held, path)
            elif _bytes_of(path) == ours:
                os.replace(held, path)
        elif _bytes_of(path) == ours:
            _write_atomic(path, replaced)
    except OSError:
        pass  # the caller's error says the save failed; the file may hold the edit


def _put_back(path: Path, replaced: bytes, ours: bytes) -> list[bytes]:
    """Put back ``replaced``, the file as written outside LayerLoom that a save's move
    (:func:`_write_atomic`) replaced, where the save's own ``ours`` is now. Where yet another
    write landed meanwhile, the newest of them is put back instead: a program that read the
    file in that instant, the save's own design there, and wrote its change onto it, is taken
    as the newer. Returns the versions put back and then replaced, for the caller to keep (a
    version dropped unkept was a hand edit lost)."""
    placed = {_digest(ours)}
    seen = [replaced]
    for _ in range(4):
        back = _write_atomic(path, replaced)
        if back is None or _digest(back) in placed:
            break
        placed.add(_digest(replaced))
        replaced = back  # written there after the first: the newer
        seen.append(replaced)
    else:  # written again and again: the last taken off the file is kept too
        return [version for version in seen if version != ours]
    return [version for version in seen if version != replaced and version != ours]


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100
_renameat2: Any = False  # looked up on first use; None where the system has none


def _exchange(source: Path, path: Path) -> bool:
    """Swap the files at ``source`` and ``path`` in one step; False where the system or the
    file system cannot (or ``path`` is not there), nothing changed."""
    global _renameat2
    if _renameat2 is False:
        try:
            import ctypes
            _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
        except (OSError, AttributeError, ImportError, TypeError):  # not Linux (TypeError: Windows)
            _renameat2 = None
    if _renameat2 is None:
        return False
    return _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(path),
                      _RENAME_EXCHANGE) == 0


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` as the new file ``path`` in one step; False, nothing written, when a file
    of that name is there already (made by another thread or server at the same moment)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            os.link(tmp, path)  # never replaces a file, unlike os.replace
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: checked, then moved
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _link_atomic(source: Path, path: Path) -> None:
    """Put ``source``'s content at ``path`` in one step: a hard link (no copy of a large
    file), or a copy where the file system has none."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_upload(name: str, data: bytes) -> Graph:
    """The graph in an uploaded file; :class:`GraphError` names what is wrong with it."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise GraphError(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB", file=name)
    text = decode_graph_bytes(data, name)
    graph = loads_graph(text, filename=name)
    twice = _ids_used_twice(graph)
    if twice:
        block, node_id, count = twice
        lines = node_lines(text).get((block, node_id), []) if "\n" in text.strip() else []
        where = (f" (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})"
                 if len(set(lines)) > 1 else "")  # a file of one line: no line tells
        raise GraphError(f"node id '{node_id}' is used by {count} nodes"
                         f"{f' in block {block!r}' if block else ''}{where}: the canvas shows "
                         f"one block per id, so the others could not be seen or fixed here; "
                         f"give each node its own id and open the file again", file=name)
    return graph


def _ids_used_twice(graph: Graph) -> tuple[str | None, str, int] | None:
    """``(block, node id, count)`` for the first id shared by several nodes of the graph
    (block None) or of one of its composite blocks, or None."""
    levels = [(None, graph.nodes)] + [(name, block.nodes) for name, block in graph.blocks.items()]
    for block, nodes in levels:
        counts = Counter(n.id for n in nodes)  # one pass: a file of 20,000 nodes is counted at once
        for node_id, count in counts.items():
            if count > 1:
                return block, node_id, count
    return None
