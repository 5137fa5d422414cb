"""Entries as plain data: nested dicts for JSON/YAML, flat dotted rows for tables and TSV."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, NamedTuple

from llmtrack.catalog import schema
from llmtrack.catalog.sections import SECTIONS

_UNIONS = (typing.Union, types.UnionType)

# Fields every entry has, shown after the section's own fields rather than before.
_TRAILING = ("aliases", "notes", "corrections", "sources")


def to_dict(record: Any, derived: bool = True) -> Any:
    """A record as JSON-ready data, id and name first.

    ``derived`` adds values computed from the fields (``cost.total_usd``, a project's
    ``hardware``); without them the result is exactly what a catalog file holds, so an
    export loads back as the same records.
    """
    kind = type(record)
    if kind in _SCALARS:
        return record
    order = _field_order(kind)
    if order is not None:
        data = {}
        for name in order:  # most values are scalars: no call for them (a listing's hot loop)
            value = getattr(record, name)
            data[name] = value if type(value) in _SCALARS else to_dict(value, derived)
        if derived and isinstance(record, schema.Cost):
            data["total_usd"] = record.total_usd
            data["total_bound"] = record.total_bound
        if derived and isinstance(record, schema.Project):
            data["hardware"] = hardware_summary(record)
        return data
    if isinstance(record, (list, tuple)):
        return [item if type(item) in _SCALARS else to_dict(item, derived) for item in record]
    return record


_SCALARS = frozenset({str, int, float, bool, type(None)})
_ORDERS: dict[type, tuple[str, ...] | None] = {}


def _field_order(cls: type) -> tuple[str, ...] | None:
    """A record class's fields in output order (None for anything else), computed once."""
    try:
        return _ORDERS[cls]
    except KeyError:
        pass
    if not schema.is_record_type(cls):
        order = None
    else:
        names = [f.name for f in schema.fields_of(cls)]
        first = [n for n in names if n in ("id", "name")]
        order = tuple(
            first
            + [n for n in names if n not in first and n not in _TRAILING]
            + [n for n in names if n in _TRAILING]
        )
    _ORDERS[cls] = order
    return order


def related(entry: schema.Entry, catalog) -> dict[str, Any]:
    """Values derived from the rest of the catalog: the projects on a base model or in a
    stage, the entries citing a reference or a GPU, the date of the paper a stage or a
    technique rests on."""
    if isinstance(entry, schema.BaseModelEntry):
        return {"projects": list(catalog.project_ids_on(entry.id))}
    if isinstance(entry, schema.Stage):
        return {
            "projects": [p.id for p in catalog.projects_in_stage(entry)],
            "paper_date": catalog.paper_date(entry),
        }
    if isinstance(entry, schema.Technique):
        return {"paper_date": catalog.paper_date(entry)}
    if isinstance(entry, (schema.Reference, schema.Gpu)):
        return {"cited_by": list(catalog.referrers(entry.id))}
    if isinstance(entry, schema.Project) and len(entry.base_models) > 1:
        return {"variant": None}  # several runs: the row shows the project's headline
    if isinstance(entry, schema.Project):
        from llmtrack.variants import label

        return {"variant": label(entry, catalog)}
    return {}


class Row(NamedTuple):
    """One entry ready for output: the nested record (JSON, YAML) and its flat form
    (tables, TSV, sorting)."""

    record: dict[str, Any]
    flat: dict[str, Any]


def build_rows(entries, catalog) -> list[Row]:
    rows = []
    for entry in entries:
        record = to_dict(entry)
        record.update(related(entry, catalog))
        rows.append(Row(record, flatten(record)))
    return rows


def hardware_summary(project: schema.Project) -> str | None:
    """'8x a100-80gb, 3h' from the training fields, or None when none is known."""
    training = project.training
    if training is None:
        return None
    parts = []
    if training.gpu or training.gpu_count:
        count = f"{training.gpu_count}x " if training.gpu_count else ""
        parts.append(f"{count}{training.gpu or 'GPU'}")
    if training.hours is not None:
        parts.append(f"{training.hours:g}h")
    return ", ".join(parts) or None


def flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    """Nested fields become dotted keys; lists of scalars stay lists."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = prefix + key if prefix else key
        kind = type(value)  # to_dict makes plain dicts and lists: no isinstance needed
        if kind is dict:
            flat.update(flatten(value, f"{name}."))
        elif kind is list and any(type(item) is dict for item in value):
            flat[name] = [_summarise(item) for item in value]
        else:
            flat[name] = value
    return flat


def _summarise(item: dict) -> str:
    return " / ".join(str(v) for v in item.values() if v not in (None, "", []))


def field_names(section: str) -> list[str]:
    """Every flat key a row of ``section`` can have, in order (for --fields and --sort)."""
    keys = list(flatten(to_dict(_skeleton(schema.ENTRY_TYPES[section]))))
    return keys + list(SECTIONS[section].related)


def _skeleton(cls: type) -> Any:
    """An instance of ``cls`` with every nested record present, to enumerate flat keys."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in schema.fields_of(cls):
        hint = hints[f.name]
        options = typing.get_args(hint) if typing.get_origin(hint) in _UNIONS else (hint,)
        nested = next((t for t in options if schema.is_record_type(t)), None)
        if nested is not None:
            values[f.name] = _skeleton(nested)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = None
    return cls(**values)
