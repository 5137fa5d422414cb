"""typer's parameter coercion, skipped where its answer is already known.

typer 0.29 checks every parameter's value with a pydantic ``TypeAdapter``, built when the
value is first processed: about a millisecond each, and the first one imports pydantic's
schema machinery (``typer._adapters``, ``pydantic.fields``, the plugin loader and
``importlib.metadata``), which is half of what typer's own hello world spends starting.
Most of llmtrack's values need none of it: a string option given as a string, a repeated
string option, a number written in plain digits, a default that typer would hand back
unchanged, an option not given at all. For those this returns what the adapter would, and
leaves everything else (a number out of its range, a sign or an exponent, a custom parser)
to typer, which also words the errors. So a command given only such values never imports
pydantic.

``tests/test_structure.py`` pins the equivalence for every parameter of every command,
against typer's own ``process_value``; a typer without these internals is left as it is.
"""

from __future__ import annotations

from typing import Any

ORIGINAL_PROCESS_VALUE: list = [None]  # typer's own, for the test that pins the shortcut

UNKNOWN = object()  # "ask typer"


def known_value(param: Any, value: Any) -> Any:
    """What typer's coercion would return for ``value``, or ``UNKNOWN``."""
    described = getattr(param, "type_descriptor", None)
    info = getattr(described, "parameter_info", None)
    if described is None or info is None:
        return UNKNOWN
    annotation = described.annotation
    many = param.multiple or param.nargs == -1
    if value is None:  # not given: no parser runs on it either
        return () if many else None
    if getattr(info, "parser", None) is not None:
        return UNKNOWN
    if many:
        if not isinstance(value, (list, tuple)):
            return UNKNOWN
        if value == ():
            return []
        if annotation == list[str] and all(type(item) is str for item in value):
            return list(value)
        return UNKNOWN
    if annotation is str and type(value) is str:
        return value
    number = _plain_number(annotation, value)
    if number is not None:
        low, high = info.min, info.max
        if (low is None or number >= low) and (high is None or number <= high):
            return number
    return UNKNOWN


def _plain_number(annotation: Any, value: Any) -> int | float | None:
    """A default of the annotation's own type, or text of plain digits (``4096``, ``0.5``):
    the number pydantic would read from it. Anything else (signs, exponents, underscores,
    spaces) is left to typer, which also words the errors."""
    if annotation not in (int, float):
        return None
    if type(value) is annotation:
        return value
    if type(value) is not str or not 0 < len(value) <= 15:
        return None
    whole, dot, fraction = value.partition(".")
    if not whole.isascii() or not whole.isdigit():
        return None
    if annotation is int:
        return None if dot else int(whole)
    if dot and not (fraction.isascii() and fraction.isdigit()):
        return None
    return float(value)


class _Known:
    """A stand-in for typer's runtime parameter that returns the value worked out above."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        return self.value


def skip_known_coercions() -> None:
    """Install the shortcut on typer's parameter class (once)."""
    from typer import core

    parameter = getattr(core, "_TyperParameter", None)
    original = getattr(parameter, "process_value", None)
    if parameter is None or original is None or getattr(original, "_llmtrack", False):
        return
    ORIGINAL_PROCESS_VALUE[0] = original

    def process_value(self, ctx, value):
        if getattr(self, "_runtime_param", UNKNOWN) is not None:  # built, or not typer's
            return original(self, ctx, value)
        known = known_value(self, value)
        if known is UNKNOWN:
            return original(self, ctx, value)
        # typer's own checks and callbacks still run, on the value its adapter would give
        self._runtime_param = _Known(known)
        try:
            return original(self, ctx, value)
        finally:
            self._runtime_param = None

    process_value._llmtrack = True  # type: ignore[attr-defined]
    parameter.process_value = process_value
