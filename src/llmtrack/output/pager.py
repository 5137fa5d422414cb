"""Output taller than the terminal goes through a pager, as gh and git do it: the command
from ``Env.pager`` (LLMTRACK_PAGER, PAGER, else ``less -FRX``), never in a pipe or a file,
never with ``--no-pager``.

The command is split as a shell would split its words but run without a shell, so nothing
in it is executed but the program it names. ``LESS=FRX`` is set when the user has no
``LESS`` of their own: quit when it fits a screen, keep colours, leave the text on screen.
Ctrl-C belongs to the pager while it runs.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys

from llmtrack.output.env import Env


def page(text: str, env: Env) -> bool:
    """Show ``text`` through the pager when it is taller than the terminal; False when it
    should be printed as usual (short, no pager, or the pager cannot be started)."""
    if not env.pager or not env.rows or text.count("\n") < env.rows:
        return False
    try:
        argv = shlex.split(env.pager)
    except ValueError:  # an unbalanced quote
        argv = []
    if not argv:
        return _unusable(env.pager, "it is not a command")
    environ = dict(os.environ)
    environ.setdefault("LESS", "FRX")
    environ.setdefault("LV", "-c")  # lv, another common pager: keep colours
    sys.stdout.flush()
    sys.stderr.flush()
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=environ)
        except OSError as exc:
            return _unusable(env.pager, exc.strerror or str(exc))
        assert process.stdin is not None
        try:
            process.stdin.write(text.encode(env.encoding or "utf-8", "backslashreplace"))
            process.stdin.close()
        except BrokenPipeError:  # the reader quit before the end: nothing lost
            pass
        process.wait()
    finally:
        signal.signal(signal.SIGINT, interrupt)
    return True


def _unusable(command: str, why: str) -> bool:
    from llmtrack.output.safe_text import safe_text

    shown = safe_text(command, keep_lines=False)
    sys.stderr.write(f"warning: cannot start the pager {shown!r} ({why}); printing instead\n")
    return False
