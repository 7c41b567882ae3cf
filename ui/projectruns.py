"""Which runs a project started, so that a page opened later (another tab, after the browser was
closed) finds the project's run and shows it live again.

The run store records it: the runs table's ``project`` column, set by
``start_run(..., project=...)`` or, for a run recorded after the fact, by :func:`remember`.
Several app servers on the same home share it safely (the database serialises writers).

Earlier versions kept a side index, ``<home>/ui/project-runs.json``; the first time a store is
used here its index (next to the database) is imported into runs that have no project yet,
then the file is left as it is (``project-runs.imported`` beside it marks the import done).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

from layerloom.runtime import RunStore, run_status
from layerloom.runtime.errors import RunNotFound
from layerloom.runtime.store import ACTIVE

LEGACY_INDEX = Path("ui") / "project-runs.json"
IMPORTED_MARK = Path("ui") / "project-runs.imported"

_checked: set[str] = set()  # stores whose legacy index this process has already dealt with
_lock = threading.Lock()


def import_legacy_index(store: RunStore) -> int:
    """Give the runs listed in the old JSON index beside ``store``'s database their project
    (runs that already have one keep it; ids no longer in the store are skipped); how many
    runs it set. Done once per store: later calls return 0."""
    key = str(store.path.resolve())
    with _lock:
        if key in _checked:
            return 0
        _checked.add(key)
    index, mark = store.root / LEGACY_INDEX, store.root / IMPORTED_MARK
    if mark.exists() or not index.exists():
        return 0
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0  # unreadable: nothing to keep
    done = 0
    for project, run_ids in (data.items() if isinstance(data, dict) else ()):
        for run_id in run_ids if isinstance(run_ids, list) else ():
            try:
                run = store.get(int(run_id))
            except (RunNotFound, TypeError, ValueError):
                continue
            if run.project is None:
                store.update(run.id, project=str(project))
                done += 1
    try:
        mark.write_text(f"imported {done} run(s) from {index.name}\n", encoding="utf-8")
    except OSError:
        pass  # importing again is harmless: it never overwrites a run's project
    return done


@contextmanager
def _opened(store: RunStore | None):
    own = store is None
    store = store or RunStore()
    try:
        import_legacy_index(store)
        yield store
    finally:
        if own:
            store.close()


def remember(project_id: str, run_id: int, store: RunStore | None = None) -> None:
    """Record that ``project_id`` started ``run_id`` (a run started without ``project=``)."""
    with _opened(store) as s:
        s.update(int(run_id), project=project_id)


def runs_of(project_id: str, store: RunStore | None = None) -> list[int]:
    """The runs ``project_id`` started, oldest first."""
    with _opened(store) as s:
        return [r.id for r in reversed(s.list_runs(project=project_id))]


def current_run(store: RunStore, project_id: str):
    """The project's active run (queued or running), else its latest; None when it has none.

    ``run_status`` checks an active run's process, so a run whose process died shows as failed.
    """
    import_legacy_index(store)
    latest = None
    for run in store.list_runs(project=project_id):
        if run.status in ACTIVE:
            try:
                run = run_status(run.id, store)
            except RunNotFound:
                continue
            if run.status in ACTIVE:
                return run
        latest = latest or run
    return latest
