"""``layerloom app``: start the designer in the browser (Streamlit, on 127.0.0.1 by default).

Each browser opens the design it last worked on, or a new copy of the ``seed-cnn`` template the
first time (the designs made before are in its project list); designs are kept under
``$LAYERLOOM_HOME`` (default ``~/.layerloom``).

The server runs in a child process that goes with this one: SIGTERM, SIGINT and SIGHUP are
passed on to it (and on Linux it is told to stop if this process dies any other way). The port
is chosen here, so the address printed is the one served: ``--port`` if it is free (an error
if not), else 8501 or the next free port; it is printed once the server answers there, so that
the address opens at once (a script may wait for the line), and only once the server answering
is this command's own (on Linux): two ``layerloom app`` started together can both find 8501
free, and the one whose server then found it taken printed the other's address and ended; it
now starts its server again on the next free port. The home (``--home``, else
``$LAYERLOOM_HOME``, else ``~/.layerloom``) is made and checked here too: one that cannot be written is an error before any
server starts, not a page that says so. The app has no authentication: a ``--host`` other
than a loopback address lets anyone who can reach it read and change the designs, runs and
files under ``$LAYERLOOM_HOME``, and a warning says so.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from layerloom.runtime.address_limit import address_limit, floor, too_low
from layerloom.runtime.child_python import module_command

from .common import EXIT_INVALID, EXIT_UNREADABLE, unusable_home
from .network_addresses import network_addresses

# the home this command made (named, not there): the server's pages say so
HOME_MADE_ENV = "LAYERLOOM_HOME_MADE"

DEFAULT_PORT = 8501
PORTS_TRIED = 100
PORT_RACES = 5  # how often a port found free but taken as the server starts is tried past
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
HEALTH_PATH = "/_stcore/health"  # Streamlit's: "ok" once the server serves the app
DESCRIPTION = ("Start the designer in the browser: a Streamlit server on 127.0.0.1 (this "
               "machine only) unless --host says otherwise. Each browser opens the design it "
               "last worked on, or a new copy of the seed-cnn template the first time (the "
               "designs made before are in its project list); designs are kept under "
               "$LAYERLOOM_HOME (default ~/.layerloom). Ctrl+C, or SIGTERM, stops the server.")


def command(port: int | None, host: str, browser: bool) -> list[str]:
    """``streamlit run ui/app.py`` with LayerLoom's options, through :mod:`layerloom.ui.serve`
    (which keeps Streamlit from reading ``ui/pages/`` as page scripts)."""
    cmd = module_command(
        "layerloom.ui.serve", "--server.address", host, "--server.headless",
        "false" if browser else "true", "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal")
    if port:
        cmd += ["--server.port", str(port)]
    return cmd


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost``: reachable from this machine only."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (bound and released at once)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def port_number(text: str) -> int:
    """``--port``'s type: a number from 1 to 65535 (argparse says so, exit 2, where it is not)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: give a number from 1 to 65535")
    return port


def host_problem(host: str) -> str | None:
    """Why no server can listen on ``host`` here (a name that resolves to nothing, an address
    of another machine), or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host.strip("[]"), 0))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def choose_port(host: str, wanted: int | None) -> int | None:
    """``wanted`` if free, else None; without ``wanted``, 8501 or the next free port."""
    if wanted:
        return wanted if port_free(host, wanted) else None
    for port in range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED):
        if port_free(host, port):
            return port
    return None


def reachable_host(host: str) -> str:
    """Where this machine reaches a server listening on ``host``: a wildcard address (``0.0.0.0``,
    ``::``) is reached on loopback."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return host


def server_answers(host: str, port: int, *, timeout: float = 2.0) -> bool:
    """Whether a Streamlit server on ``host:port`` answers its health check now (asked directly,
    never through a proxy that the environment names)."""
    connection = http.client.HTTPConnection(reachable_host(host), port, timeout=timeout)
    try:
        connection.request("GET", HEALTH_PATH)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def listening_sockets(port: int, proc: Path = Path("/proc")) -> set[str] | None:
    """The inodes of the sockets listening on TCP ``port`` (IPv4 and IPv6) in this network
    namespace, from ``/proc/net/tcp``; None where there is no such table (not Linux)."""
    found, tables = set(), 0
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        tables += 1
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and \
                    int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                found.add(fields[9])
    return found if tables else None


