"""Domain errors. Each carries the exit code the command line promises for it."""

from __future__ import annotations

from typing import NamedTuple

EXIT_OK = 0
EXIT_ERROR = 1  # runtime or data error: unknown name, invalid catalog, unwritable output
EXIT_USAGE = 2  # a bad option value
EXIT_INTERRUPTED = 130


class LlmtrackError(Exception):
    """An error the user can act on; the CLI prints it as one line, no traceback."""

    exit_code = EXIT_ERROR


class UsageError(LlmtrackError):
    exit_code = EXIT_USAGE


class NotApplicable(UsageError):
    """A recipe that does not apply to a model (MXFP4 on a dense one, training a GGUF file):
    an error for one estimate, a row left out (and said) when `fits` tries every model."""


class NotFoundError(LlmtrackError):
    """A name that matches nothing, or more than one thing."""


class OutputError(LlmtrackError):
    """The result could not be written where the user asked."""


class Problem(NamedTuple):
    """One thing wrong with a catalog file, located as precisely as we can."""

    file: str
    line: int | None
    column: int | None
    entry: str | None
    field: str | None
    message: str
    severity: str = "error"  # or "warning": reported, but the file is still usable

    def __str__(self) -> str:
        """FILE:LINE:COL: entry.field: message, as `validate` and a failed load print it.
        The file's name, the entry and the field come from the user's file, and so may the
        message: control, bidirectional and zero-width characters in them are shown as
        escapes (``safe_text``); only the message keeps its line breaks (a YAML parser's
        message points at the place on a second line)."""
        from llmtrack.output.safe_text import safe_text

        where = safe_text(self.file, keep_lines=False)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        what = ".".join(
            safe_text(part, keep_lines=False) for part in (self.entry, self.field) if part
        )
        message = safe_text(self.message)
        message = f"warning: {message}" if self.severity == "warning" else message
        return f"{where}: {what}: {message}" if what else f"{where}: {message}"


class CatalogError(LlmtrackError):
    """A catalog file that cannot be used; lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        files = sorted({p.file for p in errors})
        count = len(errors)
        from llmtrack.output.safe_text import safe_text

        names = safe_text(", ".join(files), keep_lines=False)
        super().__init__(f"invalid catalog file {names}: {count} problem{'s' if count > 1 else ''}")
