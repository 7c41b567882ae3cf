"""``layerloom app`` on a user's machine where Streamlit has never run: no ``~/.streamlit``.

``--browser`` (the README's way to open a tab) started Streamlit's server out of headless mode,
where on a first run it asks for an e-mail address on the terminal ("Welcome to Streamlit! ...
Email:") before it serves: in a terminal the designer waited on that prompt, and with no
terminal (a launcher, a script, stdin closed) the server ended ("ended before it served (exit
code 255)") and the tab never opened. Once served, Streamlit advertised its tools for developers
of Streamlit apps on the designer's terminal ("Install the official Streamlit skills by running
streamlit skills in your terminal"), which LayerLoom's users have no use for.

``--host 0.0.0.0`` (all interfaces, asked for) made Streamlit look up the machine's public
address at checkip.amazonaws.com as it started, to print an "External URL": a request outside
the machine that the app otherwise never makes, and on an offline machine a warning ("Did not
auto detect external IP. Please go to https://docs.streamlit.io/ ...") after two timeouts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

START_S = 240  # a loaded machine: the server imports torch before it serves


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict:
    """A user whose home has never seen Streamlit (no ~/.streamlit), and no warm worker."""
    home = tmp_path / "user home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DISPLAY")}
    env.update(HOME=str(home), LAYERLOOM_WARM_WORKER="0", **extra)
    return env


def _start_app(args: list[str], env: dict, cwd: Path) -> tuple[str, int, str]:
    """``layerloom app ARGS`` with stdin closed, as a launcher starts it: (what it printed by the
    time its URL line came or it ended, its exit code or -1 if still serving, the URL line)."""
    proc = subprocess.Popen([sys.executable, "-m", "layerloom", "app", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(
        line.decode(errors="replace") for line in proc.stdout), daemon=True)
    reader.start()
    url = ""
    try:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline and proc.poll() is None:
            url = next((line for line in list(lines) if "LayerLoom designer:" in line), "")
            if url:
                break
            time.sleep(0.5)
        code = proc.poll()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        reader.join(timeout=10)
    return "".join(lines), -1 if code is None else code, url


def test_app_browser_opens_the_tab_without_streamlits_email_prompt(tmp_path):
    opened = tmp_path / "opened.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    xdg_open = bin_dir / "xdg-open"  # the desktop's opener Streamlit calls: records the URL
    xdg_open.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
    xdg_open.chmod(0o755)
    env = _env(tmp_path, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    port = _free_port()
    output, code, url = _start_app(["--port", str(port), "--browser", "--home",
                                    str(tmp_path / "ll home")], env, tmp_path)
    assert "Email" not in output, output[-3000:]
    assert "streamlit skills" not in output and "Streamlit skills" not in output
    assert code == -1 and url, output[-3000:]  # still serving, its URL printed
    assert f"http://127.0.0.1:{port}" in url
    for _ in range(40):  # the opener is started beside the server
        if opened.exists():
            break
        time.sleep(0.5)
    assert opened.read_text().split() == [f"http://127.0.0.1:{port}"]
    assert not (Path(env["HOME"]) / ".streamlit" / "credentials.toml").exists()


class _Proxy:
    """A proxy that records each request sent through it and answers none."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.seen: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(4096).decode(errors="replace").split("\r\n")[0])
                except OSError:
                    self.seen.append("(a connection)")

    def close(self):
        self.done.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_app_on_all_interfaces_asks_nothing_outside_the_machine(tmp_path):
    proxy = _Proxy()
    try:
        env = _env(tmp_path, HTTP_PROXY=proxy.url, HTTPS_PROXY=proxy.url, http_proxy=proxy.url,
                   https_proxy=proxy.url, NO_PROXY="", no_proxy="")
        port = _free_port()
        output, code, url = _start_app(["--port", str(port), "--host", "0.0.0.0", "--home",
                                        str(tmp_path / "ll home")], env, tmp_path)
        time.sleep(1)  # anything sent as the server came up has reached the proxy
    finally:
        proxy.close()
    assert code == -1 and url, output[-3000:]
    assert proxy.seen == []
    assert "Did not auto detect external IP" not in output
    assert "warning: --host 0.0.0.0 makes the app reachable from other machines" in output
