"""Full-text search over every text field of every section, ranked.

Every word of the query must occur (case-insensitively) in some field of an entry. A word
found in an id, name or alias counts most, in a title, organisation, family or author list
next, in a description, note or correction least.

When nothing contains the words, a typo still finds something, and the answer says it is a
guess (``Results.note``): a word no text holds is replaced by the closest word that some
text does hold ("sharegtp" finds ShareGPT), and failing that rapidfuzz looks for names close
to the whole query. A short name is never "close" to a longer query because the query
contains it: "TP" is not a guess for "sharegtp".
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from llmtrack.catalog import schema
from llmtrack.catalog.rows import to_dict
from llmtrack.catalog.store import Catalog
from llmtrack.lazyclass import lazy_dataclass

_CONTEXT = 40  # characters of the field shown each side of the match
_FUZZY_CUTOFF = 80
_WORD = re.compile(r"\w{4,}")  # words a misspelt query word may be corrected to


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


@lazy_dataclass(frozen=True)
class Results:
    hits: list[Hit]
    # None when every hit holds the query's words; else what the hits are instead, said
    # beside them so that a guess never reads as a match
    note: str | None = None


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


def search(catalog: Catalog, query: str, sections: Iterable[str] | None = None) -> Results:
    wanted = set(sections) if sections else set(schema.SECTIONS)
    terms = query.casefold().split()
    if not terms:
        return Results([])
    chosen = [name for name in schema.SECTIONS if name in wanted]
    candidates = [e for name in chosen for e in catalog.section(name).that_may_hold(terms)]
    hits = [hit for entry in candidates if (hit := _match(entry, query, terms))]
    if hits:
        return Results(_ranked(hits, terms))
    entries = [entry for name in chosen for entry in catalog.section(name)]
    return _guess(entries, query, terms)


def _ranked(hits: list[Hit], terms: Iterable[str] = ()) -> list[Hit]:
    """Best score first; among equals, an entry whose id starts with the first word
    ("llama" ranks llama-7b before code-llama-7b), then by section and id."""
    first = next(iter(terms), "")

    def led(hit: Hit) -> bool:
        return bool(first) and hit.entry_id.startswith(first)

    return sorted(hits, key=lambda h: (-h.score, not led(h), h.section, h.entry_id))


def _guess(entries: list[schema.Entry], query: str, terms: list[str]) -> Results:
    """What a query no entry holds most likely meant, said as a guess."""
    corrected = _respelt(entries, terms)
    if corrected != terms:
        spelt = " ".join(corrected)
        hits = [hit for entry in entries if (hit := _match(entry, spelt, corrected))]
        if hits:
            return Results(
                _ranked(hits, corrected), f"nothing holds {query!r}; showing {spelt!r} instead"
            )
    hits = _ranked(_fuzzy(entries, query), terms)
    if hits:
        return Results(hits, f"nothing holds {query!r}; these names are close to it")
    return Results([])


def _respelt(entries: list[schema.Entry], terms: list[str]) -> list[str]:
    """Each word no text holds replaced by the closest word some text holds (or kept);
    among words equally close, the most common one ("lamma" is LLaMA, not Gamma)."""
    from rapidfuzz import fuzz, process

    from llmtrack.match import numbers_of

    held = [text.casefold() for entry in entries for _, text in texts(entry)]
    counts = Counter(word for text in held for word in _WORD.findall(text))
    respelt = []
    for term in terms:
        if any(term in text for text in held):
            respelt.append(term)
            continue
        # a word with other numbers is another thing, never a typo: llama7b is not llama
        numbers = numbers_of(term)
        words = [word for word in counts if numbers_of(word) == numbers]
        close = process.extract(
            term, words, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
        )
        best = max(close, key=lambda found: (found[1], counts[found[0]]), default=None)
        respelt.append(best[0] if best else term)
    return respelt


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

    wanted = query.casefold()

    def closeness(name: str) -> float:
        # partial_ratio finds the shorter string inside the longer: right for a query
        # that is part of a long name ("vicunna" in "Vicuna v1.5"), wrong the other way
        name = name.casefold()
        scorer = fuzz.partial_ratio if len(wanted) <= len(name) else fuzz.ratio
        return scorer(wanted, name)

    hits = []
    for entry in entries:
        named = [("id", entry.id), ("name", entry.name)] + [("aliases", a) for a in entry.aliases]
        score, field, name = max((closeness(name), field, name) for field, name in named)
        if score >= _FUZZY_CUTOFF:
            hits.append(
                Hit(entry.section, entry.id, entry.name, field, name, (0, 0), round(score * 0.6))
            )
    return hits
