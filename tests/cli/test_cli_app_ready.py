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
