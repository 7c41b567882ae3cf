"""Helpers shared by the CLI commands: reading and validating a graph with clear errors,
printing problems, the ``--set`` option."""

from __future__ import annotations

import argparse
import errno

import os
import shlex
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from layerloom.graph import Graph, GraphError, Report, load_graph, validate
from layerloom.graph.suggest import did_you_mean
from layerloom.graph.io import loads_graph
from layerloom.graph.templates import load_template, template_names

from .design_stdin import NAME as STDIN_NAME
from .design_stdin import is_stdin, shown, stdin_text

try:  # imported here, not once memory has run out: loading it then fails too
    import resource
except ImportError:  # not on Windows
    resource = None

EXIT_INVALID = 1
EXIT_UNREADABLE = 2
NO_HOME = ("there is no folder for LayerLoom's home (~/.layerloom): HOME is not set, and this "
           "user has no home folder; set LAYERLOOM_HOME (or give --home DIR) to a folder you "
           "can write")
EXIT_USAGE = 2  # a command line that is not understood (argparse's code), as --help says
EXIT_PIPE = 141  # 128 + SIGPIPE, as a tool killed by a closed pipe ends
# a file argument given as "" (a shell variable not set: layerloom train "$GRAPH")
EMPTY_NAME = "the file's name is empty (a shell variable not set, such as \"$GRAPH\"?)"

# Control characters (C0, DEL, C1) written as escapes (the stream keeps newline, tab, return):
# user text (a node id, a graph's name) holding terminal escape sequences is shown, not obeyed.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})
_STREAM_CONTROLS = {c: e for c, e in _CONTROLS.items() if chr(c) not in "\n\t\r"}


def printable(text) -> str:
    """``text`` (any object, as ``str``) with every control character escaped, newlines and tabs
    included (``ESC`` becomes the four characters ``\\x1b``, a newline ``\\n``): the one way the
    CLI shows user text (ids, names, file names) in a line."""
    return str(text).translate(_CONTROLS)


