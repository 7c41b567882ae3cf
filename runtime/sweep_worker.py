"""A sweep's own process: ``python -m layerloom.runtime.sweep_worker SWEEP_ID --db PATH``.

Started by ``process.start_sweep``, which recorded the sweep (its settings, graph and data in
the row's spec). Runs ``search.sweep`` under that id; each trial is a run in the database.
Exit code 0 when the sweep completed or was stopped (``runtime.stop_sweep``), 1 when it
failed (the reason is in the sweep's row), 2 when the sweep cannot be found. SIGTERM stops it as
``stop_sweep`` does (as a run's own process turns SIGTERM into a stop): it killed the sweep,
which was then found dead and recorded failed, its trial with it. Under an address-space limit
too low for torch, the sweep fails saying so (``address_limit``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="layerloom.runtime.sweep_worker")
    parser.add_argument("sweep_id", type=int)
    parser.add_argument("--db", required=True, help="the runs database")
    args = parser.parse_args(argv)

    from . import address_limit, failure_note

    too_low = address_limit.refusal("start the sweep again")  # before numpy or torch loads
    from .errors import RunNotFound
    from .store import RunStore

    store = RunStore(args.db)
    try:
        info = store.sweep(args.sweep_id)
    except RunNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    if too_low:  # torch would end this process from C as it loads: said where sweeps are read
        store.update_sweep(args.sweep_id, status="failed", reason=too_low, pid=None)
        print(f"sweep {args.sweep_id} failed: {too_low}", file=sys.stderr, flush=True)
        return 1
    from . import process  # noqa: F401 - loaded before a SIGTERM's thread needs it

    signal.signal(signal.SIGTERM, lambda *_: _stop_soon(args.sweep_id, args.db))
    # room for the reason, taken while the disk may have some (see failure_note)
    note = failure_note.reserve(store.root / "sweeps" / str(args.sweep_id))
    try:
        from .search import Param, sweep

        spec = info["spec"]
        result = sweep(spec["graph"], spec["dataset"], spec["base_config"],
                       [Param(**p) for p in spec["params"]], trials=spec["trials"],
                       sampler=spec["sampler"], store=store, variables=spec.get("variables"),
                       name=info["name"], seed=spec.get("seed", 0), sweep_id=args.sweep_id)
    except BaseException as exc:  # noqa: BLE001 - recorded for whoever watches the sweep
        reason = str(exc) or type(exc).__name__
        failure_note.write(note, reason)
        try:  # on a full disk neither can be written: the note says it (sweep_status reads it)
            store.update_sweep(args.sweep_id, status="failed", reason=reason, pid=None)
            print(f"sweep {args.sweep_id} failed: {reason}", file=sys.stderr, flush=True)
        except Exception:  # noqa: BLE001
            pass
        return 1
    failure_note.clear(note)
    store.update_sweep(args.sweep_id, pid=None)
    print(result.table(), flush=True)
    return 0


def _stop_soon(sweep_id: int, db: str) -> None:
    """Ask the sweep to stop from a thread of its own, with its own connection: the handler may
    interrupt this process in the middle of a write to the database."""
    from .process import stop_sweep
    from .store import RunStore

    def stop() -> None:
        try:
            stop_sweep(sweep_id, RunStore(db))
        except Exception as exc:  # noqa: BLE001 - it ended meanwhile: nothing to stop
            print(f"sweep {sweep_id}: SIGTERM: {exc}", file=sys.stderr, flush=True)

    threading.Thread(target=stop, name="stop-on-sigterm", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
