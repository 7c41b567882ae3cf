"""The runs database: every run, its settings, status, metrics history and results, in SQLite.

One file (``runs.db``) under the LayerLoom home: ``$LAYERLOOM_HOME``, else ``~/.layerloom``.
Checkpoints and logs sit beside it in ``runs/<id>/``. WAL mode lets the app read while a
run's process writes; each process opens its own :class:`RunStore`.

Metric rows: ``split`` says which curve a value belongs to:
- ``"step"``: training batches, every ``log_every`` steps (loss, accuracy|mae, lr, samples_per_s);
- ``"train"`` / ``"val"``: per epoch (loss, accuracy|mae; ``"train"`` also lr and time);
- ``"test"``: the final evaluation's headline numbers.

>>> import tempfile
>>> store = RunStore(Path(tempfile.mkdtemp()) / "runs.db")
>>> run_id = store.create_run("demo", {"nodes": []}, {"source": "iris"}, {"lr": 0.1})
>>> store.add_metrics([(run_id, 10, 0, "step", "loss", 0.5, 0.0)])
>>> store.get(run_id).status, [m.value for m in store.metrics(run_id, name="loss")]
('queued', [0.5])

A database that cannot be used (damaged, not a database, read-only when a run is to be
recorded) raises :class:`StoreError`, naming the file and saying what to do. A database the
process may not write is opened read-only: its runs can still be listed and shown.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import RunNotFound, TrainError
from .events import Event
from .liveness import died_reason, run_dead

STATUSES = ("queued", "running", "paused", "stopped", "completed", "failed")
ACTIVE = ("queued", "running")
SCHEMA_VERSION = 5  # 2: sweeps.reason, sweeps.pid; 3: sweeps.control; 4: runs.project;
# 5: runs.target_scale
# (added to older databases on open)
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    graph TEXT NOT NULL,            -- the graph's JSON, as trained
    dataset TEXT NOT NULL,          -- {"source": name or path, "seed": …, "options": {…}}
    config TEXT NOT NULL,           -- TrainConfig.to_dict()
    variables TEXT NOT NULL DEFAULT '{}',
    sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    reason TEXT,                    -- why it ended, failed or paused, in words
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    best_metric REAL,
    best_metric_name TEXT,
    best_epoch INTEGER,
    final_metrics TEXT,             -- the test evaluation's headline numbers
    progress TEXT,                  -- {"epoch", "epochs", "step", "total_steps", "eta", …}
    checkpoint TEXT,
    pid INTEGER,
    heartbeat REAL,
    control TEXT,                   -- a pending request to the run's process: stop | pause
    project TEXT,                   -- the designer project that started it, if any
    -- a regression target learned standardised (runtime/target_scale.py): {"target", "mean",
    -- "std", "head"}, the scale of its loss; null: the loss is in the target's units
    target_scale TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    split TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, split, name, step);
CREATE TABLE IF NOT EXISTS evaluations (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split TEXT NOT NULL,
    created REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, split)
);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,             -- params, sampler, trials, objective
    created REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',  -- queued | running | completed | stopped | failed
    reason TEXT,                    -- why it failed or stopped, in words
    pid INTEGER,                    -- its own process (runtime.start_sweep), while it runs
    control TEXT                    -- a pending request to the sweep's process: stop
);
"""
# columns added after version 1, for databases created before them: (table, column, type)
ADDED_COLUMNS = (("sweeps", "reason", "TEXT"), ("sweeps", "pid", "INTEGER"),
                 ("sweeps", "control", "TEXT"), ("runs", "project", "TEXT"),
                 ("runs", "target_scale", "TEXT"))
# indexes on added columns: made after _add_columns, so an older database gets them too
ADDED_INDEXES = "CREATE INDEX IF NOT EXISTS runs_by_project ON runs (project, id);"


def home() -> Path:
    """LayerLoom's data folder: ``$LAYERLOOM_HOME``, else ``~/.layerloom``. A ``~`` in the
    variable (set in quotes, or in a file of settings, where no shell expands it) is the user's
    home, as the designer reads it, never a folder called ``~``."""
    return Path(os.environ.get("LAYERLOOM_HOME") or Path.home() / ".layerloom").expanduser()


def default_db() -> Path:
    return home() / "runs.db"


