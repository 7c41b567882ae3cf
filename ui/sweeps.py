"""Sweeps started from the browser, in a process of their own.

``runtime.search.sweep`` runs its trials one after another in the calling process; the app must
not block, so :func:`launch` starts ``python -m layerloom.ui.sweeps SPEC.json``, which calls it
and writes the new sweep's id to a file as soon as the runs database has one. The page reads the
trials from the database like any other runs. (No Streamlit in this module: it is also the
sweep's process.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from layerloom.runtime.store import RunStore, home, pid_alive


@dataclass
class Launch:
    """A sweep process started by the app: where it will write its sweep id and its log."""

    folder: str
    pid: int
    started: float

    @property
    def id_file(self) -> Path:
        return Path(self.folder) / "sweep_id"

    def sweep_id(self) -> int | None:
        try:
            return int(self.id_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def failure(self) -> str | None:
        """Why the process ended before the sweep began, in words (its last log line)."""
        if self.sweep_id() is not None or pid_alive(self.pid):
            return None
        try:
            lines = (Path(self.folder) / "sweep.log").read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        last = next((line for line in reversed(lines) if line.strip()), "")
        return last.split(": ", 1)[-1] if last else "the sweep's process ended without a word"


def launch(graph: dict, dataset: dict, config: dict, params: list[str], *, trials: int,
           sampler: str, name: str, db: str | Path | None = None) -> Launch:
    """Start a sweep in its own process; returns at once."""
    folder = home() / "sweeps" / f"{int(time.time() * 1000)}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"graph": graph, "dataset": dataset, "config": config, "params": params,
            "trials": trials, "sampler": sampler, "name": name,
            "db": str(db) if db else None}
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    with open(folder / "sweep.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "layerloom.ui.sweeps", str(folder)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _children.append(proc)
    return Launch(str(folder), proc.pid, time.time())


_children: list[subprocess.Popen] = []  # polled so that finished sweeps leave no zombies


def reap() -> None:
    _children[:] = [p for p in _children if p.poll() is None]


def as_dict(launch_: Launch) -> dict:
    return asdict(launch_)


class _RecordingStore(RunStore):
    """The runs database, telling the app the sweep's id the moment it exists."""

    def __init__(self, path, id_file: Path):
        super().__init__(path)
        self._id_file = id_file

    def create_sweep(self, name: str, spec: dict) -> int:
        sweep_id = super().create_sweep(name, spec)
        tmp = self._id_file.with_suffix(".tmp")
        tmp.write_text(str(sweep_id))
        os.replace(tmp, self._id_file)
        return sweep_id


def main(argv: list[str] | None = None) -> int:
    from layerloom.runtime import sweep

    folder = Path((argv or sys.argv[1:])[0])
    spec = json.loads((folder / "spec.json").read_text(encoding="utf-8"))
    store = _RecordingStore(spec["db"], folder / "sweep_id")
    try:
        result = sweep(spec["graph"], spec["dataset"], spec["config"], spec["params"],
                       trials=spec["trials"], sampler=spec["sampler"], store=store,
                       name=spec["name"])
    except Exception as exc:  # noqa: BLE001 - the app shows this last line
        print(f"sweep failed: {exc}", file=sys.stderr, flush=True)
        return 1
    print(result.table(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