class SafeStream:
    """A text stream that writes through ``stream`` with control characters escaped (newline,
    tab and carriage return kept: they lay out the CLI's own lines). ``main`` puts one over
    stdout and stderr, so that no message, whichever its source, can carry an escape sequence
    to the terminal."""

    def __init__(self, stream, name: str | None = None):
        self.stream, self.name = stream, name  # name: "standard output", said in an error

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text.translate(_STREAM_CONTROLS))
        except OSError as exc:
            self._named(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            self._named(exc)

    def _named(self, exc: OSError) -> None:
        """``exc`` raised again, naming this stream where it names no file: ``codegen g.json >
        model.py`` on a full disk said '[Errno 28] No space left on device', not of what."""
        if exc.filename is None and self.name:
            exc.filename = self.name
        _unless_terminal_gone(exc)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _unless_terminal_gone(exc: OSError) -> None:
    """Raise ``exc`` again unless it says the terminal is gone (EIO: its window was closed, the
    SIGHUP that says so on its way): then what the command writes goes to /dev/null, and the
    command goes on to stop cleanly, as the SIGHUP asks (``cli.signals``), instead of failing
    on a progress line nobody can read."""
    if exc.errno != errno.EIO:
        raise exc
    from .signals import detach_terminal

    detach_terminal()


def quiet_closed_pipe(stdout) -> int:
    """After a write to a closed pipe: point stdout at /dev/null, so that the interpreter's own
    flush at exit finds nothing to complain about, and return ``EXIT_PIPE``."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass
    return EXIT_PIPE


def print_traceback(exc: BaseException) -> None:
    """For ``--debug``: the traceback of ``exc`` on stderr, with those of the exceptions it was
    raised from or while handling, even where it was raised ``from None`` (the CLI turns a
    library's exception into a one-line message that way: the original is where it came
    from)."""
    seen, link = set(), exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__suppress_context__ = False
        link = link.__cause__ or link.__context__
    traceback.print_exception(exc, file=sys.stderr)


def print_error(exc: BaseException, message: str | None = None, *, debug: bool = False) -> None:
    """The ``error:`` line of a command that turns ``exc`` into words (``message``, else
    ``str(exc)``); with ``debug`` (``layerloom --debug``) the traceback of ``exc`` and of what
    it came from first."""
    if debug:
        print_traceback(exc)
    print(f"error: {message if message is not None else exc}", file=sys.stderr)


def report_exception(exc: BaseException, *, debug: bool) -> int:
    """Print ``exc`` as one ``error:`` line (with ``debug``, its traceback first) and return
    the exit code: ``EXIT_UNREADABLE`` for a file that cannot be read or written (OSError),
    ``EXIT_INVALID`` otherwise."""
    if debug:
        print_traceback(exc)
    message = str(exc) or type(exc).__name__
    about_a_file = isinstance(exc, OSError) and exc.filename is not None and exc.strerror
    said_whole = about_a_file  # no traceback to see
    if isinstance(exc, RuntimeError) and os.path.expanduser("~") == "~":
        # pathlib's "Could not determine home directory.", exit 1, from a command that keeps
        # runs (runs, train, export RUN_ID) where HOME is not set and the user has no entry
        # in the password database (a container run as another uid)
        print(f"error: {NO_HOME}", file=sys.stderr)
        return EXIT_UNREADABLE
    if isinstance(exc, RecursionError):
        message = "the input is nested too deeply to be read"
    elif isinstance(exc, MemoryError):
        from layerloom.runtime.address_limit import AddressLimitTooLow

        said_whole = isinstance(exc, AddressLimitTooLow)
        message = str(exc) if said_whole else out_of_memory()
    elif about_a_file:
        message = file_problem(exc)
    print(f"error: {printable(message)}", file=sys.stderr)
    if not debug and not said_whole:  # a file's problem, a limit too low: nothing to see
        print("(run `layerloom --debug ...` to see the traceback)", file=sys.stderr)
    return EXIT_UNREADABLE if isinstance(exc, OSError) else EXIT_INVALID


def out_of_memory(limit: int | None = None) -> str:
    """A MemoryError in words. ``limit``: the bytes this process may map (``ulimit -v``, read
    here where None); where one is set, it rather than the machine is usually what ran out.

    >>> out_of_memory(2 * 1024**3)[:73]
    'out of memory: this process may use at most 2.0 GiB (its limit, ulimit -v'
    """
    if limit is None and resource is not None:
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        limit = None if limit == resource.RLIM_INFINITY else limit
    if limit:
        return (f"out of memory: this process may use at most {limit / 1024**3:.1f} GiB (its "
                f"limit, set by ulimit -v) and needed more; raise that limit (ulimit -v "
                f"unlimited), or try a smaller batch size, design or dataset")
    return ("out of memory: this machine has too little free memory for it; close other "
            "programs, or try a smaller batch size, design or dataset")


def error_code(exc: BaseException) -> int:
    """The exit code of an error a command turned into words: ``EXIT_UNREADABLE`` for a file
    that cannot be read or written (an OSError, or one that says it is ``unreadable``: a data
    file that is not what its name says, such as a ``.npz`` that is no zip), ``EXIT_INVALID``
    for anything else (a file read whose contents are wrong)."""
    if isinstance(exc, CommandLineError):
        return EXIT_USAGE
    unreadable = isinstance(exc, OSError) or getattr(exc, "unreadable", False)
    return EXIT_UNREADABLE if unreadable else EXIT_INVALID


def missing_folder(*paths: str | Path | None) -> str | None:
    """For the first of ``paths`` (files a command will write) whose folder is not there: the
    problem in words, said before the command's work rather than after it; else None."""
    for path in paths:
        if path and not Path(path).parent.is_dir():
            if Path(path).parent.exists():  # out.txt/model.py
                return (f"{path}: {Path(path).parent} is a file, not a folder; give a path in "
                        f"a folder that exists")
            return (f"{path}: there is no folder {Path(path).parent} to put it in; make it "
                    f"first, or give a path in a folder that exists")
    return None


def file_problem(exc: OSError, path: str | Path | None = None) -> str:
    """An OSError about one file (``path``, else the error's own) in words, with what to do:
    ``out/why.png: there is no folder out to put it in; make it first, or give a path in a
    folder that exists``."""
    path = Path(path if path is not None else os.fsdecode(exc.filename))
    parent = path.parent
    if isinstance(exc, FileNotFoundError) and not parent.is_dir() or isinstance(
            exc, NotADirectoryError) and parent.exists() and not parent.is_dir():
        return missing_folder(path)
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, PermissionError):
        return (f"{path}: permission denied; choose a file and folder you may use, or change "
                f"their permissions")
    if isinstance(exc, IsADirectoryError):
        return f"{path} is a folder; give the path of a file (in it, or elsewhere)"
    if exc.errno == errno.EROFS:
        return (f"{path}: it is on a read-only file system (a read-only disk or mount), where "
                f"nothing can be written; give a path in a folder you can write")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"{path}: {exc.strerror}: its disk is full; free some space there, or give a "
                f"path on another disk")
    if exc.errno == errno.EFBIG:
        return (f"{path}: {exc.strerror}: it is larger than this process may write (its file "
                f"size limit, ulimit -f) or than its file system takes; raise that limit, or "
                f"give a path on another disk")
    return f"{path}: {exc.strerror}"