@dataclass
class Run:
    """One row of the runs table, JSON columns parsed."""

    id: int
    name: str
    graph: dict
    dataset: dict
    config: dict
    variables: dict
    sweep_id: int | None
    status: str
    reason: str | None
    created: float
    started: float | None
    ended: float | None
    best_metric: float | None
    best_metric_name: str | None
    best_epoch: int | None
    final_metrics: dict | None
    progress: dict | None
    checkpoint: str | None
    pid: int | None
    heartbeat: float | None
    control: str | None
    project: str | None = None
    # {"target", "mean", "std", "head"} where the run learns its regression target
    # standardised, so that its loss is on that scale; None: in the target's units (and for
    # runs recorded before targets were standardised)
    target_scale: dict | None = None

    @property
    def phase(self) -> str | None:
        """While an active run is starting: ``process``, ``data``, ``model`` or ``first batch``
        (what it is doing before its first point); None once it trains, or when not active."""
        if self.status not in ("queued", "running"):
            return None
        return (self.progress or {}).get("phase")

    @property
    def resumable(self) -> bool:
        return self.status in ("paused", "stopped", "failed") and bool(self.checkpoint) \
            and Path(self.checkpoint).exists()

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Metric:
    step: int
    epoch: int
    split: str
    name: str
    value: float | None
    time: float
    rowid: int = 0


JSON_COLUMNS = ("graph", "dataset", "config", "variables", "final_metrics", "progress",
                "target_scale")


class StoreError(TrainError):
    """The runs database cannot be used: damaged, not a database, or read-only where a run is
    to be recorded. The message names the file and says what to do. ``path`` is the file;
    ``unreadable``: it cannot be opened at all (the CLI exits 2, as for any such file)."""

    def __init__(self, message: str, path: Path | None = None, *, unreadable: bool = False):
        self.path = path
        self.unreadable = unreadable
        super().__init__(message)


# SQLite's file layer opens no path longer than this (SQLITE_MAX_PATHNAME, in bytes): a home
# deeper than that failed with "unable to open database file" and advice to move a database
# aside that was never there.
SQLITE_MAX_PATH = 512


def _disk_full(path: Path) -> bool:
    """Whether the disk that holds ``path`` has no room left."""
    try:
        return shutil.disk_usage(path.parent).free == 0
    except OSError:
        return False


def _store_error(path: Path, exc: sqlite3.Error, read_only: bool = False) -> StoreError:
    """``exc`` in words: which file, what is wrong with it, what to do."""
    text = str(exc)
    lowered = text.lower()
    if "unable to open" in lowered and len(os.fsencode(path)) > SQLITE_MAX_PATH:
        return StoreError(f"the runs database {path} cannot be opened: its path is "
                          f"{len(os.fsencode(path)):,} bytes long, and SQLite opens files by "
                          f"paths of at most {SQLITE_MAX_PATH} bytes; set LAYERLOOM_HOME (or "
                          f"--home) to a folder with a shorter path", path, unreadable=True)
    if "disk is full" in lowered or "no space" in lowered or _disk_full(path):
        # SQLITE_FULL, or an I/O error (opening a WAL database writes its index) on a disk
        # with no room: the file is sound, its disk is not; moving it aside would hide every
        # run it holds and free nothing
        return StoreError(f"the disk that holds the runs database {path} is full ({text}): "
                          f"nothing more can be recorded there; free some space on it, or set "
                          f"LAYERLOOM_HOME (or --home) to a folder on another disk", path)
    if "readonly" in lowered or "read-only" in lowered or read_only and (
            "unable to open" in lowered or "locking" in lowered):
        message = (f"the runs database {path} is read-only ({text}): runs can be listed and "
                   f"shown but not recorded; make the file and its folder writable, or set "
                   f"LAYERLOOM_HOME (or --home) to another folder")
    elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        message = (f"the runs database {path} is damaged or is not a LayerLoom database "
                   f"({text}); move it aside (for example rename it to {path.name}.broken) "
                   f"and LayerLoom starts a new one there, or set LAYERLOOM_HOME (or --home) to "
                   f"another folder")
    elif "locked" in lowered or "busy" in lowered:
        message = (f"the runs database {path} is locked by another process ({text}); try again "
                   f"when it has finished")
    else:
        message = (f"the runs database {path} cannot be used ({text}); if it keeps failing, "
                   f"move it aside (for example rename it to {path.name}.broken)")
    return StoreError(message, path)