def holds_port(pid: int, port: int, proc: Path = Path("/proc")) -> bool | None:
    """Whether process ``pid`` listens on TCP ``port``: True or False on Linux, None where it
    cannot be told (no ``/proc``)."""
    sockets = listening_sockets(port, proc)
    if sockets is None:
        return None
    try:
        fds = os.listdir(proc / str(pid) / "fd")
    except OSError:
        return None
    for fd in fds:
        try:
            link = os.readlink(proc / str(pid) / "fd" / fd)
        except OSError:
            continue
        if link.startswith("socket:[") and link[len("socket:["):-1] in sockets:
            return True
    return False


class PortTaken(Exception):
    """The server ended before it served, and its port is no longer free: another program
    took it between the check and the server's start."""


def _die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child before exec
    """On Linux, ask the kernel to send the child SIGTERM when its parent (pid ``parent``) dies
    (even by SIGKILL), so that no server is left serving without its launcher (one that died
    before the request, between fork and exec, is found by the parent pid); and make the child the
    leader of a session of its own, whose scheduling weight the server can lower beside the
    runs it starts (``layerloom.ui.serve.lower_session``; this launcher passes the terminal's
    signals on)."""
    try:
        os.setsid()
    except OSError:
        pass
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(128 + signal.SIGTERM)