def home_problem(home: Path, *, writable: bool = True) -> str | None:
    """Why ``home`` (made here if missing) cannot be LayerLoom's home, or None if it can.
    ``writable``: it must be writable too (the app saves designs there); reading the runs of a
    read-only home is fine."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((p for p in (*reversed(home.parents), home)
                         if p.exists() and not p.is_dir()), home)
        return f"{blocking} is a file, not a folder"
    except OSError as exc:
        return f"it cannot be made ({exc.strerror or exc})"
    if writable and not os.access(home, os.W_OK | os.X_OK):
        return "it cannot be written"
    return None


def unusable_home(given: str | None, *, writable: bool = True) -> str | None:
    """The message (for an ``error:`` line, exit 2) where LayerLoom's home cannot be used:
    ``given`` (``--home``), else ``$LAYERLOOM_HOME``, else ``~/.layerloom``, named as the user
    gave it; None where it can (it is made if missing: one the user named only where it is to
    be written, and said, see :func:`new_home`)."""
    missing = new_home(given, reading=not writable)
    if missing:
        return missing
    shown = given or os.environ.get("LAYERLOOM_HOME") or str(Path.home() / ".layerloom")
    problem = home_problem(Path(shown).expanduser(), writable=writable)
    if problem is None:
        return None
    return (f"cannot use {shown} as LayerLoom's home: {problem}; set LAYERLOOM_HOME (or "
            f"--home) to a folder you can write")


def new_home(given: str | None, *, reading: bool) -> str | None:
    """Where the home the user named (``given``, ``--home``, else ``$LAYERLOOM_HOME``) is not
    there, a mistyped path most likely: a command that reads runs from a ``--home`` gets the
    message refusing it (for an ``error:`` line, exit 2), with how to make it; one that records
    or saves makes it, saying so on stderr, and gets None. ``~/.layerloom``, the default, is
    made without a word, and so is ``$LAYERLOOM_HOME`` where runs are only read (a new
    checkout's ``export LAYERLOOM_HOME=$PWD/.layerloom``: 'no runs recorded in …' names it).

    The folder was made silently, so a typo gave an empty home where the user's runs seemed
    gone ('no runs recorded in …')."""
    shown = given or os.environ.get("LAYERLOOM_HOME")
    if not shown or (reading and not given):
        return None
    home = Path(shown).expanduser().absolute()
    if os.path.lexists(home) or not next(p for p in home.parents if p.exists()).is_dir():
        return None  # there, or under a file: home_problem says that
    origin = "--home" if given else "LAYERLOOM_HOME"
    if reading:
        return (f"{origin} {shown}: no such folder, so no runs are there (check the path); "
                f"to start a new, empty home there: mkdir -p {shlex.quote(shown)}")
    if home_problem(home) is None:
        print(f"note: {origin} {printable(shown)} did not exist: made it, a new, empty home "
              f"(runs and projects kept in another home are not here: check the path if you "
              f"meant one)", file=sys.stderr)
    return None


def missing_data_file(source: str) -> bool:
    """Whether ``--dataset`` names a file (a path with a suffix, as ``load_dataset`` reads one)
    that is not there: exit 2, as for any file that cannot be opened; a mistyped built-in name
    is wrong input (exit 1, with the name it was probably meant to be)."""
    path = Path(source)
    return bool(path.suffix) and not path.exists()


def positive_count(text: str) -> int:
    """An option's type for a count of at least 1 (argparse says so, exit 2, where it is not)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a count: give a whole number from 1")
    return value


def add_set_option(parser) -> None:
    """``--set NAME=VALUE`` (repeatable), read with :func:`parse_variables`."""
    parser.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help="override a graph variable (repeatable)")