class _Guarded:
    """A sqlite3 connection or cursor whose errors become :class:`StoreError` (IntegrityError,
    a program's own mistake, passes unchanged); cursors it returns are guarded too."""

    def __init__(self, target, path: Path, read_only: bool):
        self._target, self._path, self._read_only = target, path, read_only

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                out = attr(*args, **kwargs)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise _store_error(self._path, exc, self._read_only) from None
            if isinstance(out, sqlite3.Cursor):
                return _Guarded(out, self._path, self._read_only)
            return out
        return call

    def __iter__(self):
        return iter(self.fetchall())


class RunStore:
    """The database, opened by one process (thread-safe within it).

    ``read_only``: None (default) opens it for writing, or read-only when the process may not
    write it; True always read-only (listing, showing). :class:`StoreError` when it is not a
    usable database."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool | None = None):
        # absolute: the checkpoints and logs recorded under it are found from any folder (a
        # relative home, LAYERLOOM_HOME=.ll or --home .ll, recorded them relative to the folder
        # the run was started in, and from any other they were "gone")
        self.path = Path(os.path.abspath(Path(path) if path else default_db()))
        self._lock = threading.RLock()
        if read_only is None:
            read_only = self.path.exists() and not _writable(self.path)
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot make the folder {self.path.parent} for the runs "
                                 f"database ({exc.strerror}); set LAYERLOOM_HOME (or --home) "
                                 f"to a folder you can write", self.path) from None
        try:
            self._open(read_only)
        except StoreError as exc:
            if read_only or not ("read-only" in str(exc) or _disk_full(self.path)):
                raise
            self._open(True)  # not writable after all (an immutable file, a read-only or
            # full disk): its runs are still listed and shown
        self.read_only = self._read_only

    def _open(self, read_only: bool) -> None:
        self._read_only = read_only
        try:
            if read_only:
                conn = _connect_read_only(self.path)
            else:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                       isolation_level=None)  # autocommit; see _tx
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc, read_only) from None
        conn.row_factory = sqlite3.Row
        self._conn = _Guarded(conn, self.path, read_only)
        try:
            if read_only:
                self._version()  # reads the header: a file that is no database fails here
                return
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent on a crash
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=30000")
            if self._version() < SCHEMA_VERSION:
                with self._lock:  # idempotent (IF NOT EXISTS), so two processes may race here
                    self._conn.executescript(SCHEMA)
                    self._add_columns()
                    self._conn.executescript(ADDED_INDEXES)
                    self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            else:
                self._conn.execute("SELECT count(*) FROM runs").fetchone()  # a damaged table
        except StoreError:
            conn.close()
            raise

    @property
    def root(self) -> Path:
        """The folder holding the database, and the runs' checkpoints in ``runs/<id>/``."""
        return self.path.parent

    def run_dir(self, run_id: int) -> Path:
        path = self.root / "runs" / str(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _add_columns(self) -> None:
        """Give a database made by an older version the columns added since."""
        for table, column, kind in ADDED_COLUMNS:
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column in have:
                continue
            try:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it just now
                if "duplicate column" not in str(exc):
                    raise

    def _version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _tx(self):
        store = self

        class _Tx:
            def __enter__(self):
                store._lock.acquire()
                try:
                    store._conn.execute("BEGIN IMMEDIATE")
                except BaseException:
                    store._lock.release()
                    raise
                return store._conn

            def __exit__(self, kind, exc, tb):
                try:
                    if not kind:
                        store._conn.execute("COMMIT")
                    elif store._conn.in_transaction:  # SQLite rolled back a full disk's itself:
                        store._conn.execute("ROLLBACK")  # a ROLLBACK then hid why it failed
                finally:
                    store._lock.release()

        return _Tx()

    def _query(self, sql: str, args: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    # -- runs -------------------------------------------------------------------------------

    def create_run(self, name: str, graph: dict, dataset: dict, config: dict,
                   variables: dict | None = None, sweep_id: int | None = None,
                   status: str = "queued", project: str | None = None) -> int:
        """A new run's id; ``project`` names the designer project that started it, if any.

        Its folder (``run_dir``) is made with it: where it cannot be (``runs/`` read-only, the
        disk full) the OSError is raised and no run is recorded. The row was kept before, as
        ``running`` for ever, by a ``train`` that then failed to write its checkpoint."""
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO runs (name, graph, dataset, config, variables, sweep_id, status, "
                "created, project) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, json.dumps(graph), json.dumps(dataset), json.dumps(config),
                 json.dumps(variables or {}), sweep_id, status, time.time(), project))
            self.run_dir(int(cur.lastrowid))  # raising here rolls the row back
            return int(cur.lastrowid)

    def get(self, run_id: int) -> Run:
        rows = (self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
                if -2**63 <= run_id < 2**63 else [])  # beyond SQLite's integers: no run either
        if not rows:
            raise RunNotFound(self._no_run(run_id))
        return _run(rows[0])

    def _no_run(self, run_id: int) -> str:
        """``no run 7 in …/runs.db (its runs: 1 to 3)``: the ids there are, so that a mistyped id
        or another database (another $LAYERLOOM_HOME) shows."""
        ids = [row[0] for row in self._query("SELECT id FROM runs ORDER BY id")]
        if not ids:
            held = "it holds no runs yet: is $LAYERLOOM_HOME the folder you trained in?"
        elif len(ids) <= 5:
            held = f"its run{'s' * (len(ids) > 1)}: {', '.join(map(str, ids))}"
        else:
            held = f"its runs: {len(ids)} from {ids[0]} to {ids[-1]}"
        return f"no run {run_id} in {self.path} ({held})"

    def list_runs(self, status: str | None = None, sweep_id: int | None = None,
                  limit: int | None = None, project: str | None = None) -> list[Run]:
        """Runs, newest first; ``project`` keeps those that designer project started."""
        where, args = [], []
        if project is not None:
            where.append("project = ?")
            args.append(project)
        if status:
            where.append("status = ?")
            args.append(status)
        if sweep_id is not None:
            where.append("sweep_id = ?")
            args.append(sweep_id)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_run(r) for r in self._query(sql, args)]

    def update(self, run_id: int, **fields: Any) -> None:
        """Set columns of one run; dict values are stored as JSON."""
        if not fields:
            return
        bad = set(fields) - set(Run.__dataclass_fields__)
        if bad:
            raise ValueError(f"no run column(s) {', '.join(sorted(bad))}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        values = [json.dumps(v) if k in JSON_COLUMNS and v is not None else v
                  for k, v in fields.items()]
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._tx() as c:
            if c.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*values, run_id)).rowcount == 0:
                raise RunNotFound(f"no run {run_id} in {self.path}")

    def set_status(self, run_id: int, status: str, reason: str | None = None,
                   **fields: Any) -> None:
        if status not in ACTIVE:
            fields.setdefault("ended", time.time())
            fields.setdefault("control", None)
        self.update(run_id, status=status, reason=reason, **fields)

    def delete(self, run_id: int) -> None:
        """Forget a run and its metrics (its checkpoint files are left for the caller)."""
        with self._tx() as c:
            c.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    # -- control: requests from the app to a run's process ---------------------------------

    def request(self, run_id: int, what: str | None) -> None:
        """Ask the run's process to ``"stop"`` or ``"pause"`` (None clears the request)."""
        if what not in (None, "stop", "pause"):
            raise ValueError(f"a run can be asked to stop or pause, not {what!r}")
        self.update(run_id, control=what)

    def poll(self, run_id: int, heartbeat: bool = False) -> str | None:
        """The pending request for a run; with ``heartbeat``, also mark the run alive now."""
        with self._lock:
            if heartbeat:
                self._conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ?",
                                   (time.time(), run_id))
            row = self._conn.execute("SELECT control FROM runs WHERE id = ?",
                                     (run_id,)).fetchone()
        return row[0] if row else None

    # -- metrics ----------------------------------------------------------------------------

    def add_metrics(self, rows: Iterable[tuple]) -> None:
        """Insert ``(run_id, step, epoch, split, name, value, time)`` rows in one transaction."""
        rows = list(rows)
        if not rows:
            return
        with self._tx() as c:
            c.executemany("INSERT INTO metrics (run_id, step, epoch, split, name, value, time) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def metrics(self, run_id: int, split: str | None = None, name: str | None = None,
                after: int = 0) -> list[Metric]:
        """A run's metric rows in the order written; ``after`` a rowid returns only newer ones
        (for live charts that append)."""
        sql = "SELECT rowid, * FROM metrics WHERE run_id = ? AND rowid > ?"
        args: list = [run_id, after]
        if split:
            sql += " AND split = ?"
            args.append(split)
        if name:
            sql += " AND name = ?"
            args.append(name)
        rows = self._query(sql + " ORDER BY rowid", args)
        return [Metric(r["step"], r["epoch"], r["split"], r["name"], r["value"], r["time"],
                       r["rowid"]) for r in rows]

    def count_metrics(self, run_id: int, upto: int | None = None) -> int:
        """How many metric rows a run has (with ``upto``, rowids up to it): a live chart that
        holds that many knows that none was trimmed by a resume (:meth:`trim_metrics`), whose
        new rows may then reuse the trimmed rows' ids."""
        sql, args = "SELECT COUNT(*) FROM metrics WHERE run_id = ?", [run_id]
        if upto is not None:
            sql += " AND rowid <= ?"
            args.append(upto)
        return int(self._query(sql, args)[0][0])

    def trim_metrics(self, run_id: int, step: int, epoch: int) -> None:
        """Forget what a run logged after a checkpoint at ``step`` (``epoch`` in progress):
        its step points and layer diagnostics past ``step``, the epochs from ``epoch`` on, the
        test evaluation. A resume logs them again, so the curves equal an uninterrupted run's."""
        with self._tx() as c:
            c.execute("DELETE FROM metrics WHERE run_id = ? AND (split = 'test' OR (split IN "
                      "('step', 'layer') AND step > ?) OR (split IN ('train', 'val') AND "
                      "epoch >= ?))",
                      (run_id, step, epoch))
            c.execute("DELETE FROM evaluations WHERE run_id = ?", (run_id,))

    def history(self, run_id: int) -> list[dict]:
        """Per-epoch rows ``{"epoch", "train_loss", "val_loss", …}`` for tables and plots."""
        by_epoch: dict[int, dict] = {}
        for m in self.metrics(run_id):
            if m.split in ("train", "val"):
                row = by_epoch.setdefault(m.epoch, {"epoch": m.epoch + 1})
                row[m.name if m.name in ("lr", "time") else f"{m.split}_{m.name}"] = m.value
        return [by_epoch[e] for e in sorted(by_epoch)]

    # -- evaluations and sweeps -------------------------------------------------------------

    def save_evaluation(self, run_id: int, split: str, data: dict) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?)",
                      (run_id, split, time.time(), json.dumps(data)))

    def evaluation(self, run_id: int, split: str = "test") -> dict | None:
        rows = self._query("SELECT data FROM evaluations WHERE run_id = ? AND split = ?",
                           (run_id, split))
        return json.loads(rows[0]["data"]) if rows else None

    def create_sweep(self, name: str, spec: dict, status: str = "running") -> int:
        with self._tx() as c:
            cur = c.execute("INSERT INTO sweeps (name, spec, created, status) "
                            "VALUES (?, ?, ?, ?)", (name, json.dumps(spec), time.time(), status))
            return int(cur.lastrowid)

    def sweep(self, sweep_id: int) -> dict:
        rows = self._query("SELECT * FROM sweeps WHERE id = ?", (sweep_id,))
        if not rows:
            raise RunNotFound(f"no sweep {sweep_id} in {self.path}")
        row = dict(rows[0])
        row["spec"] = json.loads(row["spec"])
        return row

    def set_sweep_status(self, sweep_id: int, status: str, reason: str | None = None) -> None:
        self.update_sweep(sweep_id, status=status, reason=reason)

    def update_sweep(self, sweep_id: int, **fields: Any) -> None:
        """Set some of a sweep's columns (name, spec, status, reason, pid, control)."""
        unknown = set(fields) - {"name", "spec", "status", "reason", "pid", "control"}
        if unknown:
            raise ValueError(f"no sweep column(s) {', '.join(sorted(unknown))}")
        if "spec" in fields:
            fields["spec"] = json.dumps(fields["spec"])
        with self._tx() as c:
            c.execute(f"UPDATE sweeps SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                      (*fields.values(), sweep_id))

    # -- recovery ---------------------------------------------------------------------------

    def recover(self, stale_after: float = 3600.0) -> list[int]:
        """Mark runs whose process is gone as failed (resumable when they left a checkpoint);
        the ids marked. Call at app start. A run is dead when no LayerLoom process has its pid
        any more (the id may have been reused by another program after a restart), or when its
        heartbeat — written every few seconds while it trains — is older than ``stale_after``
        seconds (a process that hangs). See :func:`run_dead`."""
        marked = []
        if self.read_only:
            return marked  # nothing can be marked; the runs are listed as they were left
        now = time.time()
        for run in self.list_runs():
            if run.status not in ACTIVE or run.pid is None:
                continue
            if not run_dead(run, now, stale_after):
                continue
            resumable = bool(run.checkpoint) and Path(run.checkpoint).exists()
            self.set_status(run.id, "failed", died_reason(run.pid, None, resumable), pid=None)
            marked.append(run.id)
        return marked


def _writable(path: Path) -> bool:
    """Whether this process may write the database (and make its journal files beside it)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """``path`` opened read-only; ``immutable`` (no locks, no journal files) when a read-only
    connection cannot even read it (a WAL database whose folder may not be written)."""
    if not path.is_file():
        raise sqlite3.OperationalError("unable to open database file: no such file")
    uri = f"file:{quote(str(path.resolve()))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, check_same_thread=False,
                           isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False,
                           isolation_level=None)


def _run(row: sqlite3.Row) -> Run:
    data = dict(row)
    for key in JSON_COLUMNS:
        if data.get(key) is not None:
            data[key] = json.loads(data[key])
    return Run(**data)


class StoreSink:
    """Writes a run's events to the database: metric rows batched (one transaction at most
    every ``flush_every`` seconds, and at each epoch), progress and heartbeat with them."""

    def __init__(self, store: RunStore, run_id: int, flush_every: float = 1.0):
        self.store, self.run_id, self.flush_every = store, run_id, flush_every
        self._rows: list[tuple] = []
        self._progress: dict | None = None
        self._last = time.monotonic()
        self._stepped = False  # the first point is written at once: the user waits for it

    def __call__(self, event: Event) -> None:
        now = time.time()
        split = {"step": "step", "epoch": None, "layers": "layer"}.get(event.kind)
        if event.kind == "layers":  # per-layer diagnostics: "<block>/<stat>" (diagnostics.py)
            self._rows += [(self.run_id, event.step, event.epoch, split, k, v, now)
                           for k, v in event.metrics.items()]
            return
        if event.kind == "step" and not event.provisional:
            self._rows += [(self.run_id, event.step, event.epoch, split, k, v, now)
                           for k, v in event.metrics.items()]
        elif event.kind == "epoch":
            for key, value in event.metrics.items():
                part, _, name = key.partition("_")
                if part not in ("train", "val"):
                    part, name = "train", key  # lr, time: per-epoch values of the run
                self._rows.append((self.run_id, event.step, event.epoch, part, name, value, now))
        self._progress = {"epoch": event.epoch, "epochs": event.epochs, "step": event.step,
                          "total_steps": event.total_steps, "elapsed": event.elapsed,
                          "eta": event.eta, "metrics": event.metrics if event.kind in
                          ("step", "epoch") else (self._progress or {}).get("metrics", {})}
        if event.kind == "start":  # the scale of its loss, as this session learns it
            self.store.update(self.run_id, target_scale=event.target_scale)
        first = event.kind in ("step", "epoch") and not self._stepped
        self._stepped = self._stepped or first
        if event.kind == "start" and not self._stepped:  # until the first point: say so
            self._progress["phase"] = "first batch"
        if first or event.kind in ("epoch", "end", "start") \
                or time.monotonic() - self._last >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        self.store.add_metrics(rows)
        if self._progress is not None:
            self.store.update(self.run_id, progress=self._progress, heartbeat=time.time())
        self._last = time.monotonic()


class StoreControl:
    """A run's stop/pause requests, read from the database at most every ``interval`` seconds;
    every ``beat`` seconds the read also writes the heartbeat that tells the app the process
    is alive (a write costs more than a read, and staleness is judged in minutes)."""

    def __init__(self, store: RunStore, run_id: int, interval: float = 0.5, beat: float = 5.0):
        self.store, self.run_id, self.interval, self.beat = store, run_id, interval, beat
        self._next = self._next_beat = 0.0
        self._request: str | None = None

    def poll(self) -> str | None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval
            beat = now >= self._next_beat
            if beat:
                self._next_beat = now + self.beat
            self._request = self.store.poll(self.run_id, heartbeat=beat)
        return self._request
