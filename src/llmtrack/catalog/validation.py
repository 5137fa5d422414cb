"""Turn catalog files into typed entries, or into a list of located problems.

The slow, careful path: safe YAML parsing (``yamlsafe``) and pydantic. Commands normally
read the compiled catalog instead (``catalog.load``, ``catalog.cache``) and never import
this module.

Files come in layers: the bundled files are one layer, each user file is a layer of its
own, later layers over earlier ones. Within a layer an id may appear once; across layers
a later entry replaces the earlier one with its id. Cross-references are checked on the
merged result, so a user's project may name a bundled base model.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from llmtrack.catalog import schema, values
from llmtrack.catalog.sections import SECTIONS
from llmtrack.errors import CatalogError, Problem
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.yamlsafe import Location, ParsedFile, parse_file

_PREDICATE = re.compile(r"Predicate '?(\w+)'? failed")


@functools.cache
def adapters():
    """A pydantic TypeAdapter per section, over the schema's dataclasses (built once)."""
    from pydantic import TypeAdapter

    from llmtrack.catalog.records import materialize_all

    materialize_all()
    return {section: TypeAdapter(cls) for section, cls in schema.ENTRY_TYPES.items()}


def message_of(error: Any) -> str:
    kind = error["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return "unknown key"
    if kind in ("missing", "missing_keyword_argument"):
        return "required field is missing"
    if kind == "less_than_equal":  # never the input itself: it may be 4,000 digits long
        return f"too large: at most {error['ctx']['le']:,}"
    match = _PREDICATE.search(error["msg"])
    if match:
        check = getattr(values, match.group(1), None)
        expected = (check.__doc__ or match.group(1)) if check else match.group(1)
        return f"{error['input']!r} is not {expected}"
    return error["msg"]


@lazy_dataclass(frozen=True)
class Placed:
    """A validated entry and where it was written."""

    entry: schema.Entry
    parsed: ParsedFile
    path: Location

    def locate(self, *field_path) -> tuple[int | None, int | None]:
        return self.parsed.locate(self.path + tuple(field_path))


@lazy_dataclass(frozen=True)
class Loaded:
    """The merged catalog's entries, and what each file contributed."""

    sections: dict[str, list[schema.Entry]]
    counts: dict[str, int]  # file -> entries it gave
    replaced: list[tuple[str, str, str]]  # (id, replaced in file, by file)
    warnings: list[Problem]


_WHOLE = (
    "an entry is read whole: one whose id the catalog has replaces it, never merges into it "
    "(copy the whole entry from `llmtrack export --format yaml --section {}`, which loads "
    "back as a catalog)"
)


def validate_file(
    parsed: ParsedFile, checks, report=None, refused: list | None = None
) -> tuple[list[Placed], list[Problem]]:
    """Schema-check every entry of one parsed file, calling ``report(label, done, total)``
    now and then when given."""
    from pydantic import ValidationError

    placed, problems = [], []
    total = sum(len(entries) for entries in parsed.sections.values())
    done = 0
    for section, raw_entries in parsed.sections.items():
        for index, raw in enumerate(raw_entries):
            done += 1
            if report and done % 500 == 0:
                report(f"checking {parsed.name}", done, total)
            path = (section, index)
            label = (
                raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
            )
            label = label or f"{section}[{index}]"
            if not isinstance(raw, dict):
                line, column = parsed.locate(path)
                problems.append(
                    Problem(
                        parsed.name,
                        line,
                        column,
                        label,
                        None,
                        "an entry must be a mapping of fields",
                    )
                )
                continue
            try:
                entry = checks[section].validate_python(raw)
            except ValidationError as exc:
                errors = exc.errors()
                # "too short" after its items failed says nothing the item errors do not
                failed_items = {tuple(e["loc"][:-1]) for e in errors if e["type"] != "too_short"}
                for error in errors:
                    loc = tuple(error["loc"])
                    if error["type"] == "too_short" and loc in failed_items:
                        continue
                    line, column = parsed.locate(path + loc)
                    where = ".".join(str(part) for part in loc) or None
                    problems.append(
                        Problem(parsed.name, line, column, label, where, message_of(error))
                    )
                if refused is not None:  # its references are checked with the others
                    refused.append((raw, section, parsed, path, label))
                continue
            placed.append(Placed(entry, parsed, path))
    return placed, problems


def _duplicates(placed: Sequence[Placed]) -> Iterator[Problem]:
    first: dict[str, Placed] = {}
    for item in placed:
        earlier = first.setdefault(item.entry.id, item)
        if earlier is not item:
            line, column = item.locate("id")
            other_line, _ = earlier.locate("id")
            message = f"duplicate id, first defined at {earlier.parsed.name}:{other_line}"
            yield Problem(item.parsed.name, line, column, item.entry.id, "id", message)


def _dangling(merged: Sequence[Placed], refused: Sequence = ()) -> Iterator[Problem]:
    """References to ids that do not exist: of every entry, and of the entries that failed
    the schema (as far as their data has its shape), so one pass says everything."""
    from llmtrack.catalog.records import raw_references

    ids: dict[str, set[str]] = {name: set() for name in schema.SECTIONS}
    for item in merged:
        ids[item.entry.section].add(item.entry.id)
    checked = [
        (item.parsed, item.path, item.entry.id, schema.references_of(item.entry)) for item in merged
    ] + [
        (parsed, path, label, raw_references(schema.ENTRY_TYPES[section], raw))
        for raw, section, parsed, path, label in refused
    ]
    for parsed, path, label, references in checked:
        for field_path, target, ref in references:
            if ref not in ids[target]:
                line, column = parsed.locate(path + field_path) if path else (None, None)
                where = ".".join(str(part) for part in field_path)
                what = SECTIONS[target].singular
                message = f"unknown {what} id {ref!r}"
                yield Problem(parsed.name, line, column, label, where, message)


def _partial_replacements(merged: Sequence[Placed], refused: Sequence = ()) -> Iterator[Problem]:
    """An entry without a name under an id the catalog has is most likely a change to one
    field of it; say that entries are read whole, and where to copy one from."""
    held = {item.entry.id for item in merged}
    for raw, section, parsed, path, label in refused:
        if label in held and raw.get("id") == label and "name" not in raw:
            line, column = parsed.locate(path)
            yield Problem(parsed.name, line, column, label, None, _WHOLE.format(section), "warning")


def _stray_variants(merged: Sequence[Placed]) -> Iterator[Problem]:
    """A project's variant must be on one of its base models: its figures would be lost."""
    for item in merged:
        if not isinstance(item.entry, schema.Project):
            continue
        for i, variant in enumerate(item.entry.variants):
            if variant.base_model not in item.entry.base_models:
                line, column = item.locate("variants", i, "base_model")
                message = f"variant on {variant.base_model!r}, which is not in base_models"
                where = f"variants.{i}.base_model"
                yield Problem(item.parsed.name, line, column, item.entry.id, where, message)


def _impossible_architectures(merged: Sequence[Placed]) -> Iterator[Problem]:
    from llmtrack.catalog.architecture import inconsistencies

    for item in merged:
        arch = getattr(item.entry, "architecture", None)
        if arch is None or not item.path:  # bundled entries were checked when built
            continue
        for name, message in inconsistencies(arch):
            line, column = item.locate("architecture", name)
            where = f"architecture.{name}"
            yield Problem(item.parsed.name, line, column, item.entry.id, where, message)


def plausibility(
    placed: Sequence[Placed], today: dt.date, context: Sequence[Placed] = ()
) -> Iterator[Problem]:
    """Values that are valid but almost certainly wrong: warnings, not errors. ``context``
    holds the GPU presets to compare memory with (default: ``placed``)."""
    now = today.isoformat()
    gpus = [i.entry for i in (context or placed) if isinstance(i.entry, schema.Gpu)]
    presets = [(gpu.id, gpu.memory_gib) for gpu in gpus]

    def warn(item: Placed, field_path: tuple, message: str) -> Problem:
        line, column = item.locate(*field_path)
        where = ".".join(map(str, field_path))
        return Problem(item.parsed.name, line, column, item.entry.id, where, message, "warning")

    for item in placed:
        entry = item.entry
        for name in ("released", "date"):
            value = getattr(entry, name, None)
            if value and value[: len(now)] > now[: len(value)]:
                yield warn(item, (name,), f"{value} is in the future")
        if isinstance(entry, schema.Project) and len(entry.base_models) > 1:
            missing = set(entry.base_models) - {v.base_model for v in entry.variants}
            if missing:
                yield warn(
                    item,
                    ("base_models",),
                    f"no variant for {', '.join(sorted(missing))}: with several base models, "
                    "give each one's figures under variants",
                )
        if isinstance(entry, schema.BaseModelEntry) and entry.params and entry.params > 10**13:
            yield warn(item, ("params",), f"{entry.params:,} parameters is implausibly many")
        memories: list[tuple[tuple, float | None]] = []
        if isinstance(entry, schema.Gpu):
            memories.append((("memory_gib",), entry.memory_gib))
        if isinstance(entry, schema.Project):
            memories += [
                (("deploy", i, "memory_gib"), d.memory_gib) for i, d in enumerate(entry.deploy)
            ]
        largest = max((gib for gpu_id, gib in presets if gpu_id != entry.id), default=0)
        for field_path, gib in memories:
            if gib and largest and gib > 100 * largest:
                yield warn(
                    item, field_path, f"{gib:g} GiB is over 100 times the largest GPU preset"
                )


def _read(
    name: str, data: bytes, checks, report=None, trusted: bool = False, refused=None
) -> tuple[list[Placed], list[Problem]]:
    """Parse and schema-check one file (positions are found when a problem needs them)."""
    parsed, problems = parse_file(name, data, schema.SECTIONS, locate=False, trusted=trusted)
    placed, entry_problems = validate_file(parsed, checks, report, refused)
    return placed, problems + entry_problems


def load_layers(
    layers: Sequence[Sequence[tuple[str, bytes]]],
    base=None,
    today: dt.date | None = None,
    report=None,
    trusted: Collection[str] = (),
) -> Loaded:
    """Parse, validate and merge layers of files, over an already loaded ``base`` catalog
    when given; raise CatalogError listing every problem. Files named in ``trusted`` (the
    bundled ones) skip the YAML safety pass."""
    checks = adapters()
    problems: list[Problem] = []
    merged: dict[str, Placed] = {}
    if base is not None:
        origin = ParsedFile("the bundled catalog")
        merged = {entry.id: Placed(entry, origin, ()) for entry in base}
    counts: dict[str, int] = {}
    replaced: list[tuple[str, str, str]] = []
    refused: list = []  # entries that failed the schema: their references are checked too
    for layer in layers:
        in_layer: list[Placed] = []
        for name, data in layer:
            if report:
                report(f"reading {name}", 0, 1)
            placed, file_problems = _read(name, data, checks, report, name in trusted, refused)
            problems += file_problems
            in_layer += placed
            counts[name] = len(placed)
        problems += _duplicates(in_layer)
        seen: set[str] = set()
        for item in in_layer:
            if item.entry.id in seen:  # a duplicate in one layer is an error, not a replacement
                continue
            seen.add(item.entry.id)
            earlier = merged.get(item.entry.id)
            if earlier is not None and earlier.entry.section != item.entry.section:
                # not a replacement: another kind of entry under a taken id, which would
                # leave every reference to the first dangling; said where it is written
                line, column = item.locate("id")
                what = SECTIONS[earlier.entry.section].singular
                message = f"id already used by a {what}; choose another id"
                problems.append(
                    Problem(item.parsed.name, line, column, item.entry.id, "id", message)
                )
                continue
            if earlier is not None:  # from an earlier layer, whatever the files are called
                replaced.append((item.entry.id, earlier.parsed.name, item.parsed.name))
            merged[item.entry.id] = item  # a replacement keeps the replaced entry's place
    everything = list(merged.values())
    problems += _dangling(everything, refused)
    problems += _partial_replacements(everything, refused)
    problems += _stray_variants(everything)
    problems += _impossible_architectures(everything)
    new = [item for item in everything if item.path]  # base entries were checked before
    warnings = list(plausibility(new, today or dt.date.today(), everything))
    if any(p.severity == "error" for p in problems):
        raise CatalogError(problems + warnings)
    sections: dict[str, list[schema.Entry]] = {name: [] for name in schema.SECTIONS}
    for item in everything:
        sections[item.entry.section].append(item.entry)
    return Loaded(sections, counts, replaced, warnings)


def load_entries(files: Iterable[tuple[str, bytes]]) -> dict[str, list[schema.Entry]]:
    """One layer of files, as the bundled catalog is."""
    return load_layers([list(files)]).sections


def json_schema(sections: Sequence[str]) -> dict:
    """The JSON Schema of a catalog file holding these sections, from the schema's classes."""
    from pydantic import TypeAdapter
    from typing_extensions import TypedDict

    from llmtrack.catalog.records import materialize_all

    materialize_all()  # pydantic walks the record classes: they must be made first
    fields = {name: list[schema.ENTRY_TYPES[name]] for name in sections}  # type: ignore[valid-type]
    layout: Any = TypedDict("CatalogFile", fields, total=False)  # type: ignore[misc]  # dynamic
    layout.__pydantic_config__ = {"extra": "forbid"}  # type: ignore[attr-defined]
    result = TypeAdapter(layout).json_schema()
    result["title"] = "llmtrack catalog file"
    result["description"] = (
        "A mapping of section names to lists of entries. Ids are lowercase slugs, dates ISO "
        "(YYYY-MM-DD, YYYY-MM or YYYY), memory in GiB, money in USD; unknown is null."
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **result}


def check_files(paths: Sequence[str], over_bundled: bool = True) -> list[Problem]:
    """Every problem of these catalog files, errors and warnings, without loading them into
    anything (``llmtrack validate``). References resolve in the bundled catalog, unless
    ``over_bundled`` is false or the bundled files are among those checked."""
    import os

    from llmtrack.catalog.files import bundled_paths, max_file_bytes, read_overlay
    from llmtrack.catalog.load import load_catalog

    problems: list[Problem] = []
    layers = []
    for path in paths:
        try:
            item = read_overlay(path, "validate", max_file_bytes())
            layers.append([(item.name, item.data)])
        except CatalogError as refused:
            problems += refused.problems
    checked = {os.path.realpath(path) for path in paths}
    checking_bundled = any(os.path.realpath(path) in checked for path in bundled_paths())
    base = load_catalog() if over_bundled and not checking_bundled else None
    try:
        loaded = load_layers(layers, base=base)
        problems += loaded.warnings
        for entry_id, earlier, by in loaded.replaced:
            message = f"replaces the entry from {earlier}"
            problems.append(Problem(by, None, None, entry_id, None, message, "warning"))
    except CatalogError as failed:
        problems += failed.problems
    return problems
