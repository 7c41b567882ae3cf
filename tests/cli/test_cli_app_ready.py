"""``layerloom app`` prints its URL once the server answers there, not as it starts it: a user
(or a script) opening the URL at once got a refused connection. A server that ends before it
serves is said in one ``error:`` line, with no URL printed."""

from __future__ import annotations

import socket
import sys
import textwrap

from layerloom.cli import app

# A stand-in for Streamlit: it takes a while to start, then answers the health check.
SLOW_SERVER = textwrap.dedent("""
    import http.server, sys, time
    time.sleep(1.0)
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/_stcore/health" else 404)
            self.end_headers()
            self.wfile.write(b"ok")
        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health)
    server.timeout = 0.1
    for _ in range(20):  # about two seconds of serving, then it ends by itself
        server.handle_request()
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_url_is_printed_once_the_server_answers_there(capsys):
    port = _free_port()
    answered_when_printed = []
    code = app.run_server([sys.executable, "-c", SLOW_SERVER, str(port)],
                          ready=lambda: app.server_answers("127.0.0.1", port),
                          on_ready=lambda: answered_when_printed.append(
                              app.server_answers("127.0.0.1", port)),
                          poll=0.05)
    assert code == 0
    assert answered_when_printed == [True]
    assert capsys.readouterr().err == ""


def test_a_server_that_ends_before_serving_is_one_error_line_and_no_url(capsys):
    printed = []
    code = app.run_server([sys.executable, "-c", "import sys; sys.exit(3)"],
                          ready=lambda: False, on_ready=lambda: printed.append("url"), poll=0.05)
    assert code == 3 and printed == []
    assert capsys.readouterr().err == (
        "error: the designer's server ended before it served (exit code 3); its messages "
        "above say why\n")


def test_nothing_answers_on_a_port_no_server_holds():
    assert not app.server_answers("127.0.0.1", _free_port(), timeout=1)


def test_a_wildcard_host_is_checked_on_loopback():
    assert app.reachable_host("0.0.0.0") == "127.0.0.1"
    assert app.reachable_host("::") == "::1"
    assert app.reachable_host("[::1]") == "::1"
    assert app.reachable_host("localhost") == "localhost"
    assert app.reachable_host("192.168.1.4") == "192.168.1.4"


# A stand-in for Streamlit that, as Streamlit does, ends at once where its port is taken.
PORT_TAKING_SERVER = textwrap.dedent("""
    import http.server, sys
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/_stcore/health" else 404)
            self.end_headers()
            self.wfile.write(b"ok")
        def log_message(self, *args):
            pass
    try:
        server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health)
    except OSError:
        print(f"Port {sys.argv[1]} is not available", file=sys.stderr)
        sys.exit(1)
    server.timeout = 0.1
    for _ in range(20):
        server.handle_request()
""")


class _OtherApp:
    """Another program's server already answering the health check on a port (a second
    ``layerloom app`` started at the same moment): it took the port after this one found it
    free."""

    def __init__(self):
        import http.server
        import threading

        class Health(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Health)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_two_apps_started_together_each_print_the_address_of_their_own_server(
        monkeypatch, capsys):
    """Both found 8501 free; the other's server took it first. This one printed the other's
    address (which answered) and ended as its own server found the port taken; it now starts
    its server on the next free port and prints that."""
    other = _OtherApp()
    chosen = []

    def choose_port(host, wanted):
        port = other.port if not chosen else _free_port()
        chosen.append(port)
        return port

    monkeypatch.setattr(app, "choose_port", choose_port)
    monkeypatch.setattr(app, "command", lambda port, host, browser: [
        sys.executable, "-c", PORT_TAKING_SERVER, str(port)])
    try:
        args = app.argparse.Namespace(home=None, host="127.0.0.1", port=None, browser=False)
        code = app.cmd_app(args)
    finally:
        other.close()
    err = capsys.readouterr().err
    assert code == 0, err
    assert len(chosen) == 2
    assert f"http://127.0.0.1:{other.port} " not in err  # never the other program's address
    assert f"note: port {other.port} was taken as the server started; trying the next free " \
           f"one" in err
    assert err.rstrip().endswith(f"LayerLoom designer: http://127.0.0.1:{chosen[1]} (Ctrl+C "
                                 f"stops it)")


def test_the_listening_socket_of_a_process_is_found():
    import os

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert app.holds_port(os.getpid(), port) is True
    assert app.holds_port(os.getpid(), port) is False
