"""``layerloom app``: start the designer in the browser (Streamlit, on 127.0.0.1 by default).

It opens the design last worked on, or the ``seed-cnn`` template the first time; designs are
kept under ``$LAYERLOOM_HOME`` (default ``~/.layerloom``).
"""

from __future__ import annotations

import os
import subprocess
import sys



def command(port: int | None, host: str, browser: bool) -> list[str]:
    """``streamlit run ui/app.py`` with LayerLoom's options, through :mod:`layerloom.ui.serve`
    (which keeps Streamlit from reading ``ui/pages/`` as page scripts)."""
    cmd = [sys.executable, "-m", "layerloom.ui.serve",
           "--server.address", host, "--server.headless", "false" if browser else "true",
           "--browser.gatherUsageStats", "false", "--client.showErrorDetails", "none",
           "--client.toolbarMode", "minimal"]
    if port:
        cmd += ["--server.port", str(port)]
    return cmd


def cmd_app(args) -> int:
    cmd = command(args.port, args.host, args.browser)
    print(f"LayerLoom designer: http://{args.host}:{args.port or 8501} (Ctrl+C stops it)",
          file=sys.stderr)
    try:
        return subprocess.call(cmd, env=dict(os.environ))
    except KeyboardInterrupt:
        return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("app", help="start the designer in the browser",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=None, help="port (default 8501, or the next free)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--browser", action="store_true", help="open a browser tab as well")
    p.set_defaults(func=cmd_app)
