"""Pure filtering, sorting and shaping of catalog rows: no typer, no rich."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmtrack import schema
from llmtrack.errors import UsageError

Predicate = Callable[[schema.Entry], bool]


def projects_on_bases(base_ids: Iterable[str]) -> Predicate:
    wanted = set(base_ids)
    return lambda project: bool(wanted & set(project.base_models))


def using_methods(methods: Iterable[str]) -> Predicate:
    wanted = set(methods)
    return lambda entry: bool(wanted & set(entry.methods))


def text_contains(attribute: str, needle: str) -> Predicate:
    """Case-insensitive substring match on a text attribute (``org``, ``family``, ...)."""
    folded = needle.casefold()
    return lambda entry: folded in (getattr(entry, attribute) or "").casefold()


def equals(attribute: str, value: object) -> Predicate:
    return lambda entry: getattr(entry, attribute) == value


def select(entries: Iterable[schema.Entry], predicates: Sequence[Predicate]) -> list[schema.Entry]:
    """Entries that pass every predicate (AND), in their original order."""
    return [entry for entry in entries if all(test(entry) for test in predicates)]


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False

    @classmethod
    def parse(cls, spec: str, valid: Sequence[str]) -> SortKey:
        """``params`` ascending, ``-params`` descending; the field must exist."""
        descending = spec.startswith("-")
        name = spec[1:] if descending else spec
        if name not in valid:
            raise UsageError(f"unknown sort key {name!r}; valid keys: {', '.join(valid)}")
        return cls(name, descending)


def _comparable(value: Any) -> tuple:
    """Numbers before text, text case-insensitively, lists by their joined text."""
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    if isinstance(value, (list, tuple)):
        value = ";".join(map(str, value))
    return (1, 0, str(value).casefold())


def sort_rows(rows: list[dict[str, Any]], keys: Sequence[SortKey]) -> list[dict[str, Any]]:
    """Stable multi-key sort; missing values (None, empty lists) always go last."""
    ordered = list(rows)
    for key in reversed(keys):
        present = [r for r in ordered if r.get(key.field) not in (None, [], ())]
        missing = [r for r in ordered if r.get(key.field) in (None, [], ())]
        present.sort(key=lambda r: _comparable(r[key.field]), reverse=key.descending)
        ordered = present + missing
    return ordered


def parse_fields(spec: str, valid: Sequence[str]) -> list[str]:
    fields = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in fields if name not in valid]
    if unknown or not fields:
        bad = ", ".join(unknown) or repr(spec)
        raise UsageError(f"unknown field {bad}; valid fields: {', '.join(valid)}")
    return fields
