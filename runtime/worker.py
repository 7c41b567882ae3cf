"""A run's own process: ``python -m layerloom.runtime.worker RUN_ID --db PATH [--resume]``.

Started by ``process.start_run``/``resume_run``. Everything it has to say goes to the database;
its exit code is 0 when the run completed, stopped or paused, 1 when it failed (the reason is
recorded), 2 when the run cannot be found. SIGTERM asks it to stop at the next batch boundary.
Under an address-space limit too low for torch, the run fails saying so (``address_limit``).
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

    from . import address_limit, failure_note

    too_low = address_limit.refusal("start the run again")  # before numpy or torch loads
    from .errors import RunNotFound
    from .events import Control
    from .store import RunStore

    control = Control()
    signal.signal(signal.SIGTERM, lambda *_: control.stop())
    store = RunStore(args.db)
    try:
        store.get(args.run_id)
    except RunNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    # room for the reason, taken while the disk may have some (see failure_note)
    note = failure_note.reserve(store.root / "runs" / str(args.run_id))
    if too_low:  # torch would end this process from C as it loads: said where runs are read
        store.set_status(args.run_id, "failed", too_low, pid=None)
        failure_note.clear(note)
        print(f"run {args.run_id} failed: {too_low}", file=sys.stderr, flush=True)
        return 1
    from .runner import execute_run, failure_reason

    try:
        execute_run(store, args.run_id, resume=args.resume, control=control, epochs=args.epochs)
    except BaseException as exc:  # recorded by execute_run; the traceback is in error.txt
        failure_note.write(note, failure_reason(exc))
        try:
            print(f"run {args.run_id} failed: {exc}", file=sys.stderr, flush=True)
        except OSError:  # its log is on a full disk too: the note says it
            pass
        return 1
    failure_note.clear(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
