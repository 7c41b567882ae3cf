"""A sweep's own process: ``python -m layerloom.runtime.sweep_worker SWEEP_ID --db PATH``.

Started by ``process.start_sweep``, which recorded the sweep (its settings, graph and data in
the row's spec). Runs ``search.sweep`` under that id; each trial is a run in the database.
Exit code 0 when the sweep completed or was stopped (``runtime.stop_sweep``), 1 when it
failed (the reason is in the sweep's row), 2 when the sweep cannot be found.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="layerloom.runtime.sweep_worker")
    parser.add_argument("sweep_id", type=int)
    parser.add_argument("--db", required=True, help="the runs database")
    args = parser.parse_args(argv)

    from .errors import RunNotFound
    from .store import RunStore

    store = RunStore(args.db)
    try:
        info = store.sweep(args.sweep_id)
    except RunNotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        from .search import Param, sweep

        spec = info["spec"]
        result = sweep(spec["graph"], spec["dataset"], spec["base_config"],
                       [Param(**p) for p in spec["params"]], trials=spec["trials"],
                       sampler=spec["sampler"], store=store, variables=spec.get("variables"),
                       name=info["name"], seed=spec.get("seed", 0), sweep_id=args.sweep_id)
    except BaseException as exc:  # noqa: BLE001 - recorded for whoever watches the sweep
        reason = str(exc) or type(exc).__name__
        store.update_sweep(args.sweep_id, status="failed", reason=reason, pid=None)
        print(f"sweep {args.sweep_id} failed: {reason}", file=sys.stderr, flush=True)
        return 1
    store.update_sweep(args.sweep_id, pid=None)
    print(result.table(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
