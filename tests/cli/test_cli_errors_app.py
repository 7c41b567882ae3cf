"""``layerloom app`` (issue 11): stopping it stops its server (tested with real processes), the
banner shows the port really served, a taken --port is an error, a --host beyond loopback
warns that there is no authentication, and --help is plain text."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from layerloom.cli import app, main


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_the_launcher_stops_its_server(tmp_path, how):
    with _listening_socket() as sock:  # a free port: taken here, released just before
        port = sock.getsockname()[1]
    env = {**os.environ, "LAYERLOOM_HOME": str(tmp_path), "LAYERLOOM_WARM_WORKER": "0"}
    launcher = subprocess.Popen([sys.executable, "-m", "layerloom", "app", "--port", str(port)],
                                env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                text=True)
    try:
        banner = ""
        while not banner.startswith("LayerLoom designer:"):  # after the server's own log lines
            banner = launcher.stderr.readline()
            assert banner, "the launcher ended without printing its URL"
        assert banner.strip() == f"LayerLoom designer: http://127.0.0.1:{port} (Ctrl+C stops it)"
        # The URL answers as soon as it is printed: a real server, not a process still
        # importing (it was printed before the server started, and refused at first).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                    timeout=5) as reply:
            assert reply.read() == b"ok"
        servers = _children(launcher.pid)
        assert len(servers) == 1 and _alive(servers[0])
        launcher.send_signal(how)  # SIGKILL: the kernel tells the server (PR_SET_PDEATHSIG)
        assert launcher.wait(timeout=20) == (-signal.SIGKILL if how == signal.SIGKILL else 0)
        deadline = time.monotonic() + 5
        while _alive(servers[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(servers[0]), "the server outlived its launcher"
    finally:
        launcher.kill()
        launcher.wait(timeout=10)


def test_a_taken_port_is_an_error_and_the_default_takes_the_next_free(monkeypatch, capsys):
    with _listening_socket() as sock:
        taken = sock.getsockname()[1]
        assert main(["app", "--port", str(taken)]) == 1
        err = capsys.readouterr().err
        assert f"error: port {taken} on 127.0.0.1 is in use" in err and "--port" in err
        monkeypatch.setattr(app, "DEFAULT_PORT", taken)
        chosen = app.choose_port("127.0.0.1", None)
        assert chosen is not None and chosen > taken


def test_the_banner_shows_the_port_served_and_hosts_beyond_loopback_warn(monkeypatch, capsys,
                                                                        tmp_path):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))  # the app makes its home before serving
    started = []
    monkeypatch.setattr(app, "run_server",
                        lambda cmd, on_ready, **kw: (started.append(cmd), on_ready()) and 0)
    monkeypatch.setattr(app, "choose_port", lambda host, wanted: 8523)
    assert main(["app"]) == 0
    err = capsys.readouterr().err
    assert err == "LayerLoom designer: http://127.0.0.1:8523 (Ctrl+C stops it)\n"
    assert started[0][started[0].index("--server.port") + 1] == "8523"
    assert main(["app", "--host", "0.0.0.0"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: --host 0.0.0.0 makes the app reachable from other "
                          "machines, and it has no authentication")
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert app.is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.4", "::", "example.org"):
        assert not app.is_loopback(host), host


def test_app_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["app", "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and ":mod:" not in out
    assert "Start the designer in the browser" in out and "without authentication" in out
