"""The catalog: its typed entries, look-ups by id, and fast loading.

YAML is for people, not for start-up: parsing the bundled files with ruamel.yaml
and validating them with pydantic takes seconds on a small machine. The first
run does it once and stores the validated entries, pickled, in the user cache
folder under a key made of the files' content hash and the schema's. Every
later run hashes the YAML bytes (a millisecond), finds the pickle and unpickles
plain dataclasses, without importing ruamel.yaml or pydantic. An edited file
changes the hash, so a stale compiled form is never served.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from llmtrack import __version__, schema
from llmtrack.errors import NotFoundError

CACHE_ENV = "LLMTRACK_CACHE_DIR"
_PICKLE_PROTOCOL = 5


@dataclass(frozen=True)
class Catalog:
    """Every entry of the six sections, in file order."""

    base_models: tuple[schema.BaseModelEntry, ...] = ()
    projects: tuple[schema.Project, ...] = ()
    references: tuple[schema.Reference, ...] = ()
    stages: tuple[schema.Stage, ...] = ()
    techniques: tuple[schema.Technique, ...] = ()
    gpus: tuple[schema.Gpu, ...] = ()
    _by_id: dict[str, schema.Entry] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_sections(cls, sections: dict[str, list[schema.Entry]]) -> Catalog:
        return cls(**{name: tuple(sections.get(name, ())) for name in schema.SECTIONS})

    def section(self, name: str) -> tuple[schema.Entry, ...]:
        return getattr(self, name)

    def __iter__(self) -> Iterator[schema.Entry]:
        for name in schema.SECTIONS:
            yield from self.section(name)

    def __len__(self) -> int:
        return sum(len(self.section(name)) for name in schema.SECTIONS)

    def get(self, entry_id: str) -> schema.Entry:
        if not self._by_id:
            self._by_id.update((entry.id, entry) for entry in self)
        try:
            return self._by_id[entry_id]
        except KeyError:
            raise NotFoundError(f"no entry with id {entry_id!r}") from None

    @cached_property
    def families(self) -> dict[str, tuple[str, ...]]:
        """Base-model family name -> the ids of its sizes."""
        families: dict[str, list[str]] = {}
        for base in self.base_models:
            families.setdefault(base.family, []).append(base.id)
        return {name: tuple(ids) for name, ids in families.items()}

    def projects_on(self, base_id: str) -> tuple[schema.Project, ...]:
        return tuple(p for p in self.projects if base_id in p.base_models)

    def projects_in_stage(self, stage: schema.Stage) -> tuple[schema.Project, ...]:
        return tuple(p for p in self.projects if set(p.methods) & set(stage.methods))

    def referrers(self, entry_id: str) -> tuple[schema.Entry, ...]:
        """Entries whose cross-references point at ``entry_id``."""
        from llmtrack.validation import _references_of

        return tuple(e for e in self if any(ref == entry_id for _, _, ref in _references_of(e)))


# --- loading -------------------------------------------------------------------


def bundled_files() -> list[tuple[str, bytes]]:
    """(display name, bytes) of each bundled section file, in section order."""
    data = resources.files("llmtrack") / "data"
    return [(f"data/{name}.yaml", (data / f"{name}.yaml").read_bytes()) for name in schema.SECTIONS]


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("llmtrack", appauthor=False))


def _cache_key(files: list[tuple[str, bytes]]) -> str:
    """Changes whenever a file, the schema or the Python that pickles it changes."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{sys.version_info[:2]}|{_PICKLE_PROTOCOL}".encode())
    digest.update(Path(schema.__file__).read_bytes())
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:32]


def compile_catalog(files: list[tuple[str, bytes]]) -> Catalog:
    """The slow path: parse and validate YAML (raises CatalogError)."""
    from llmtrack.validation import load_entries

    return Catalog.from_sections(load_entries(files))


def load_catalog(
    files: list[tuple[str, bytes]] | None = None, *, use_cache: bool = True
) -> Catalog:
    """Load the given files (default: the bundled catalog), through the compiled cache."""
    files = bundled_files() if files is None else files
    if not use_cache:
        return compile_catalog(files)
    path = cache_dir() / f"catalog-{_cache_key(files)}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass  # missing or unreadable: compile and (try to) store it
    catalog = compile_catalog(files)
    _store(path, catalog)
    return catalog


def _store(path: Path, catalog: Catalog) -> None:
    """Write the compiled catalog atomically; a cache we cannot write is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".catalog-", delete=False) as tmp:
            pickle.dump(catalog, tmp, protocol=_PICKLE_PROTOCOL)
        os.replace(tmp.name, path)
        for stale in path.parent.glob("catalog-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
