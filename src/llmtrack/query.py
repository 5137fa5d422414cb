"""Pure filtering, sorting and shaping of catalog entries: no typer, no rich.

Filters are predicates over typed entries; they combine with AND (a repeatable option's
values combine with OR inside one predicate). Sorting and field selection work on the
flat rows of ``catalog.rows.build_rows``, so any field of any section can be a sort key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from llmtrack.catalog import schema
from llmtrack.catalog.rows import Row
from llmtrack.errors import UsageError

Predicate = Callable[[Any], bool]


# --- predicates -----------------------------------------------------------------


def using_methods(methods: Iterable[str]) -> Predicate:
    wanted = set(methods)
    return lambda entry: bool(wanted & set(entry.methods))


def text_contains(attribute: str, needle: str) -> Predicate:
    """Case-insensitive substring match on a text attribute (``org``, ``family``, ...)."""
    folded = needle.casefold()
    return lambda entry: folded in (getattr(entry, attribute) or "").casefold()


def equals(attribute: str, value: object) -> Predicate:
    return lambda entry: getattr(entry, attribute) == value


def license_contains(needle: str) -> Predicate:
    """A project whose code, weights or data license mentions ``needle``."""
    folded = needle.casefold()

    def test(project: schema.Project) -> bool:
        texts = []
        if project.license:
            texts += [project.license.code, project.license.weights]
        if project.data:
            texts.append(project.data.license)
        return any(folded in text.casefold() for text in texts if text)

    return test


def commercial(project: schema.Project) -> bool:
    """Weights and data allow commercial use, as the catalog records it."""
    return bool(project.license and project.license.commercial_use)


def has_open_weights(project: schema.Project) -> bool:
    return project.open_weights is True


def data_origin(origins: Iterable[str]) -> Predicate:
    wanted = set(origins)
    return lambda project: bool(project.data and wanted & set(project.data.origins))


def language(codes: Iterable[str]) -> Predicate:
    wanted = {code.casefold() for code in codes}
    return lambda project: bool(
        project.data and wanted & {lang.casefold() for lang in project.data.languages}
    )


def cost_at_most(usd: float) -> Predicate:
    """Known total cost within budget; an unknown cost never passes."""

    def test(project: schema.Project) -> bool:
        total = project.cost.total_usd if project.cost else None
        return total is not None and total <= usd

    return test


def cost_known(project: schema.Project) -> bool:
    return bool(project.cost and project.cost.total_usd is not None)


_NOMINAL_SIZE = re.compile(r"\d+(?:\.\d+)?[mb]")
SIZE_TOLERANCE = 0.10  # '7B' is the 7B class: Mistral-7B's 7.24B and LLaMA-7B's 6.74B


def nominal_params(entry_id: str) -> int | None:
    """The size an id names ('llama-13b': 13B; 'qwen3-30b-a3b': 30B, the A3B is its active
    share; 'mixtral-8x7b': none), or None."""
    from llmtrack.units import parse_params

    for word in re.split(r"[-_]", entry_id):
        if _NOMINAL_SIZE.fullmatch(word):
            return parse_params(word)
    return None


def params_between(low: int | None, high: int | None, nominal: bool = False) -> Predicate:
    """Parameter count in [low, high]; an unknown count never passes. ``nominal`` sizes are
    sizes as people say them: a model's own size is the one its id names (LLaMA-13B's
    13.016B is 13B), and one size ``7B`` is the 7B class (named 7B, or within 10 %)."""

    def test(base: schema.BaseModelEntry) -> bool:
        if base.params is None:
            return False
        named = nominal_params(base.id) if nominal else None
        if nominal and low is not None and low == high:
            close = abs(base.params - low) <= SIZE_TOLERANCE * low
            return named == low or close
        size = named if named is not None else base.params
        return (low is None or size >= low) and (high is None or size <= high)

    return test


def dated_between(
    date_of: Callable[[Any], str | None], since: str | None, until: str | None
) -> Predicate:
    """A (possibly partial) date that overlaps [since, until]; an unknown date never passes.

    ``2023-03`` is the whole of March: it passes ``--since 2023-03-15``."""

    def test(entry) -> bool:
        value = date_of(entry)
        if value is None:
            return False
        first, last = date_span(value)
        return (since is None or last >= date_span(since)[0]) and (
            until is None or first <= date_span(until)[1]
        )

    return test


def date_span(value: str) -> tuple[str, str]:
    """The first and last day a partial ISO date can mean, as comparable strings."""
    if len(value) == 4:
        return f"{value}-01-01", f"{value}-12-31"
    if len(value) == 7:
        return f"{value}-01", f"{value}-31"
    return value, value


def select(entries: Iterable[Any], predicates: Sequence[Predicate]) -> list[Any]:
    """Entries that pass every predicate (AND), in their original order."""
    return [entry for entry in entries if all(test(entry) for test in predicates)]


# --- sorting and shaping ----------------------------------------------------------


# The short names people type for a key, and what each may mean: the first of them that a
# listing has is taken ('memory' is a GPU's memory_gib, a fits row's peak_gib).
SHORT_KEYS: dict[str, tuple[str, ...]] = {
    "cost": ("cost.total_usd",),
    "price": ("price.usd_per_hour",),
    "memory": ("memory_gib", "peak_gib"),
    "vram": ("memory_gib", "peak_gib"),
    "params": ("params",),
    "size": ("params",),
    "date": ("released", "date", "paper_date", "month", "year"),
    "hardware": ("hardware",),
    "gpu": ("training.gpu",),
    "license": ("license", "license.weights"),
    "speed": ("decode_tokens_per_s",),
    "tokens_per_s": ("decode_tokens_per_s",),
    "tokens/s": ("decode_tokens_per_s",),
}


def resolve_key(name: str, valid: Sequence[str], what: str = "field") -> str:
    """The key ``name`` means in a listing whose keys are ``valid``: the key itself, a short
    name (``cost``), or the last part of exactly one dotted key (``layers``); otherwise a
    usage error with the nearest keys, not all forty of them."""
    if name in valid:
        return name
    for key in SHORT_KEYS.get(name.casefold(), ()):
        if key in valid:
            return key
    ends = [key for key in valid if key.rsplit(".", 1)[-1] == name]
    if len(ends) == 1:
        return ends[0]
    import difflib

    near = difflib.get_close_matches(name, [*valid, *SHORT_KEYS], n=3, cutoff=0.6)
    hint = f"did you mean: {', '.join(near)}? " if near else ""
    raise UsageError(f"unknown {what} {name!r}; {hint}--fields all shows every key")


class SortKey(NamedTuple):
    field: str
    descending: bool = False

    @classmethod
    def parse(cls, spec: str, valid: Sequence[str]) -> SortKey:
        """``params`` ascending, ``-params`` descending; the key as ``resolve_key`` reads it."""
        descending = spec.startswith("-")
        name = spec[1:] if descending else spec
        return cls(resolve_key(name, valid, "sort key"), descending)


def missing(value: Any) -> bool:
    return value is None or value == [] or value == ()


def _comparable(value: Any) -> tuple:
    """Numbers before text, text case-insensitively, lists by their joined text."""
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    if isinstance(value, (list, tuple)):
        value = ";".join(map(str, value))
    return (1, 0, str(value).casefold())


def sort_rows(rows: Sequence[Row], keys: Sequence[SortKey]) -> list[Row]:
    """Stable multi-key sort; missing values (None, empty lists) always go last."""
    ordered = list(rows)
    for key in reversed(keys):
        present = [r for r in ordered if not missing(r.flat.get(key.field))]
        absent = [r for r in ordered if missing(r.flat.get(key.field))]
        present.sort(key=lambda r: _comparable(r.flat[key.field]), reverse=key.descending)
        ordered = present + absent
    return ordered


def shape(rows: Sequence[Row], sort: Sequence[SortKey] = (), limit: int | None = None) -> list[Row]:
    """Sort, then keep the first ``limit`` rows."""
    ordered = sort_rows(rows, sort) if sort else list(rows)
    return ordered if limit is None else ordered[:limit]


def parse_fields(spec: str, valid: Sequence[str]) -> list[str]:
    """'id,name,cost': the keys as ``resolve_key`` reads them; 'all' is every key."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names:
        raise UsageError(f"no field in --fields {spec!r}; e.g. id,name, or all")
    if [name.casefold() for name in names] == ["all"]:
        return list(valid)
    return list(dict.fromkeys(resolve_key(name, valid) for name in names))
