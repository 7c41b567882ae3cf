"""Which runs a project started, so that a page opened later (another tab, after the browser was
closed) finds the project's run and shows it live again.

The runs database does not record projects, so the app keeps a small index of its own:
``<home>/ui/project-runs.json`` mapping a project id to the ids of its runs, oldest first.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from layerloom.runtime import RunStore, run_status
from layerloom.runtime.errors import RunNotFound
from layerloom.runtime.store import ACTIVE, home

_lock = threading.Lock()


def _path() -> Path:
    return home() / "ui" / "project-runs.json"


def _read() -> dict[str, list[int]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [int(i) for i in v] for k, v in data.items() if isinstance(v, list)}


def remember(project_id: str, run_id: int) -> None:
    """Record that ``project_id`` started ``run_id``."""
    with _lock:
        index = _read()
        runs = index.setdefault(project_id, [])
        if run_id not in runs:
            runs.append(int(run_id))
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".project-runs-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(index, f)
        os.replace(tmp, path)


def runs_of(project_id: str) -> list[int]:
    """The runs ``project_id`` started, oldest first."""
    return list(_read().get(project_id, []))


def current_run(store: RunStore, project_id: str):
    """The project's active run (queued or running), else its latest; None when it has none.

    ``run_status`` checks an active run's process, so a run whose process died shows as failed.
    """
    latest = None
    for run_id in reversed(runs_of(project_id)):
        try:
            run = run_status(run_id, store)
        except RunNotFound:
            continue
        if run.status in ACTIVE:
            return run
        latest = latest or run
    return latest