def read_graph(path: str, *, templates: bool = False) -> Graph | None:
    """The graph at ``path``, or None after printing why it cannot be read.

    With ``templates``, as :func:`load_graph_or_template`.
    """
    return read_graph_or_code(path, templates=templates)[0]


def read_graph_or_code(path: str, *, templates: bool = False) -> tuple[Graph | None, int]:
    """``(graph, 0)``, or ``(None, exit code)`` after printing why there is none: see
    :func:`graph_error_code`. ``templates`` as in :func:`read_graph`."""
    try:
        return (load_graph_or_template(path) if templates or is_stdin(path)
                else load_graph(path)), 0
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, graph_error_code(exc)


def graph_error_code(exc: GraphError) -> int:
    """The exit code for a graph file that could not be loaded: ``EXIT_UNREADABLE`` when it
    cannot be read at all (missing, unreadable, not JSON), ``EXIT_INVALID`` when it is JSON but
    no valid graph (no "format", no "nodes", a list, a key given twice), as the README says."""
    return EXIT_UNREADABLE if getattr(exc, "unreadable", False) else EXIT_INVALID


def load_graph_or_template(path: str) -> Graph:
    """The graph file at ``path`` or, where there is no such file, the shipped template of that
    name (``seed-cnn``; a name ending in ``.json`` is always a file); GraphError otherwise:
    unreadable for a missing path, not for a name that is no template's (it names the closest)."""
    if is_stdin(path):  # layerloom validate - < cnn.json
        return loads_graph(stdin_text(), filename=STDIN_NAME)
    if not path.strip():  # read as ".", the current folder: "cannot read the file (Is a directory)"
        raise GraphError(f"{EMPTY_NAME}: give a graph file, such as cnn.json, or a template's name "
                         f"(layerloom templates lists them)", unreadable=True)
    if Path(path).is_dir():  # it said "cannot read the file (Is a directory)"
        raise GraphError(folder_given(Path(path)), unreadable=True)
    if Path(path).exists():
        return load_graph(path)
    if not path.endswith(".json") and path in template_names():
        return load_template(path)
    if not Path(path).suffix and "/" not in path:  # a name: a template's, mistyped (exit 1)
        names = template_names()
        hint = did_you_mean(path, names, cutoff=0.5)
        raise GraphError(f"no such file, nor a template of that name{hint}; the templates "
                         f"are: {', '.join(names)}", file=path)
    # Said here: load_graph would read a missing path that starts with "{" as JSON text.
    raise GraphError("no such file", file=path, unreadable=True)


