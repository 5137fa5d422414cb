"""Forgiving name resolution: ids, names, aliases and families, with did-you-mean.

``LLaMA-7B``, ``llama 7b`` and ``llama_7b`` are the same name: case, spaces,
``-``, ``_`` and ``.`` do not matter, except a ``.`` between two digits, which
is a decimal point (``opt-1.3b`` is not ``opt-13b``). Other punctuation is
dropped too, so ``BELLE (LLaMA-7B)`` is ``bellellama7b``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from llmtrack.catalog import Catalog
from llmtrack.errors import NotFoundError
from llmtrack.schema import Entry

# Punctuation and spaces go; a '.' stays only as a decimal point.
_SEPARATORS = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w.]|_")
_SUGGEST_ABOVE = 70  # rapidfuzz ratio; below it a "did you mean" misleads more than it helps


def normalize(name: str) -> str:
    """The form two spellings of one name share."""
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    return _SEPARATORS.sub("", folded)


@dataclass(frozen=True)
class NameIndex:
    """Normalised spellings -> the ids they name, built from ids, names and aliases."""

    ids: dict[str, str]
    spellings: dict[str, tuple[str, ...]]
    families: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, catalog: Catalog, sections: Iterable[str] | None = None) -> NameIndex:
        wanted = set(sections) if sections else None
        ids: dict[str, str] = {}
        spellings: dict[str, list[str]] = {}
        for entry in catalog:
            if wanted and entry.section not in wanted:
                continue
            ids[normalize(entry.id)] = entry.id
            for spelling in (entry.id, entry.name, *entry.aliases):
                named = spellings.setdefault(normalize(spelling), [])
                if entry.id not in named:
                    named.append(entry.id)
        families: dict[str, tuple[str, ...]] = {}
        if wanted is None or "base_models" in wanted:
            families = {normalize(name): ids for name, ids in catalog.families.items()}
        return cls(ids, {k: tuple(v) for k, v in spellings.items()}, families)

    def candidates(self, name: str) -> tuple[str, ...]:
        """Ids the name denotes exactly (an id wins over names and aliases)."""
        key = normalize(name)
        if key in self.ids:
            return (self.ids[key],)
        return self.spellings.get(key, ())

    def suggestions(self, name: str, limit: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process

        key = normalize(name)
        scored: dict[str, float] = {}
        matches = process.extract(
            key,
            list(self.spellings),
            scorer=fuzz.ratio,
            limit=limit * 3,
            score_cutoff=_SUGGEST_ABOVE,
        )
        for spelling, score, _ in matches:
            for entry_id in self.spellings[spelling]:
                scored[entry_id] = max(score, scored.get(entry_id, 0))
        return sorted(scored, key=lambda i: -scored[i])[:limit]

    def _unknown(self, name: str, what: str) -> NotFoundError:
        hints = self.suggestions(name)
        hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
        return NotFoundError(f"unknown {what} {name!r}{hint}")

    def resolve_one(self, name: str, what: str = "name") -> str:
        """The single id ``name`` denotes, or a NotFoundError saying why not.

        An exact id wins; a family name counts as naming each of its sizes, so
        ``llama`` asks which LLaMA rather than picking the LLaMA paper.
        """
        key = normalize(name)
        if key in self.ids:
            return self.ids[key]
        ids = list(self.spellings.get(key, ()))
        ids += [i for i in self.families.get(key, ()) if i not in ids]
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise NotFoundError(f"{name!r} is ambiguous; which one: {', '.join(ids)}?")
        raise self._unknown(name, what)

    def resolve_many(self, name: str, what: str = "name") -> tuple[str, ...]:
        """Every id ``name`` denotes: one entry, or every size of a family."""
        ids = self.candidates(name)
        if ids:
            return ids
        family = self.families.get(normalize(name))
        if family:
            return family
        raise self._unknown(name, what)


def find(catalog: Catalog, name: str) -> Entry:
    """The one entry of any section that ``name`` denotes."""
    return catalog.get(NameIndex.build(catalog).resolve_one(name))
