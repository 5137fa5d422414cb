"""Full-text search over every text field of every section, ranked.

Every word of the query must occur (case-insensitively) in some field of an entry. A word
found in an id, name or alias counts most, in a title, organisation, family or author list
next, in a description, note or correction least. When nothing contains the words,
rapidfuzz looks for names close to the query instead, so a typo still finds something.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

from llmtrack.catalog import schema
from llmtrack.catalog.rows import to_dict
from llmtrack.catalog.store import Catalog
from llmtrack.lazyclass import lazy_dataclass

_CONTEXT = 40  # characters of the field shown each side of the match
_FUZZY_CUTOFF = 80


@lazy_dataclass(frozen=True)
class Hit:
    section: str
    entry_id: str
    name: str
    field: str
    snippet: str
    span: tuple[int, int]  # where the match is in the snippet
    score: int

    def record(self) -> dict:
        return {
            "section": self.section,
            "id": self.entry_id,
            "name": self.name,
            "field": self.field,
            "match": self.snippet,
            "score": self.score,
        }


def texts(entry: schema.Entry) -> Iterator[tuple[str, str]]:
    """(field, text) for every text value of an entry, lists and nested records included."""
    yield from _walk(to_dict(entry, derived=False), "")


def _walk(value, field: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{field}.{key}" if field else key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, field)


@functools.cache
def _weights() -> dict[str, int]:
    """How much a hit in each top-level field counts, as the schema's metadata says."""
    return {
        f.name: f.metadata.get("weight", 1)
        for cls in schema.ENTRY_TYPES.values()
        for f in schema.fields_of(cls)
    }


def _weight(field: str) -> int:
    return _weights().get(field.split(".")[0], 1)


def _snippet(text: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """The match with some context, on one line, and the match's place in it."""
    left = max(0, start - _CONTEXT)
    right = min(len(text), end + _CONTEXT)
    prefix = "..." if left else ""
    suffix = "..." if right < len(text) else ""
    piece = " ".join(text[left:right].split())
    # whitespace collapsing can move the match: find it again in the cleaned piece
    needle = " ".join(text[start:end].split())
    at = piece.casefold().find(needle.casefold())
    at = max(at, 0)
    return f"{prefix}{piece}{suffix}", (len(prefix) + at, len(prefix) + at + len(needle))


def search(catalog: Catalog, query: str, sections: Iterable[str] | None = None) -> list[Hit]:
    wanted = set(sections) if sections else set(schema.SECTIONS)
    terms = query.casefold().split()
    if not terms:
        return []
    chosen = [name for name in schema.SECTIONS if name in wanted]
    candidates = [e for name in chosen for e in catalog.section(name).that_may_hold(terms)]
    hits = [hit for entry in candidates if (hit := _match(entry, query, terms))]
    if not hits:
        hits = _fuzzy([entry for name in chosen for entry in catalog.section(name)], query)
    hits.sort(key=lambda h: (-h.score, h.section, h.entry_id))
    return hits


def _match(entry: schema.Entry, query: str, terms: list[str]) -> Hit | None:
    fields = sorted(texts(entry), key=lambda pair: -_weight(pair[0]))
    phrase = query.casefold().strip()
    best_weights = []
    shown = None
    for term in terms:
        found = next(((f, t) for f, t in fields if term in t.casefold()), None)
        if found is None:
            return None
        best_weights.append(_weight(found[0]))
        shown = shown or found
    # prefer showing a field that holds the whole phrase
    whole = next(((f, t) for f, t in fields if phrase in t.casefold()), None)
    assert shown is not None  # every term was found, so at least one field was
    field, text = whole or shown
    needle = phrase if whole else terms[0]
    start = text.casefold().find(needle)
    snippet, span = _snippet(text, start, start + len(needle))
    score = round(100 * sum(best_weights) / (3 * len(terms)))
    if whole and len(terms) > 1:
        score = min(100, score + 10)
    return Hit(entry.section, entry.id, entry.name, field, snippet, span, score)


def _fuzzy(entries: list[schema.Entry], query: str) -> list[Hit]:
    from rapidfuzz import fuzz

    hits = []
    for entry in entries:
        best = max(
            (
                (fuzz.partial_ratio(query.casefold(), name.casefold()), name)
                for name in (entry.id, entry.name, *entry.aliases)
            ),
        )
        if best[0] >= _FUZZY_CUTOFF:
            snippet = best[1]
            hits.append(
                Hit(
                    entry.section,
                    entry.id,
                    entry.name,
                    "name",
                    snippet,
                    (0, 0),
                    round(best[0] * 0.6),
                )
            )
    return hits
