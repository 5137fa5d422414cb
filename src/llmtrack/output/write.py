"""Writing the result: stdout, or the one file the user named, never overwritten by accident.

``-o FILE`` changes exactly that file. A regular file is written to a temporary file in
the same folder and renamed over the name, so a failure or an interrupt leaves what was
there as it was, and no temporary file behind. What is not a regular file (a terminal,
``/dev/null``, a pipe or FIFO, ``/dev/stdout``, ``/dev/fd/N``, ``/proc/PID/fd/N``) is
written straight through: renaming over it would replace the device or the link."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import IO, Any

from llmtrack.errors import OutputError
from llmtrack.output.env import Env

# What an output file's extension says its format is; a command takes it when it has it.
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}

# the usual extension of each format (the first that EXTENSION_FORMATS lists for it)
_EXTENSION_OF = {fmt: ext for ext, fmt in reversed(list(EXTENSION_FORMATS.items()))}

# A name for an open file descriptor: written through, never renamed over.
_DESCRIPTOR = r"/dev/(fd/\d+|std(in|out|err))|/proc/(self|thread-self|\d+)(/task/\d+)?/fd/\d+"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def note(message: str) -> None:
    """Something the user should know that is not the result: stderr, so pipes stay clean.
    A note may quote catalog text (a name): shown inert, as every renderer shows it."""
    from llmtrack.output.safe_text import safe_text

    sys.stderr.write(safe_text(message) + "\n")


def to_stdout(output: str | None) -> bool:
    return output is None or output == "-"


def file_format(output: str | None, allowed: Sequence[str], fallback: str) -> str | None:
    """The format for ``-o FILE``: what its extension names, when the command has that
    format, else ``fallback``; None for stdout (the command's own default applies)."""
    if to_stdout(output):
        return None
    assert output is not None
    fmt = EXTENSION_FORMATS.get(os.path.splitext(output)[1].lower())
    return fmt if fmt in allowed else fallback


def refuse_a_name_for_another_format(
    fmt: str, output: str | None, allowed: Sequence[str], suggestion: str | None = None
) -> None:
    """-o FILE whose extension names a format other than the one about to be written: a
    ``.json`` file holding YAML (or a ``.csv`` holding text) is misread by whatever opens it
    by its name, so it is exit 2, and the message says what would work (``suggestion``,
    else the name with the format's own extension)."""
    from llmtrack.errors import UsageError

    if to_stdout(output):
        return
    assert output is not None
    if not output.strip():
        raise UsageError("-o needs a file name (or - for stdout)")
    extension = os.path.splitext(output)[1].lower()
    named = EXTENSION_FORMATS.get(extension)
    if named is None or named == fmt:
        return
    suggestion = suggestion or os.path.splitext(output)[0] + _EXTENSION_OF.get(fmt, ".txt")
    place = "folder" if suggestion.endswith(os.sep) else "file"  # CSV of several sections
    if named in allowed:  # only a typed --format differs from a format the extension names
        raise UsageError(
            f"--format {fmt} would write {fmt} into {extension} file {output!r}: give a "
            f"{place} name for {fmt} (e.g. {suggestion!r}), or drop --format to write {named}"
        )
    raise UsageError(
        f"{extension} names {named}, which this command does not write "
        f"({', '.join(allowed)}): name the {place} for the format written, e.g. {suggestion!r} "
        f"for {fmt}"
    )


def output_env(env: Env, output: str | None) -> Env:
    """What the result is rendered for: the terminal's environment for stdout; for a file,
    no colour and no terminal, at the terminal's width."""
    return env if to_stdout(output) else Env(False, env.width, False, "utf-8")


def write_detail(
    fmt: str,
    text: Callable[[], str],
    record: Callable[[], Any],
    output: str | None = None,
    force: bool = False,
    env: Env | None = None,
) -> None:
    """A detail view (`show`, `estimate`): ``text()`` for a person (paged on a terminal when
    ``env`` says so), or ``record()`` as JSON or YAML; each is made only when asked for."""
    if fmt == "text":
        write_output(text(), output, force, env)
    elif fmt == "json":
        write_output(json.dumps(record(), indent=2, ensure_ascii=False) + "\n", output, force)
    else:
        from llmtrack.output.formats import to_yaml

        write_output(to_yaml(record()), output, force)


def write_output(
    text: str | bytes, output: str | None, force: bool = False, env: Env | None = None
) -> None:
    """Print to stdout (through the pager when ``env`` has one and the text is taller than
    the terminal), or write ``output``; an existing name needs ``force``.

    ``--force`` onto a symlink replaces the link, not what it points to, and onto a file
    keeps the file's permissions (and its owner, where it can; a note says when it cannot,
    or when other hard links keep the old contents). A new file gets ``0666 & ~umask``,
    as any program's does."""
    if to_stdout(output):
        try:
            if isinstance(text, bytes):  # a database: never to a terminal (the caller checks)
                sys.stdout.flush()
                sys.stdout.buffer.write(text)
                sys.stdout.buffer.flush()
            else:
                from llmtrack.output.pager import page

                if env is None or not page(text, env):
                    sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, a closed terminal
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None
        return
    assert output is not None
    if os.path.isdir(output):
        raise OutputError(f"cannot write {output}: it is a directory")
    if _written_through(output):
        _write_through(output, text)
        return
    try:
        old = os.lstat(output)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None
    if old is not None and not force:  # a dangling symlink too: lexists, not exists
        raise OutputError(f"{output} already exists; use --force to overwrite it")
    folder = os.path.dirname(output) or "."
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {output}: folder {folder} does not exist")
    keep = old if old is not None and stat.S_ISREG(old.st_mode) else None
    _replace(output, folder, text, keep)


def _written_through(output: str) -> bool:
    """A device, a pipe or FIFO, a socket, or a name for a file descriptor (checked at
    every link from the name to what it points to)."""
    try:
        mode = os.stat(output).st_mode
    except OSError:  # missing, a dangling link, or no access: decided below
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return True
    return any(re.fullmatch(_DESCRIPTOR, name) for name in _links(output))


def _links(path: str) -> Iterator[str]:
    """``path`` and each name its chain of symlinks leads through, made absolute."""
    for _ in range(40):  # the kernel's own limit on following links
        path = os.path.abspath(path)
        yield path
        try:
            path = os.path.join(os.path.dirname(path), os.readlink(path))
        except OSError:  # not a link (or unreadable): the end of the chain
            return


def _write_through(output: str, text: str | bytes) -> None:
    """Open and write: no temporary file, no rename. Appending, so a ``>>`` redirect behind
    ``/dev/stdout`` keeps what it had; a device or a pipe has no end to seek to."""
    try:
        fd = os.open(output, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        with _opened(fd, text) as handle:
            if isinstance(text, bytes) and os.isatty(fd):
                raise OutputError(f"cannot write {output}: a terminal, and the output is binary")
            handle.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None


def _opened(fd: int, text: str | bytes) -> IO[Any]:
    """The descriptor as a file for ``text``: binary for bytes, UTF-8 for text."""
    if isinstance(text, bytes):
        return open(fd, "wb")
    return open(fd, "w", encoding="utf-8")


def _replace(output: str, folder: str, text: str | bytes, keep: os.stat_result | None) -> None:
    """Write a temporary file beside ``output`` and rename it over the name. An interrupt
    (Ctrl-C, SIGTERM, SIGHUP) removes the temporary file, then ends the run as it would
    have: the name keeps what it had."""
    base = os.path.basename(output)
    temp = _Temporary()
    try:
        with _interrupts_remove(temp):
            try:
                while temp.path is None:
                    name = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
                    with _signals_held():  # no interrupt between making it and knowing it
                        try:  # 0666, less the umask: the mode every new file gets
                            fd = os.open(name, _CREATE, 0o666)
                        except FileExistsError:
                            continue
                        temp.path = name
                with _opened(fd, text) as handle:
                    if keep is not None:
                        _keep_mode_and_owner(handle.fileno(), keep, output)
                    handle.write(text)
                    handle.flush()
                    _sync(handle.fileno())
                os.replace(temp.path, output)
                temp.renamed = True
            finally:
                temp.remove()
    except _Interrupted as interrupt:
        _die_of(interrupt.signum)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from None


def _keep_mode_and_owner(fd: int, old: os.stat_result, output: str) -> None:
    """The replaced file's permissions and owner on the new one (chown first: it clears
    set-id bits); one note when the owner cannot be kept or other hard links stay behind."""
    problems = []
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            problems.append(
                f"its owner ({old.st_uid}:{old.st_gid}) could not be kept, the new file is yours"
            )
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if old.st_nlink > 1:
        others = old.st_nlink - 1
        links = f"{others} other hard links keep" if others > 1 else "other hard link keeps"
        problems.append(f"its {links} the old contents")
    if problems:
        note(f"{output} replaced: {'; '.join(problems)}")


def _sync(fd: int) -> None:
    """On the disk before the rename, so a crash leaves the old file or the new one."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system that cannot
            raise


def _remove(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)


class _Temporary:
    """The temporary file, once it exists; removed unless it was renamed over the name."""

    path: str | None = None
    renamed = False

    def remove(self) -> None:
        path, self.path = self.path, None
        if path is not None and not self.renamed:
            _remove(path)


class _Interrupted(BaseException):
    """SIGTERM or SIGHUP, raised where the write is so that its cleanup runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _interrupts_remove(temp: _Temporary) -> Iterator[None]:
    """While the temporary file may exist, SIGINT, SIGTERM and SIGHUP remove it and raise
    (KeyboardInterrupt for SIGINT) instead of ending the process where it is; a signal
    the caller ignores or handles itself is left to the caller."""
    raised: list[int] = []

    def remove_and_raise(signum: int, _frame: Any) -> None:
        temp.remove()
        if raised:  # a second signal while the first one's cleanup runs: already on it
            return
        raised.append(signum)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Interrupted(signum)

    previous: dict[int, Any] = {}
    for signum in _interrupts():
        try:
            handler = signal.getsignal(signum)
            if handler is signal.SIG_DFL or handler is signal.default_int_handler:
                previous[signum] = signal.signal(signum, remove_and_raise)
        except (ValueError, OSError):  # not the main thread: the signals stay as they are
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold the interrupts back (they arrive when this ends), where the system can."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _interrupts())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _interrupts() -> list[int]:
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


def _die_of(signum: int) -> None:
    """End as the signal would have ended the process: its parent sees the signal."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # where the signal cannot end the process
