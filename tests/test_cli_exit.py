"""The ``socsim`` console script (``sim.cli.main``) ends without the interpreter's teardown, yet a
user sees what ``app`` printed and its exit status, exit handlers run, and a live thread is waited for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Exit handlers registered before the command (as a library the command uses would) and an
# object only the interpreter's teardown would free, which says so when it is.
_PRELUDE = """
import atexit, sys, threading, time
atexit.register(lambda: print("exit handler ran", flush=True))
class Left:
    def __del__(self):
        print("torn down")
left = Left()
"""


def _console(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` then ``main()`` with ``args``, stdout a block-buffered pipe."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    script = f"{_PRELUDE}\n{code}\nsys.argv[1:] = {list(args)!r}\nfrom sim.cli import main\nmain()"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, status, said", [
    (("--version",), 0, "socsim "),
    (("validate", "no_such_file.yaml"), 1, "no_such_file.yaml"),
    (("no-such-command",), 2, "No such command"),
])
def test_main_keeps_the_output_and_status_and_skips_the_teardown(args, status, said):
    done = _console("", *args)
    assert done.returncode == status, done.stderr
    assert said in done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("exit handler ran")  # after everything the command printed
    assert "torn down" not in done.stdout  # the quick exit: no teardown


def test_a_thread_still_running_gets_the_usual_exit():
    """The interpreter waits for a thread that is not a daemon: so does main (its output is not lost)."""
    done = _console("threading.Thread(target=lambda: (time.sleep(0.5), print('thread done'))).start()", "--version")
    assert done.returncode == 0, done.stderr
    assert "thread done" in done.stdout and "exit handler ran" in done.stdout
    assert "torn down" in done.stdout  # the negative control of the test above: a full teardown