def folder_given(folder: Path) -> str:
    """The words for a folder given where a design file goes, naming the designs in it."""
    try:
        designs = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".json")
    except OSError:
        designs = []
    shown = ", ".join(designs[:3]) + (", …" if len(designs) > 3 else "")
    return (f"{folder} is a folder; give the path of a design file (a .json)"
            + (f": it holds {shown}" if designs else ""))


@dataclass(frozen=True)
class LoadedGraph:
    """What :func:`load_valid_graph` found. ``code`` is the command's exit code so far: 0 when
    the graph is valid, ``EXIT_INVALID`` when it has errors (or is JSON but no graph: then
    ``graph`` and ``report`` are None), ``EXIT_UNREADABLE`` when it could not be read (then too)."""

    code: int
    graph: Graph | None = None
    variables: dict = field(default_factory=dict)
    report: Report | None = None


def load_valid_graph(path: str, set_items: list[str] | None, *, templates: bool = False,
                     warnings: bool = True) -> LoadedGraph:
    """Read the graph at ``path``, validate it with the ``--set`` overrides ``set_items`` and
    print its problems on stderr: always when it has errors, and its warnings when it is valid
    only if ``warnings``. ``templates`` as in :func:`read_graph`. In a command::

        loaded = load_valid_graph(args.graph, args.set)
        if loaded.code:
            return loaded.code
    """
    graph, code = read_graph_or_code(path, templates=templates)
    if graph is None:
        return LoadedGraph(code)
    variables = parse_variables(set_items)  # after reading: a missing file is said first
    report = validate(graph, variables)
    if warnings or not report.ok:
        print_problems(report, places(path, graph) if report.errors or report.warnings else None)
    return LoadedGraph(0 if report.ok else EXIT_INVALID, graph, variables, report)


def places(path: str, graph: Graph):
    """For the design file at ``path`` (read as ``graph``; ``-``: standard input, named
    ``<stdin>``): a function that gives the place of a problem's node in it, `` (design.json,
    line 15)``, or '' (no node, a template's name);
    None where ``path`` is no file, or a file of one line."""
    from layerloom.graph.file_lines import composite_types, node_lines, problem_lines

    try:
        text = stdin_text() if is_stdin(path) else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, GraphError):
        return None
    path = shown(path)  # <stdin>, line 15
    if "\n" not in text.strip():  # written on one line (by a script): a line tells nothing
        return None
    lines = node_lines(text)
    types = composite_types(graph)

    def place(problem) -> str:
        found = problem_lines(lines, types, problem.node)
        if len(found) > 1:  # nodes that share an id
            return f" ({path}, lines {', '.join(map(str, found[:-1]))} and {found[-1]})"
        return f" ({path}, line {found[0]})" if found else ""

    return place if lines else None


def print_problems(report, place=None) -> None:
    """One line per problem; a node id holding a newline or an escape cannot forge another.
    ``place`` (see :func:`places`) adds where an error's or warning's node is in the file."""
    for problem in report.errors:
        print(f"error: {printable(problem)}{printable(place(problem)) if place else ''}",
              file=sys.stderr)
    for problem in report.warnings:
        print(f"warning: {printable(problem)}{printable(place(problem)) if place else ''}",
              file=sys.stderr)
    for problem in getattr(report, "infos", []):  # e.g. a shape not checked behind an error
        print(f"note: {printable(problem)}", file=sys.stderr)


class CommandLineError(Exception):
    """An option's value that is not understood (``--set width``): its ``error:`` line, exit
    ``EXIT_USAGE``, as argparse's own refusals (``main`` and ``error_code`` say so)."""


def parse_variables(items: list[str] | None) -> dict:
    """``["width=2", "depth=1.5"]`` → ``{"width": 2, "depth": 1.5}``; CommandLineError for an
    item that is not so."""
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise CommandLineError(f"--set expects NAME=NUMBER, got {item!r}")
        try:
            number = float(value)
        except ValueError:
            raise CommandLineError(f"--set {name}: {value!r} is not a number") from None
        out[name.strip()] = int(number) if number.is_integer() else number
    return out
