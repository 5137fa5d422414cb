"""Writing the result: stdout, or a file written atomically, never overwritten by accident."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmtrack.errors import OutputError


def note(message: str) -> None:
    """Something the user should know that is not the result: stderr, so pipes stay clean."""
    sys.stderr.write(message + "\n")


def write_detail(fmt: str, text: Callable[[], str], record: Callable[[], Any]) -> None:
    """A detail view (`show`, `estimate`) to stdout: ``text()`` for a person, or ``record()``
    as JSON or YAML; each is made only when asked for."""
    if fmt == "text":
        write_output(text(), None)
    elif fmt == "json":
        write_output(json.dumps(record(), indent=2, ensure_ascii=False) + "\n", None)
    else:
        from llmtrack.output.formats import to_yaml

        write_output(to_yaml(record()), None)


def write_output(text: str, output: str | None, force: bool = False) -> None:
    """Print to stdout, or write ``output`` atomically; an existing file needs ``force``.

    A regular file is written to a temporary file beside it and renamed over it, so a
    failure leaves any existing file as it was. A device or pipe (``/dev/null``, a FIFO)
    is written to directly: renaming over one would replace it."""
    if output is None or output == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, a closed terminal
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None
        return
    target = Path(output)
    if target.is_dir():
        raise OutputError(f"cannot write {output}: it is a directory")
    if target.exists() and not target.is_file():
        _write_directly(target, text, output)
        return
    if target.exists() and not force:
        raise OutputError(f"{output} already exists; use --force to overwrite it")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {output}: folder {folder} does not exist")
    import tempfile

    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=folder,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        ) as tmp:
            tmp_name = tmp.name
            tmp.write(text)
        os.replace(tmp_name, target)
    except OSError as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None


def _write_directly(target: Path, text: str, output: str) -> None:
    try:
        with target.open("w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
