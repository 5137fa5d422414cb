"""The catalog in memory: each section's entries, look-ups by id, by base model and by name,
and the files it was made of. How it is made is ``catalog.load``; how it is stored between
runs, ``catalog.cache``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import field, replace
from functools import cached_property
from typing import Any, NamedTuple

from llmtrack.catalog import schema
from llmtrack.catalog.sections import SECTIONS
from llmtrack.errors import NotFoundError, Problem
from llmtrack.lazyclass import lazy_dataclass


class SourceFile(NamedTuple):
    """A file the catalog was loaded from, and what it gave."""

    path: str
    layer: str  # "bundled", "config", "environment" or "command line"
    entries: int
    replaced: tuple[str, ...] = ()  # ids whose earlier entry this file replaced


def _written_as_is(word: str) -> bool:
    """True when JSON writes every character of ``word`` as itself: all but quotes,
    backslashes and control characters."""
    return not any(c in '"\\' or c < " " for c in word)


class Entries(Sequence):
    """A section's entries, decoded one by one as they are used.

    The compiled catalog stores each entry as its own small JSON text, so a query that needs
    a few entries of a catalog of 100,000 does not build the other 99,990."""

    def __init__(
        self,
        entries: Sequence[schema.Entry] = (),
        *,
        encoded: Sequence[bytes] | None = None,
        decode: Callable[[bytes], schema.Entry] | None = None,
        fallback: Callable[[], Entries] | None = None,
    ):
        self._encoded = encoded
        self._decode = decode
        self._fallback = fallback  # the same section compiled afresh, if an entry will not decode
        self._items: list[Any] = [None] * len(encoded) if encoded is not None else list(entries)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        if item is None:
            assert self._encoded is not None and self._decode is not None
            try:
                item = self._decode(self._encoded[index])
            except Exception:  # a compiled entry we cannot use: never an error, compile again
                if self._fallback is None:
                    raise
                item = self._fallback()[index]
            self._items[index] = item
        return item

    def that_may_hold(self, words: Sequence[str]) -> Iterator[schema.Entry]:
        """The entries whose text may hold every one of ``words`` (casefolded), leaving
        undecoded the ones whose stored JSON cannot: a search reads a few of hundreds.

        JSON keeps a string's characters as they are (the cache writes it with
        ``ensure_ascii=False``) except for quotes, backslashes and control characters, so
        a word without those occurs in a field only if it occurs in the entry's JSON."""
        plain = all(_written_as_is(word) for word in words)
        for n, item in enumerate(self._items):
            if item is None and plain and self._encoded is not None:
                text = self._encoded[n].decode("utf-8", "replace").casefold()
                if not all(word in text for word in words):
                    continue
            yield self[n]

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Entries({len(self)})"


