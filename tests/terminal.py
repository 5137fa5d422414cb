"""Running llmtrack as a person at a prompt sees it: stdout on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys


def on_a_terminal(*args: str, columns: int = 120, env=None, rows: int = 0) -> tuple[int, str]:
    """The exit code and the screen (stdout on a pty) of ``llmtrack ARGS``."""
    code, screen, _ = on_a_terminal_with_stderr(*args, columns=columns, env=env, rows=rows)
    return code, screen


def on_a_terminal_with_stderr(
    *args: str, columns: int = 120, env=None, rows: int = 0, stdin=subprocess.DEVNULL
) -> tuple[int, str, str]:
    """The exit code, the screen and stderr (kept apart) of ``llmtrack ARGS`` on a pty
    ``columns`` wide (and ``rows`` high, when given)."""
    leader, follower = pty.openpty()
    base = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm"}
    if rows:
        base["LINES"] = str(rows)
    base.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "llmtrack", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        stdin=stdin,
        env={**base, **(env or {})},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.wait(timeout=60)
    os.close(leader)
    return process.returncode, b"".join(chunks).decode(), stderr


def visible(screen: str) -> str:
    """What a person sees: the text without its colour and style escapes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", screen)
