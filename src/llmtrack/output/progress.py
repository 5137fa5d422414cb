"""A progress bar for slow catalog loads: on a terminal only, and only once a load has taken
more than a second (a cached catalog loads in milliseconds and shows nothing)."""

from __future__ import annotations

import sys
import time
from typing import Any

SHOW_AFTER_SECONDS = 1.0


class LoadProgress:
    """Call it as (label, done, total); it draws a rich bar on stderr when worth it."""

    def __init__(self, stream=None):
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._started < SHOW_AFTER_SECONDS:
                return
            if not getattr(self._stream, "isatty", lambda: False)():
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)
        self._bar.update(self._task, description=label, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