def run_server(cmd: list[str], *, ready: Callable[[], bool] | None = None,
               on_ready: Callable[[], None] | None = None, stop_after: float = 10.0,
               poll: float = 0.2, owner: Callable[[int], bool] | None = None,
               taken: Callable[[], bool] | None = None, grace: float = 5.0) -> int:
    """Run ``cmd`` as a child, passing SIGTERM/SIGINT/SIGHUP on to it, and make sure it is gone
    when this returns (terminated, then killed after ``stop_after`` seconds). A child passed a
    signal has ``grace`` seconds to end, then is terminated and, ``grace`` seconds on, killed,
    each said in a ``note:`` line (Streamlit stopping while a page's run still imports took
    half a minute, Ctrl+C seeming to do nothing). ``on_ready`` is
    called once ``ready()`` is true (asked every ``poll`` seconds while the child lives) and
    ``owner(pid)`` says the child (that pid) is what answers; a child that ends before then is
    said in an ``error:`` line, unless a signal stopped it, or raises PortTaken where
    ``taken()`` says its port was taken meanwhile."""
    preexec = (functools.partial(_die_with_parent, os.getpid())
               if sys.platform.startswith("linux") else None)
    child = subprocess.Popen(cmd, env=dict(os.environ), preexec_fn=preexec)
    received: list[int] = []
    received_at: list[float] = []

    def forward(signum, frame) -> None:
        received.append(signum)
        received_at.append(time.monotonic())
        try:
            child.send_signal(signum)
        except OSError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        served = _wait_until_ready(child, ready, owner, poll, received) if ready else True
        if served and on_ready and not received:
            on_ready()
        code = _wait_for(child, received_at, grace, poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            if received:
                print(f"note: the designer's server had not stopped {grace:g} s after it was "
                      f"told to; ending it", file=sys.stderr, flush=True)
            child.terminate()
            try:
                child.wait(timeout=grace if received else stop_after)
            except subprocess.TimeoutExpired:
                if received:
                    print("note: the designer's server did not end when told to either; "
                          "killed it", file=sys.stderr, flush=True)
                child.kill()
                child.wait()
            code = child.returncode
    if received:
        return 0 if received[-1] in (signal.SIGINT, signal.SIGTERM) else 128 + received[-1]
    if not served and taken is not None and taken():
        raise PortTaken
    if not served:
        print(f"error: the designer's server ended before it served (exit code {code}); its "
              f"messages above say why", file=sys.stderr)
        return code or 1
    return code


def _wait_for(child: subprocess.Popen, received_at: list[float], grace: float,
              poll: float) -> int | None:
    """The child's exit code once it ends; None once ``grace`` seconds have passed since the
    first signal passed on to it (``received_at``) and it still runs."""
    while True:
        try:
            return child.wait(timeout=max(poll, 0.05))
        except subprocess.TimeoutExpired:
            if received_at and time.monotonic() - received_at[0] >= grace:
                return None


def _wait_until_ready(child: subprocess.Popen, ready: Callable[[], bool],
                     owner: Callable[[int], bool] | None, poll: float,
                     received: list[int] = ()) -> bool:
    """Whether ``ready()`` (and ``owner(child's pid)``) came true while ``child`` was running,
    and no signal was passed on to it (``received``) meanwhile."""
    while child.poll() is None and not received:
        if (owner is None or owner(child.pid)) and ready():
            return True
        time.sleep(poll)
    return False


def cmd_app(args) -> int:
    limit = address_limit()
    if limit is not None and limit < floor():  # the server's pages load torch and numpy
        print(f"error: {too_low(limit)}", file=sys.stderr)
        return EXIT_INVALID
    named = args.home or os.environ.get("LAYERLOOM_HOME")
    made = bool(named) and not os.path.lexists(Path(named).expanduser())
    problem = unusable_home(args.home)  # a home named but not there is made, and said
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.home:  # the server's, and the runs it starts
        os.environ["LAYERLOOM_HOME"] = os.path.abspath(Path(args.home).expanduser())
    os.environ.pop(HOME_MADE_ENV, None)
    if made:  # the pages say it too: the terminal may be out of sight
        os.environ[HOME_MADE_ENV] = os.path.abspath(Path(named).expanduser())
    unusable = host_problem(args.host)
    if unusable:
        print(f"error: --host {args.host}: not an address of this machine ({unusable})",
              file=sys.stderr)
        return EXIT_INVALID
    for _ in range(PORT_RACES):
        port = choose_port(args.host, args.port)
        if port is None:
            break
        try:
            return _serve(args, port)
        except PortTaken:
            if args.port:
                port = None
                break
            print(f"note: port {port} was taken as the server started; trying the next free "
                  f"one", file=sys.stderr, flush=True)
    if port is None:
        if args.port:
            print(f"error: port {args.port} on {args.host} is in use (or may not be opened); "
                  f"choose another with --port, or leave --port out to take the first free "
                  f"one from {DEFAULT_PORT}", file=sys.stderr)
        else:
            print(f"error: no free port on {args.host} from {DEFAULT_PORT} to "
                  f"{DEFAULT_PORT + PORTS_TRIED - 1}; choose one with --port", file=sys.stderr)
        return 1
    print("error: every port tried was taken as the server started; choose one with --port",
          file=sys.stderr)
    return 1


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(host: str, port: int) -> str:
    """The address to open once the server answers. A wildcard ``host`` (``0.0.0.0``, ``::``)
    is no address to open (Windows' browsers refuse it): the loopback URL is said for this
    machine, and this machine's network addresses for the others."""
    bare = host.strip("[]")
    here = reachable_host(bare)
    line = f"LayerLoom designer: {_url(here, port)} (Ctrl+C stops it)"
    if here == bare:
        return line
    others = network_addresses(bare)
    if not others:
        return (f"{line}\n  from other machines: http://<this machine's address>:{port} (no "
                f"network address of this machine was found here)")
    return f"{line}\n  from other machines: " + ", ".join(_url(a, port) for a in others)


def _serve(args, port: int) -> int:
    """The server on ``port``, its address printed once it answers there itself (not another
    program that took the port as it started: PortTaken then)."""
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} makes the app reachable from other machines, and it "
              f"has no authentication: anyone who can reach it can read and change the designs, "
              f"runs and files under $LAYERLOOM_HOME. Use it only on a network you trust.",
              file=sys.stderr)
    return run_server(
        command(port, args.host, args.browser),
        ready=lambda: server_answers(args.host, port),
        owner=lambda pid: holds_port(pid, port) is not False,
        on_ready=lambda: print(banner(args.host, port), file=sys.stderr, flush=True),
        taken=lambda: not port_free(args.host, port))


def register(subparsers) -> None:
    p = subparsers.add_parser("app", help="start the designer in the browser",
                              description=DESCRIPTION)
    p.add_argument("--port", type=port_number, default=None,
                   help=f"port (default {DEFAULT_PORT}, or the next free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any other "
                        "lets other machines in, without authentication)")
    p.add_argument("--browser", action="store_true", help="open a browser tab as well")
    p.add_argument("--home", metavar="DIR",
                   help="LayerLoom's data folder: designs, runs, checkpoints (default "
                        "$LAYERLOOM_HOME or ~/.layerloom)")
    p.set_defaults(func=cmd_app)
