"""Forgiving name resolution: ids, names, aliases, families and project variants, with
did-you-mean, used by every command that takes a name.

``LLaMA-7B``, ``llama 7b``, ``llama_7b`` and ``llama7b`` are the same name: case, spaces,
punctuation and a trailing size unit do not matter, except a ``.`` between two digits, which
is a decimal point (``opt-1.3b`` is not ``opt-13b``).

Resolution, in order: an id; a name or alias; the same without a trailing size unit
(``llama-7`` for ``llama-7b``); a project with a size (``vicuna-13b`` is Vicuna on
LLaMA-13B); a family (``llama``: Meta's whole Llama line, every size, where a set makes
sense, "which one?" where one entry is needed; ``llama 2`` is one generation); a checkpoint
name as people paste it (``meta-llama/Llama-2-7b-chat-hf``, ``Mistral-7B-Instruct-v0.2``:
the model it was made from, whose architecture it has, said on stderr); then rapidfuzz,
which uses a match only when it is unique and confident and has the same numbers as the
name given, and says so, and otherwise suggests. ``gpt-oss-120b`` is never taken for
``gpt-oss-20b``: a size or a version is not a typo.

When one name denotes entries of several sections, the entry the others are about wins (the
model over its paper, the project over its tool, the technique over its paper) and the
others are named in the note; "which one?" is asked only between peers of one section.
Never a silent wrong answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from llmtrack.errors import NotFoundError

if TYPE_CHECKING:  # the catalog builds this index: no import back at run time
    from llmtrack.catalog.schema import Entry
    from llmtrack.catalog.store import Catalog

# Punctuation and spaces go; a '.' stays only as a decimal point.
_SEPARATORS = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w.]|_")
_SIZE_SUFFIX = re.compile(r"(\d+(?:\.\d+)?)([bmk])$")
# What a checkpoint's name adds to its model's: the tuned kind ('-Instruct', '-chat', '-it'),
# '-Base', '-hf' (converted to the transformers format) and a version ('-v0.2'). Taken off
# the end one at a time, only as whole words, and only when what is left names an entry.
_CHECKPOINT_WORD = re.compile(r"[-_ .]+(?:instruct|chat|it|base|hf|v\d+(?:\.\d+)*)$", re.I)
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")
# A family 'llama 2', 'qwen2.5', 'gemma-3', 'deepseek-v2': one generation of the line below it.
_GENERATION = re.compile(r"v?\d+(?:\.\d+)*$")
# When one name denotes entries of several sections, the first of these wins: the entry the
# others are about (a reference is a paper or a tool about a model, project or technique).
_ABOUT_ORDER = ("base_models", "projects", "stages", "techniques", "gpus", "references")
_SUGGEST_ABOVE = 70  # rapidfuzz ratio; below it a "did you mean" misleads more than it helps
_CONFIDENT = 88  # a fuzzy match this good is used (and said) when nothing else comes close
_CLEAR_LEAD = 8  # ... that is, when the runner-up scores at least this much lower


def normalize(name: str) -> str:
    """The form two spellings of one name share."""
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    return _SEPARATORS.sub("", folded)


def _unitless(key: str) -> str:
    """'llama7b' -> 'llama7'; 'pythia70m' -> 'pythia70'."""
    return _SIZE_SUFFIX.sub(r"\1", key)


def numbers_of(name: str) -> list[str]:
    """The numbers in a name, in order: sizes and versions ('llama-3.2-11b' -> 3.2, 11)."""
    return _NUMBERS.findall(normalize(name))


def size_of(entry_id: str) -> str | None:
    """The size an id ends with, normalised: 'llama-13b' -> '13b', 'opt-1.3b' -> '1.3b'."""
    match = _SIZE_SUFFIX.search(normalize(entry_id))
    return match.group(0) if match else None


class Resolution(NamedTuple):
    """What a name denotes: one entry, how it was found, and for a project variant its base."""

    entry_id: str
    how: str  # "id", "name", "variant", "fuzzy"
    base: str | None = None  # the base model a project variant names ("vicuna-13b")
    note: str | None = None  # said on stderr when the match is not exact


class NameIndex(NamedTuple):
    """Normalised spellings -> the ids they name, built from ids, names and aliases.

    One index covers the whole catalog; it is worked out when the catalog is compiled and
    stored with it. ``allowed`` narrows a view of it to some sections."""

    ids: dict[str, str]
    spellings: dict[str, tuple[str, ...]]
    unitless: dict[str, tuple[str, ...]]
    families: dict[str, tuple[str, ...]]
    sections: dict[str, str]  # id -> section
    bases: dict[str, tuple[str, ...]]  # project id -> its base model ids
    allowed: frozenset[str] | None = None

    @classmethod
    def build(cls, catalog: Catalog, sections: Iterable[str] | None = None) -> NameIndex:
        """The catalog's index, narrowed to ``sections`` when given."""
        index = catalog.names
        return index._replace(allowed=frozenset(sections)) if sections else index

    @classmethod
    def build_full(cls, catalog: Catalog) -> NameIndex:
        ids: dict[str, str] = {}
        spellings: dict[str, list[str]] = {}
        unitless: dict[str, list[str]] = {}
        where: dict[str, str] = {}
        for entry in catalog:
            ids[normalize(entry.id)] = entry.id
            where[entry.id] = entry.section
            for spelling in (entry.id, entry.name, *entry.aliases):
                key = normalize(spelling)
                for table, k in ((spellings, key), (unitless, _unitless(key))):
                    named = table.setdefault(k, [])
                    if entry.id not in named:
                        named.append(entry.id)
        families = _lineages({normalize(name): ids_ for name, ids_ in catalog.families.items()})
        bases = {p.id: p.base_models for p in catalog.projects}
        return cls(
            ids,
            {k: tuple(v) for k, v in spellings.items()},
            {k: tuple(v) for k, v in unitless.items()},
            families,
            where,
            bases,
        )

    def _keep(self, ids: Iterable[str]) -> tuple[str, ...]:
        if self.allowed is None:
            return tuple(ids)
        return tuple(i for i in ids if self.sections[i] in self.allowed)

    def _family(self, key: str) -> tuple[str, ...]:
        if self.allowed is not None and "base_models" not in self.allowed:
            return ()
        return self.families.get(key, ())

    # --- exact look-ups ---------------------------------------------------------

    def _id(self, key: str) -> str | None:
        entry_id = self.ids.get(key)
        return entry_id if entry_id and self._keep((entry_id,)) else None

    def exact(self, name: str) -> tuple[str, ...]:
        """Ids the name denotes without guessing (an id wins over names and aliases)."""
        key = normalize(name)
        entry_id = self._id(key)
        if entry_id:
            return (entry_id,)
        return self._keep(self.spellings.get(key, ())) or self._keep(
            self.unitless.get(_unitless(key), ())
        )

    def checkpoint(self, name: str) -> tuple[str, str] | None:
        """('Mistral-7B', id) for 'mistralai/Mistral-7B-Instruct-v0.2': a checkpoint's name
        with its organisation and its added words taken off, when that names one entry."""
        stripped = name.strip().rsplit("/", 1)[-1]
        while True:
            found = self.exact(stripped)
            # a checkpoint is of a model: 'vicuna-7b-v1.5' is not Vicuna v1 with a suffix
            if len(found) == 1 and stripped != name and self.sections[found[0]] == "base_models":
                return stripped, found[0]
            shorter = _CHECKPOINT_WORD.sub("", stripped)
            if shorter == stripped or not shorter:
                return None
            stripped = shorter

    def variant(self, name: str) -> Resolution | None:
        """'vicuna-13b': a project named with the size of one of its base models."""
        key = normalize(name)
        match = _SIZE_SUFFIX.search(key)
        if not match:
            return None
        project_key, size = key[: match.start()], match.group(0)
        for project_id in self._keep(self.spellings.get(project_key, ())):
            sized = [b for b in self.bases.get(project_id, ()) if size_of(b) == size]
            if len(sized) == 1:
                return Resolution(project_id, "variant", base=sized[0])
        return None

    # --- resolution ---------------------------------------------------------------

    def resolve(self, name: str, what: str = "name") -> Resolution:
        """The single entry ``name`` denotes, or a NotFoundError saying why not."""
        key = normalize(name)
        entry_id = self._id(key)
        if entry_id:  # an id wins; what else the name spells is said
            others = [i for i in self._keep(self.spellings.get(key, ())) if i != entry_id]
            return Resolution(
                entry_id, "id", self._variant_base(name, entry_id), self._also(name, others)
            )
        named = list(self.exact(name))
        family = self._family(key)
        candidates = named + [i for i in family if i not in named]
        chosen, others = self._about(candidates)
        if chosen:
            note = self._also(name, others)
            return Resolution(chosen, "name", self._variant_base(name, chosen), note)
        if candidates:
            peers_first = ", ".join(self._by_section(candidates))
            raise NotFoundError(f"{name!r} is ambiguous; which one: {peers_first}?")
        variant = self.variant(name)
        if variant:
            return variant
        checkpoint = self.checkpoint(name)
        if checkpoint:
            model, entry_id = checkpoint
            note = (
                f"using {entry_id} for {name!r} ({model}), assuming the checkpoint keeps its shapes"
            )
            return Resolution(entry_id, "checkpoint", note=note)
        return self._fuzzy(name, what)

    def _about(self, candidates: list[str]) -> tuple[str | None, list[str]]:
        """The one candidate the others are about, and the others; (None, []) between peers."""
        if len(candidates) <= 1:
            return (candidates[0] if candidates else None), []
        ordered = self._by_section(candidates)
        first = self.sections[ordered[0]]
        if self.sections[ordered[1]] == first:
            return None, []  # two of one section: peers, the user must choose
        return ordered[0], ordered[1:]

    def _also(self, name: str, others: list[str]) -> str | None:
        if not others:
            return None
        also = ", ".join(f"{i} ({self.sections[i].replace('_', ' ')})" for i in others)
        return f"{name!r} also names {also}: give its id to see it"

    def _by_section(self, ids: list[str]) -> list[str]:
        rank = {section: i for i, section in enumerate(_ABOUT_ORDER)}
        return sorted(ids, key=lambda i: rank.get(self.sections[i], len(rank)))

    def resolve_one(self, name: str, what: str = "name") -> str:
        return self.resolve(name, what).entry_id

    def resolve_many(self, name: str, what: str = "name") -> tuple[tuple[str, ...], str | None]:
        """Every id ``name`` denotes (one entry, or every size of a family), and a note to
        show when that took a guess."""
        found = self.exact(name)
        if found:
            return found, None
        family = self._family(normalize(name))
        if family:
            return family, None
        checkpoint = self.checkpoint(name)
        if checkpoint:
            note = f"using {checkpoint[1]} for {name!r} ({checkpoint[0]})"
            return (checkpoint[1],), note
        guess = self._fuzzy(name, what)
        return (guess.entry_id,), guess.note

    def _variant_base(self, name: str, entry_id: str) -> str | None:
        if self.sections.get(entry_id) != "projects":
            return None
        variant = self.variant(name)
        return variant.base if variant and variant.entry_id == entry_id else None

    def _scored(self, name: str, limit: int) -> list[tuple[str, tuple[float, str]]]:
        from rapidfuzz import fuzz, process

        key = normalize(name)
        # a view of some sections looks further down the list: the best may be elsewhere
        wider = limit if self.allowed is None else limit * 20
        matches = process.extract(
            key, list(self.spellings), scorer=fuzz.ratio, limit=wider, score_cutoff=_SUGGEST_ABOVE
        )
        best: dict[str, tuple[float, str]] = {}
        for spelling, score, _ in matches:
            for entry_id in self._keep(self.spellings[spelling]):
                if score > best.get(entry_id, (0, ""))[0]:
                    best[entry_id] = (score, spelling)
        return sorted(best.items(), key=lambda item: -item[1][0])

    def suggestions(self, name: str, limit: int = 3) -> list[str]:
        return [entry_id for entry_id, _ in self._scored(name, limit * 3)[:limit]]

    def _fuzzy(self, name: str, what: str) -> Resolution:
        scored = self._scored(name, 10)
        if scored:
            best_id, (best, spelling) = scored[0]
            runner_up = scored[1][1][0] if len(scored) > 1 else 0
            same_numbers = numbers_of(spelling) == numbers_of(name)  # a size is not a typo
            if best >= _CONFIDENT and best - runner_up >= _CLEAR_LEAD and same_numbers:
                return Resolution(best_id, "fuzzy", note=f"using {best_id} for {name!r}")
        hints = [entry_id for entry_id, _ in scored[:3]]
        hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
        raise NotFoundError(f"unknown {what} {name!r}{hint}")


