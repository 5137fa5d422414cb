"""The machinery every catalog record is built with: value equality, registration, and
per-field metadata (``about``). The records themselves are in ``schema``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import MISSING, field
from typing import Any, TypeGuard

from llmtrack import lazyclass

# pydantic reads this attribute on standard dataclasses: unknown keys are errors.
# unquoted numbers where text is expected are read as the text they spell (`released: 2023`)
_STRICT = {"extra": "forbid", "strict": False, "coerce_numbers_to_str": True}


class Record:
    """Equality and repr by field values, written once here rather than generated per class."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]  # equal by value, not frozen: not hashable

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def record(cls):
    """A keyword-only record, compared by value. Only ``__init__`` is generated, and only
    when first needed (``lazyclass``): every method dataclasses generates costs start-up
    time (frozen and slotted records would triple this module's import), and nothing
    mutates a record once loaded."""
    cls.__pydantic_config__ = _STRICT
    RECORD_TYPES[cls.__name__] = cls
    return lazyclass.lazy_dataclass(kw_only=True, eq=False, repr=False)(cls)


RECORD_TYPES: dict[str, type] = {}  # every record class by name: the only ones the cache builds


def is_record_type(value: object) -> TypeGuard[type[Record]]:
    """A record class of this schema (in a type hint, say)."""
    return isinstance(value, type) and issubclass(value, Record)


def about(
    doc: str,
    default: Any = MISSING,
    *,
    example: Any = None,
    unit: str | None = None,
    weight: int = 1,
    ref: str | None = None,
    feature: bool = False,
) -> Any:
    """A field with its metadata: ``doc`` (what it means), ``example`` (a value a template
    shows for a required field), ``unit``, ``weight`` (how much a search hit in it counts),
    ``ref`` (the section whose ids it holds) and ``feature`` (null means the model lacks the
    feature, not that it is unknown)."""
    metadata = {"doc": doc, "example": example, "unit": unit, "weight": weight}
    metadata.update(ref=ref, feature=feature)
    if default is MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


def references_of(entry: Record, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """Every (field path, target section, id) a record points at: the fields whose
    metadata names a ``ref`` section, in nested records and lists of records too."""
    for f in fields_of(type(entry)):
        value = getattr(entry, f.name)
        target = f.metadata.get("ref")
        if target:
            if isinstance(value, tuple):
                for i, ref in enumerate(value):
                    yield (*path, f.name, i), target, ref
            elif value:
                yield (*path, f.name), target, value
        elif isinstance(value, Record):
            yield from references_of(value, (*path, f.name))
        elif isinstance(value, tuple) and value and isinstance(value[0], Record):
            for i, item in enumerate(value):
                yield from references_of(item, (*path, f.name, i))


def raw_references(cls: type, data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """``references_of`` for the raw data of an entry that failed validation, as far as the
    data has the record's shape: so that one pass reports its broken references too."""
    import typing

    if not isinstance(data, dict):
        return
    hints = typing.get_type_hints(cls)
    for f in fields_of(cls):
        value, target = data.get(f.name), f.metadata.get("ref")
        if target:
            items = value if isinstance(value, list) else [value]
            for i, ref in enumerate(items):
                if isinstance(ref, str):
                    yield (
                        ((*path, f.name, i) if isinstance(value, list) else (*path, f.name)),
                        target,
                        ref,
                    )
            continue
        inner = [t for t in _flatten_hint(hints[f.name]) if is_record_type(t)]
        if inner and isinstance(value, dict):
            yield from raw_references(inner[0], value, (*path, f.name))
        elif inner and isinstance(value, list):
            for i, item in enumerate(value):
                yield from raw_references(inner[0], item, (*path, f.name, i))


def _flatten_hint(hint: Any) -> Iterator[Any]:
    import typing

    args = typing.get_args(hint)
    if not args:
        yield hint
        return
    for arg in args:
        yield from _flatten_hint(arg)


_FIELDS: dict[type, tuple] = {}


def fields_of(cls: type) -> tuple:
    """A record class's dataclass fields, worked out once."""
    try:
        return _FIELDS[cls]
    except KeyError:
        found = _FIELDS[cls] = lazyclass.fields(cls)
        return found


def materialize_all() -> None:
    """Make every record class a full dataclass: pydantic walks nested records itself."""
    for cls in RECORD_TYPES.values():
        lazyclass.materialize(cls)
