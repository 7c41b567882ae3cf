"""A design read from standard input: ``-`` in place of a design file (``layerloom validate -``,
``cat cnn.json | layerloom codegen - -o model.py``), in every command that reads one design
(validate, summary, codegen, export, train, sweep, lr-find). It is read once, on first use,
and kept for the command's later reads (train checks the design, then reads it to run it);
messages name it ``<stdin>``, with the line as for a file (``<stdin>, line 15``).

``-`` was looked up as a file, then as a template's name: "-: no such file, nor a template of
that name", exit 1, however the design was piped in.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from layerloom.graph import GraphError
from layerloom.graph.io import MAX_FILE_BYTES, decode_graph_bytes

DASH = "-"
NAME = "<stdin>"
HOW = "pipe a design into it (layerloom validate - < cnn.json), or give the design's file"

# train --nproc: the file holding what the first process read, which each process it starts
# reads as its stdin (the first to read stdin had taken it all, the others found it empty)
PASSED_ON = "LAYERLOOM_STDIN_DESIGN"

_kept: dict[str, object] = {}  # what stdin gave, for this command: see forget


def is_stdin(path) -> bool:
    """Whether ``path`` (a command's design argument) means standard input."""
    return path == DASH


def shown(path) -> str:
    """``path`` as messages name it: ``<stdin>`` for ``-``."""
    return NAME if is_stdin(path) else str(path)


def forget() -> None:
    """Start a command afresh (``cli.main``): what an earlier one read is not this one's."""
    _kept.clear()


def stdin_text() -> str:
    """The design's text from standard input, read on the first call and kept; a GraphError
    (``unreadable``: exit 2) naming ``<stdin>`` where there is none to read, or it is no
    UTF-8 text (the same error again on later calls)."""
    if "text" not in _kept:
        try:
            _kept["text"] = _read()
        except GraphError as exc:
            _kept["text"] = exc
    kept = _kept["text"]
    if isinstance(kept, GraphError):
        raise kept
    return kept


@contextlib.contextmanager
def passed_on():
    """While it lasts, the processes started (``train --nproc``) read as ``-`` the design this
    one read from stdin (a GraphError where there is none, raised before they start)."""
    text = stdin_text()
    folder = tempfile.mkdtemp(prefix="layerloom-stdin-")
    path = Path(folder) / "design.json"
    before = os.environ.get(PASSED_ON)
    try:
        path.write_text(text, encoding="utf-8")
        os.environ[PASSED_ON] = str(path)
        yield
    finally:
        if before is None:
            os.environ.pop(PASSED_ON, None)
        else:
            os.environ[PASSED_ON] = before
        path.unlink(missing_ok=True)
        os.rmdir(folder)


def _read() -> str:
    passed = os.environ.get(PASSED_ON)
    if passed:  # a process of train --nproc: its parent read stdin
        try:
            return Path(passed).read_text(encoding="utf-8")
        except OSError as exc:
            raise GraphError(f"cannot read the design its first process read from standard "
                             f"input ({exc.strerror or exc})", file=NAME, unreadable=True) from None
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):  # layerloom validate - <&-
        raise GraphError(f"standard input is closed; {HOW}", file=NAME, unreadable=True)
    try:
        if stream.isatty():  # typed or pasted: without a word it looks hung
            print("reading the design from standard input: paste it, then press Ctrl+D on a "
                  "line of its own (or give the design's file instead of -)", file=sys.stderr)
        binary = getattr(stream, "buffer", None)
        raw = binary.read(MAX_FILE_BYTES + 1) if binary is not None else \
            stream.read(MAX_FILE_BYTES + 1).encode("utf-8")
    except OSError as exc:  # < a folder: "Is a directory"
        raise GraphError(f"cannot read standard input ({exc.strerror or exc}); {HOW}",
                         file=NAME, unreadable=True) from None
    except (ValueError, UnicodeDecodeError) as exc:  # closed; a text stream not UTF-8
        raise GraphError(f"cannot read standard input ({exc}); {HOW}", file=NAME,
                         unreadable=True) from None
    if len(raw) > MAX_FILE_BYTES:
        raise GraphError(f"the design is larger than {MAX_FILE_BYTES // 2**20} MiB", file=NAME,
                         unreadable=True)
    if not raw.strip():
        raise GraphError(f"nothing came on standard input (it is empty); {HOW}", file=NAME,
                         unreadable=True)
    return decode_graph_bytes(raw, NAME)