def _lineages(families: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """A family named without a generation stands for its whole line: 'llama' is LLaMA,
    Llama 2, 3, 3.1, ...; 'qwen' is Qwen, Qwen1.5, 2, 2.5, 3. Only where the line's first
    family exists under that name: 't5' is not a generation of a family 't'."""
    lines = dict(families)
    for key, ids in families.items():
        stem = _GENERATION.sub("", key)
        if stem != key and stem in families:
            lines[stem] = lines[stem] + tuple(i for i in ids if i not in lines[stem])
    return lines


def find(catalog: Catalog, name: str) -> tuple[Entry, Resolution]:
    """The one entry of any section that ``name`` denotes, and how it was found."""
    resolution = NameIndex.build(catalog).resolve(name)
    return catalog.get(resolution.entry_id), resolution


def completions(
    catalog: Catalog, incomplete: str, sections: Iterable[str] | None = None
) -> list[str]:
    """Ids whose id or name starts like ``incomplete``, for shell completion."""
    wanted = set(sections) if sections else None
    key = normalize(incomplete)
    found = []
    for entry in catalog:
        if wanted and entry.section not in wanted:
            continue
        if any(normalize(s).startswith(key) for s in (entry.id, entry.name, *entry.aliases)):
            found.append(entry.id)
    return found
