"""A run's own process: ``python -m layerloom.runtime.worker RUN_ID --db PATH [--resume]``.

Started by ``process.start_run``/``resume_run``. Everything it has to say goes to the database;
its exit code is 0 when the run completed, stopped or paused, 1 when it failed (the reason is
recorded), 2 when the run cannot be found. SIGTERM asks it to stop at the next batch boundary.
"""

from __future__ import annotations

import argparse
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="layerloom.runtime.worker")
    parser.add_argument("run_id", type=int)
    parser.add_argument("--db", required=True, help="the runs database")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    parser.add_argument("--epochs", type=int, help="change the planned number of epochs")
    args = parser.parse_args(argv)

    from .errors import RunNotFound
    from .events import Control
    from .runner import execute_run
    from .store import RunStore

    control = Control()
    signal.signal(signal.SIGTERM, lambda *_: control.stop())
    store = RunStore(args.db)
    try:
        store.get(args.run_id)
    except RunNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        execute_run(store, args.run_id, resume=args.resume, control=control, epochs=args.epochs)
    except BaseException as exc:  # recorded by execute_run; the traceback is in error.txt
        print(f"run {args.run_id} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
