"""What each command reads and what it writes, said at the end of its ``--help``: a script's
author learns from ``layerloom train --help`` that the run goes into ``runs.db`` under the home,
and from ``layerloom import-torch --help`` that the model's file is run as Python, not read as
data. One table, so that a command added without its line is caught by the test that sweeps it.
"""

from __future__ import annotations

HOME = "the home ($LAYERLOOM_HOME, ~/.layerloom unless set; --home DIR)"

READS_WRITES = {
    "app": (f"reads and writes {HOME}: the designs (projects), runs.db and the runs' "
            "checkpoints; serves the designer on the address it prints"),
    "validate": ("reads the graph file (or a template), and with --dataset the data; writes "
                 "nothing: problems go to stderr, exit 1"),
    "summary": "reads the graph file (or a template); writes nothing but the table (or --json)",
    "templates": "reads the templates shipped with LayerLoom; writes nothing but the list",
    "new": ("reads a shipped template; writes FILE (NAME.json by default, '-' prints it), "
            "never over an existing file without --force"),
    "codegen": ("reads the graph file (or a template); writes the module to FILE (else "
                "prints it), never over the design and over another file only with --force"),
    "train": (f"reads the graph file (or a template), the data and --weights; writes the run "
              f"(its settings and metrics into runs.db, its checkpoints under runs/ID/) into "
              f"{HOME}, nothing with --no-record"),
    "runs": f"reads runs.db in {HOME}; writes nothing",
    "resume": (f"reads the run's settings, data and last checkpoint from {HOME}; writes its "
               f"further epochs into the same run"),
    "sweep": (f"reads the graph file (or a template) and the data; writes the sweep and each "
              f"trial's run into {HOME}"),
    "lr-find": ("reads the graph file (or a template) and the data; writes nothing but the "
                "suggested rate (or --json)"),
    "export": (f"reads the graph file or template (fresh weights, or --weights), or run ID's "
               f"trained weights from {HOME}; writes -o PATH (default: named after the graph, "
               f"in the current folder; a folder for bundle and project), never over an "
               f"existing file without --force, and loads it back to check it"),
    "import-torch": ("runs the model's Python file or module as Python runs an import (its "
                     "code runs: import only code you trust); writes GRAPH.json and, with "
                     "--weights, the weights, never over existing files without --force"),
    "import-onnx": ("reads the ONNX file as data (nothing in it runs as Python); writes "
                    "GRAPH.json and, with --weights, the weights, never over existing files "
                    "without --force"),
    "explain": (f"reads run ID's trained weights from {HOME} and the --input file; prints the "
                f"class and what counted most, and writes the map to -o PNG and --heatmap NPY "
                f"where given, never over an existing file without --force"),
}


def say_reads_writes(subparsers) -> None:
    """Put each command's line after its options in its ``--help``."""
    for name, parser in subparsers.choices.items():
        said = READS_WRITES.get(name)
        if said:
            line = f"{said[0].upper()}{said[1:]}."
            parser.epilog = f"{parser.epilog}\n\n{line}" if parser.epilog else line
