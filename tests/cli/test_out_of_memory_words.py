"""Out of memory on the command line: where the process has a memory limit (``ulimit -v``, as
on a shared machine or in a container), the error names that limit and how to raise it; it said
'the input asks for more than this machine has' when loading mnist-5k under a 1 GiB limit on a
machine with 23 GiB free."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from layerloom.cli.common import report_exception

SAY = ("import sys; from layerloom.cli.common import report_exception; "
       "sys.exit(report_exception(MemoryError(), debug=False))")


def test_a_memory_limit_is_named_with_how_to_raise_it():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and hard < 6 * 1024**3:
        pytest.skip("this machine's hard memory limit is lower than the one set here")
    done = subprocess.run(
        [sys.executable, "-c", "import resource; resource.setrlimit(resource.RLIMIT_AS, "
         f"({6 * 1024**3}, {hard})); " + SAY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    first = done.stderr.splitlines()[0]
    assert first == ("error: out of memory: this process may use at most 6.0 GiB (its limit, "
                     "set by ulimit -v) and needed more; raise that limit (ulimit -v "
                     "unlimited), or try a smaller batch size, design or dataset"), first


def test_without_a_limit_it_says_the_machine_and_what_to_try(capsys):
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        pytest.skip("this process runs under a memory limit")
    assert report_exception(MemoryError(), debug=False) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first == ("error: out of memory: this machine has too little free memory for it; "
                     "close other programs, or try a smaller batch size, design or dataset")
