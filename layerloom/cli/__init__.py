"""The ``layerloom`` command.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``func`` on them; ``main`` wires them together. A command returns its
exit code (``EXIT_CODES``, said by ``layerloom --help``): 0 success; 1 the input is invalid
(problems listed), a file read whose contents are wrong among them; 2 a file that cannot be
read (not there, not allowed, or not what its name says: ``common.error_code``) or a command
line not understood (argparse's refusals, an option's value such as ``--set width``); 128 + the signal for a command stopped by Ctrl+C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from layerloom import __version__

# In the order they appear in --help.
EXIT_CODES = (
    "exit codes: 0 success; 1 invalid input (every problem on stderr), also a file read whose "
    "contents are wrong (a table with one class, a design that does not fit the data) or of a "
    "kind not read; 2 a file that cannot be read (not there, not allowed, or not what its name "
    "says: a .npz that is no zip, a .png that is no image, a .csv of binary data, a graph that "
    "is no JSON), and a command line that is not understood; 130, 143, 129 stopped by Ctrl+C, "
    "SIGTERM, SIGHUP (a run kept and resumable).")

COMMAND_MODULES = ("app", "graph_commands", "templates", "codegen", "train", "export",
                   "import_torch", "explain")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerloom",
        description="Design neural networks as block graphs, compile them to PyTorch, train, "
                    "compare and export.",
        epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"layerloom {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the traceback as well as the message")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(subparsers)
    from .reads_writes import say_reads_writes

    say_reads_writes(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Whatever it raises ends as an ``error:`` line and exit code 1 (2 for a
    file that cannot be read), the traceback only with ``--debug``; every control character
    it writes is escaped; a closed pipe (``layerloom templates | head -1``) ends it quietly."""
    from layerloom.runtime import address_limit

    from . import signals
    from .common import (EXIT_USAGE, CommandLineError, SafeStream, quiet_closed_pipe,
                         report_exception)
    from .design_stdin import forget

    forget()  # a design read from stdin by an earlier main() in this process is not this one's

    address_limit.prepare()  # before anything loads numpy: see address_limit

    streams = sys.stdout, sys.stderr
    _encode_any_text(*streams)
    sys.stdout, sys.stderr = (SafeStream(stream or _discarding(), name) for stream, name
                              in zip(streams, ("standard output", "standard error")))
    debug = False
    try:
        parser = build_parser()
        given = sys.argv[1:] if argv is None else list(argv)
        args, extras = parser.parse_known_args(given)
        if "--debug" in extras:  # after the command: 'layerloom train g.json --debug' was refused
            extras = [word for word in extras if word != "--debug"]
            args.debug = True
        if extras:  # argparse's own error (exit 2), with the slip that most likely caused it
            from .argv_hints import unrecognized_hint

            parser.error(f"unrecognized arguments: {' '.join(extras)}"
                         f"{unrecognized_hint(parser, given, extras)}")
        debug = args.debug
        if getattr(args, "home", None):  # --home=~/x: no shell expands a ~ after "="
            args.home = os.path.expanduser(args.home)
        if not getattr(args, "func", None):  # no command: help on stderr, argparse's usage code
            parser.print_help(sys.stderr)
            return 2
        with signals.as_ctrl_c():  # SIGTERM, SIGHUP: stopped as by Ctrl+C, cleaned up
            code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe is found here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        said = signals.stopped_by()
        try:
            print("interrupted" if said == "Ctrl+C" else f"stopped by {said}", file=sys.stderr)
        except (OSError, ValueError):  # the terminal is gone
            pass
        return signals.exit_code()
    except BrokenPipeError:
        return quiet_closed_pipe(streams[0])
    except CommandLineError as exc:  # --set width: a command line not understood, as argparse's
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one catch-all: no traceback for bad input
        return report_exception(exc, debug=debug)
    finally:
        sys.stdout, sys.stderr = streams
        if argv is None:  # the console script, about to exit: see _ignore_ctrl_c_from_now
            _ignore_ctrl_c_from_now()


def _encode_any_text(stdout, stderr) -> None:
    """Streams that can write any character, whatever the locale's encoding (latin-1, ASCII,
    a Windows code page, PYTHONIOENCODING=ascii): stdout sent to a file or pipe writes UTF-8,
    as a design's JSON and codegen's module must be (``codegen g.json > model.py`` written in
    latin-1 is no Python source), and a terminal that cannot show a character ('→', '²', a
    design's 'ü') gets its escape (``\u2192``). Every command whose output held one failed
    with "'ascii' codec can't encode character '\u2192'", exit 1 (``layerloom templates``)."""
    import codecs

    for stream, own in ((stdout, True), (stderr, False)):
        encoding = getattr(stream, "encoding", None)
        if not encoding or codecs.lookup(encoding).name == "utf-8" \
                or not hasattr(stream, "reconfigure"):
            continue
        try:
            if own and not stream.isatty():
                stream.reconfigure(encoding="utf-8")
            else:
                stream.reconfigure(errors="backslashreplace")
        except (OSError, ValueError):  # closed, or not a real stream
            pass


def _discarding():
    """Where output goes for a stream the command was started without (``layerloom validate
    g.json >&-`` or ``2>&-``: Python's ``sys.stdout`` is then None): discarded, as for
    ``>/dev/null``. Every command failed on its first line written, saying
    "'NoneType' object has no attribute 'write'", with exit 1 whatever it had found."""
    return open(os.devnull, "w", encoding="utf-8")  # open for the rest of the process


def _ignore_ctrl_c_from_now() -> None:
    """Once the command has finished, Ctrl+C has nothing left to stop: a second one (after the
    first stopped a run) landing while Python shuts down would end as a traceback from an exit
    handler (torch registers some)."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        pass


if __name__ == "__main__":
    sys.exit(main())