@lazy_dataclass(frozen=True)
class Catalog:
    """Every entry of the six sections, in file order, and the files they came from.

    Look-ups by id, by base model and by name go through indexes worked out when the catalog
    is compiled and stored with it (see ``index``), so they never decode a whole section."""

    base_models: Entries = field(default_factory=Entries)
    projects: Entries = field(default_factory=Entries)
    references: Entries = field(default_factory=Entries)
    stages: Entries = field(default_factory=Entries)
    techniques: Entries = field(default_factory=Entries)
    gpus: Entries = field(default_factory=Entries)
    files: tuple[SourceFile, ...] = field(default=(), compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    # the cache key of the files it was compiled from, when it went through the cache: what
    # is worked out from the catalog (the estimates `fits` remembers) is keyed by it
    key: str | None = field(default=None, compare=False)

    @classmethod
    def from_sections(cls, sections: dict[str, list[schema.Entry]], **extra) -> Catalog:
        entries = {name: Entries(sections.get(name, ())) for name in schema.SECTIONS}
        return cls(**entries, **extra)  # type: ignore[arg-type]

    def with_key(self, key: str) -> Catalog:
        """The same catalog, knowing its key; the indexes already worked out come along."""
        keyed = replace(self, key=key)
        keyed.__dict__.update(
            {name: value for name, value in self.__dict__.items() if name not in keyed.__dict__}
        )
        return keyed

    def section(self, name: str) -> Entries:
        return getattr(self, name)

    def __iter__(self) -> Iterator[schema.Entry]:
        for name in schema.SECTIONS:
            yield from self.section(name)

    def __len__(self) -> int:
        return sum(len(self.section(name)) for name in schema.SECTIONS)

    def index(self) -> Catalog:
        """Work out every index now (before the catalog is stored); returns the catalog."""
        for name in ("_where", "_by_base", "_referrers", "families", "names"):
            getattr(self, name)
        return self

    def _compiled(self, name: str) -> Any:
        """An index the compiled form holds ready (parsed now, on first use), or None."""
        stored = self.__dict__.get("_stored_indexes")
        return stored(name) if stored is not None else None

    @cached_property
    def _where(self) -> dict[str, tuple[str, int]]:
        """id -> (section, position)."""
        stored = self._compiled("where")
        if stored is not None:
            return stored
        return {
            entry.id: (name, n)
            for name in schema.SECTIONS
            for n, entry in enumerate(self.section(name))
        }

    def get(self, entry_id: str) -> Any:  # an entry of any section: the caller knows which
        try:
            name, position = self._where[entry_id]
        except KeyError:
            raise NotFoundError(f"no entry with id {entry_id!r}") from None
        return self.section(name)[position]

    @cached_property
    def families(self) -> dict[str, tuple[str, ...]]:
        """Base-model family name -> the ids of its sizes."""
        stored = self._compiled("families")
        if stored is not None:
            return stored
        families: dict[str, list[str]] = {}
        for base in self.base_models:
            families.setdefault(base.family, []).append(base.id)
        return {name: tuple(ids) for name, ids in families.items()}

    @cached_property
    def names(self):
        """The name index of every entry (see ``match.NameIndex``). A compiled catalog
        holds it ready, read only when a name is first looked up."""
        from llmtrack.match import NameIndex

        stored = self._compiled("names")
        return stored if stored is not None else NameIndex.build_full(self)

    @cached_property
    def _by_base(self) -> dict[str, tuple[int, ...]]:
        """base model id -> positions of the projects built on it."""
        stored = self._compiled("by_base")
        if stored is not None:
            return stored
        found: dict[str, list[int]] = {}
        for n, project in enumerate(self.projects):
            for base in project.base_models:
                found.setdefault(base, []).append(n)
        return {base: tuple(positions) for base, positions in found.items()}

    def projects_on(self, *base_ids: str) -> tuple[schema.Project, ...]:
        """Projects built on any of these base models, in catalog order."""
        positions = sorted({n for base in base_ids for n in self._by_base.get(base, ())})
        return tuple(self.projects[n] for n in positions)

    def project_ids_on(self, base_id: str) -> tuple[str, ...]:
        """The ids of the projects built on a base model, in catalog order, without decoding
        them (a listing of 278 base models shows them all)."""
        ids = self._project_ids
        return tuple(ids[n] for n in self._by_base.get(base_id, ()))

    @cached_property
    def _project_ids(self) -> list[str]:
        ids = [""] * len(self.projects)
        for entry_id, (name, position) in self._where.items():
            if name == "projects":
                ids[position] = entry_id
        return ids

    def paper_date(self, entry) -> str | None:
        """The date of a stage's or technique's first reference: the paper it rests on."""
        if not entry.references:
            return None
        try:
            return self.get(entry.references[0]).date
        except NotFoundError:  # a dangling reference is reported by validation
            return None

    def date_of(self, entry: schema.Entry) -> str | None:
        """The date an entry is placed at on a timeline or by --since/--until."""
        date_field = SECTIONS[entry.section].date_field
        return getattr(entry, date_field) if date_field else self.paper_date(entry)

    def projects_in_stage(self, stage: schema.Stage) -> tuple[schema.Project, ...]:
        return tuple(p for p in self.projects if set(p.methods) & set(stage.methods))

    def referrers(self, entry_id: str) -> tuple[str, ...]:
        """The ids of the entries whose cross-references point at ``entry_id`` (ids, so that
        a listing of 55 GPUs does not decode every project that cites one)."""
        return self._referrers.get(entry_id, ())

    @cached_property
    def _referrers(self) -> dict[str, tuple[str, ...]]:
        """Every cross-reference, reversed: target id -> the ids that cite it."""
        stored = self._compiled("referrers")
        if stored is not None:
            return stored
        found: dict[str, list[str]] = {}
        for entry in self:
            for _, _, target in schema.references_of(entry):
                citing = found.setdefault(target, [])
                if not citing or citing[-1] != entry.id:
                    citing.append(entry.id)
        return {target: tuple(ids) for target, ids in found.items()}
