"""The catalog: its typed entries, look-ups by id, where they came from, and fast loading.

The catalog is the bundled files, then the user's files over them, in this order (later
wins, entry by entry):

1. the bundled catalog (left out with ``--no-bundled``);
2. ``*.yaml``, ``*.yml`` and ``*.json`` in the user's config folder, ``catalog.d/`` (e.g.
   ``~/.config/llmtrack/catalog.d/``), by file name;
3. the files in ``LLMTRACK_CATALOG`` (a path list, ``:``-separated; ``;`` on Windows);
4. the files given with ``--catalog FILE``, in order.

YAML is for people, not for start-up: parsing with ruamel.yaml and validating with pydantic
takes seconds on a small machine. The first run does it once and stores the merged, validated
entries, pickled, in the user cache folder under a key made of every file's content hash and
the schema's. Every later run hashes the bytes (a millisecond per file), finds the pickle and
unpickles plain dataclasses, importing neither ruamel.yaml nor pydantic. An edited file
changes the key, so a stale compiled form is never served.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from llmtrack import __version__, schema
from llmtrack.errors import CatalogError, NotFoundError, Problem

CACHE_ENV = "LLMTRACK_CACHE_DIR"
CATALOG_ENV = "LLMTRACK_CATALOG"
CONFIG_ENV = "LLMTRACK_CONFIG_DIR"
MAX_SIZE_ENV = "LLMTRACK_MAX_FILE_SIZE"
DEFAULT_MAX_FILE_BYTES = 20 * 1024**2  # user files over this are refused before parsing
_PICKLE_PROTOCOL = 5
_CACHES_KEPT = 8  # compiled catalogs kept, for users who switch between overlay sets
_SUFFIXES = (".yaml", ".yml", ".json")
BUNDLED = "bundled"


class SourceFile(NamedTuple):
    """A file the catalog was loaded from, and what it gave."""

    path: str
    layer: str  # "bundled", "config", "environment" or "command line"
    entries: int
    replaced: tuple[str, ...] = ()  # ids whose earlier entry this file replaced


class Entries(Sequence):
    """A section's entries, unpickled one by one as they are used.

    The compiled catalog stores each entry as its own small pickle, so a query that needs a
    few entries of a catalog of 100,000 does not build the other 99,990."""

    def __init__(self, entries: Sequence[schema.Entry] = ()):
        self._items: list = list(entries)
        self._blobs: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        if item is None:
            item = self._items[index] = pickle.loads(self._blobs[index])
        return item

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Entries({len(self)})"

    def __getstate__(self) -> list[bytes]:
        if self._blobs is None or any(b is None for b in self._blobs):
            self._blobs = [pickle.dumps(e, protocol=_PICKLE_PROTOCOL) for e in self]
        return self._blobs

    def __setstate__(self, blobs: list[bytes]) -> None:
        self._blobs = blobs
        self._items = [None] * len(blobs)


@dataclass(frozen=True)
class Catalog:
    """Every entry of the six sections, in file order, and the files they came from.

    Look-ups by id, by base model and by name go through indexes worked out when the catalog
    is compiled and stored with it (see ``index``), so they never unpickle a whole section."""

    base_models: Entries = field(default_factory=Entries)
    projects: Entries = field(default_factory=Entries)
    references: Entries = field(default_factory=Entries)
    stages: Entries = field(default_factory=Entries)
    techniques: Entries = field(default_factory=Entries)
    gpus: Entries = field(default_factory=Entries)
    files: tuple[SourceFile, ...] = field(default=(), compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @classmethod
    def from_sections(cls, sections: dict[str, list[schema.Entry]], **extra) -> Catalog:
        return cls(**{name: Entries(sections.get(name, ())) for name in schema.SECTIONS}, **extra)

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

    @cached_property
    def _where(self) -> dict[str, tuple[str, int]]:
        """id -> (section, position)."""
        return {
            entry.id: (name, n)
            for name in schema.SECTIONS
            for n, entry in enumerate(self.section(name))
        }

    def get(self, entry_id: str) -> schema.Entry:
        try:
            name, position = self._where[entry_id]
        except KeyError:
            raise NotFoundError(f"no entry with id {entry_id!r}") from None
        return self.section(name)[position]

    @cached_property
    def families(self) -> dict[str, tuple[str, ...]]:
        """Base-model family name -> the ids of its sizes."""
        families: dict[str, list[str]] = {}
        for base in self.base_models:
            families.setdefault(base.family, []).append(base.id)
        return {name: tuple(ids) for name, ids in families.items()}

    @cached_property
    def names(self):
        """The name index of every entry (see ``match.NameIndex``)."""
        from llmtrack.match import NameIndex

        return NameIndex.build_full(self)

    @cached_property
    def _by_base(self) -> dict[str, tuple[int, ...]]:
        """base model id -> positions of the projects built on it."""
        found: dict[str, list[int]] = {}
        for n, project in enumerate(self.projects):
            for base in project.base_models:
                found.setdefault(base, []).append(n)
        return {base: tuple(positions) for base, positions in found.items()}

    def projects_on(self, *base_ids: str) -> tuple[schema.Project, ...]:
        """Projects built on any of these base models, in catalog order."""
        positions = sorted({n for base in base_ids for n in self._by_base.get(base, ())})
        return tuple(self.projects[n] for n in positions)

    def paper_date(self, entry: schema.Stage | schema.Technique) -> str | None:
        """The date of a stage's or technique's first reference: the paper it rests on."""
        if not entry.references:
            return None
        try:
            return self.get(entry.references[0]).date
        except NotFoundError:  # a dangling reference is reported by validation
            return None

    def date_of(self, entry: schema.Entry) -> str | None:
        """The date an entry is placed at on a timeline or by --since/--until."""
        if isinstance(entry, (schema.Stage, schema.Technique)):
            return self.paper_date(entry)
        return getattr(entry, "released", None) or getattr(entry, "date", None)

    def projects_in_stage(self, stage: schema.Stage) -> tuple[schema.Project, ...]:
        return tuple(p for p in self.projects if set(p.methods) & set(stage.methods))

    def referrers(self, entry_id: str) -> tuple[schema.Entry, ...]:
        """Entries whose cross-references point at ``entry_id``."""
        return tuple(self.get(i) for i in self._referrers.get(entry_id, ()))

    @cached_property
    def _referrers(self) -> dict[str, tuple[str, ...]]:
        """Every cross-reference, reversed: target id -> the ids that cite it."""
        found: dict[str, list[str]] = {}
        for entry in self:
            for _, _, target in schema.references_of(entry):
                citing = found.setdefault(target, [])
                if not citing or citing[-1] != entry.id:
                    citing.append(entry.id)
        return {target: tuple(ids) for target, ids in found.items()}


# --- finding the files --------------------------------------------------------------------


class CatalogFile(NamedTuple):
    name: str  # as shown in messages: the path the user gave, or data/x.yaml
    layer: str
    data: bytes


def bundled_paths() -> list[str]:
    """Where the bundled section files are, in section order."""
    data = resources.files("llmtrack") / "data"
    return [str(data / f"{name}.yaml") for name in schema.SECTIONS]


def bundled_files() -> list[tuple[str, bytes]]:
    """(display name, bytes) of each bundled section file, in section order."""
    data = resources.files("llmtrack") / "data"
    return [(f"data/{name}.yaml", (data / f"{name}.yaml").read_bytes()) for name in schema.SECTIONS]


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else _user_dir("config")


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else _user_dir("cache")


def _user_dir(kind: str) -> Path:
    """The user's config or cache folder for llmtrack, as platformdirs finds it. On Linux
    that is the XDG rule, computed here: importing platformdirs costs every run time."""
    if sys.platform.startswith("linux"):
        variable, fallback = {
            "config": ("XDG_CONFIG_HOME", ".config"),
            "cache": ("XDG_CACHE_HOME", ".cache"),
        }[kind]
        base = os.environ.get(variable, "").strip()
        return Path(base if os.path.isabs(base) else Path.home() / fallback) / "llmtrack"
    import platformdirs

    finder = platformdirs.user_config_dir if kind == "config" else platformdirs.user_cache_dir
    return Path(finder("llmtrack", appauthor=False))


def overlay_paths(command_line: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(path, layer) of every user file, in the documented order."""
    found: list[tuple[str, str]] = []
    folder = config_dir() / "catalog.d"
    if folder.is_dir():
        found += [(str(p), "config") for p in sorted(folder.iterdir()) if p.suffix in _SUFFIXES]
    for path in os.environ.get(CATALOG_ENV, "").split(os.pathsep):
        if path.strip():
            found.append((path.strip(), "environment"))
    found += [(path, "command line") for path in command_line]
    return found


def max_file_bytes() -> int:
    text = os.environ.get(MAX_SIZE_ENV)
    if not text:
        return DEFAULT_MAX_FILE_BYTES
    from llmtrack.units import parse_memory_gib

    return int(parse_memory_gib(text) * 1024**3)


def read_overlay(path: str, layer: str, limit: int) -> CatalogFile:
    """A user file's bytes; too big, missing or unreadable files are refused before parsing."""

    def refuse(message: str) -> CatalogError:
        return CatalogError([Problem(path, None, None, None, None, message)])

    try:
        size = os.stat(path).st_size
        if size > limit:
            mib, cap = size / 1024**2, limit / 1024**2
            raise refuse(
                f"{mib:.1f} MiB is over the {cap:g} MiB limit for catalog files; "
                f"set {MAX_SIZE_ENV} (e.g. 200MB) to allow it"
            )
        with open(path, "rb") as handle:
            return CatalogFile(path, layer, handle.read())
    except IsADirectoryError:
        raise refuse("is a folder, not a file") from None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None


# --- loading ---------------------------------------------------------------------------


def _cache_key(files: Sequence[CatalogFile]) -> str:
    """Changes whenever a file, the schema or the Python that pickles it changes."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{sys.version_info[:2]}|{_PICKLE_PROTOCOL}".encode())
    digest.update(Path(schema.__file__).read_bytes())
    for item in files:
        digest.update(f"{item.layer}|{item.name}".encode() + b"\0")
        digest.update(hashlib.sha256(item.data).digest())
    return digest.hexdigest()[:32]


def _as_catalog_files(files) -> list[CatalogFile]:
    """(name, bytes) pairs are bundled files; CatalogFiles say their own layer."""
    return [f if isinstance(f, CatalogFile) else CatalogFile(f[0], BUNDLED, f[1]) for f in files]


def compile_catalog(
    files: Sequence[CatalogFile] | Sequence[tuple[str, bytes]], base: Catalog | None = None
) -> Catalog:
    """The slow path: parse, validate and merge files, over ``base`` when given (raises
    CatalogError). Bundled files form one layer; every other file is a layer of its own."""
    from llmtrack.validation import load_layers

    files = _as_catalog_files(files)
    bundled = [(f.name, f.data) for f in files if f.layer == BUNDLED]
    layers = ([bundled] if bundled else []) + [
        [(f.name, f.data)] for f in files if f.layer != BUNDLED
    ]
    from llmtrack.progress import LoadProgress

    progress = LoadProgress()
    try:
        trusted = [name for name, _ in bundled]
        loaded = load_layers(layers, base=base, report=progress, trusted=trusted)
    finally:
        progress.close()
    sources = tuple(
        SourceFile(
            f.name,
            f.layer,
            loaded.counts.get(f.name, 0),
            tuple(i for i, _, by in loaded.replaced if by == f.name),
        )
        for f in files
    )
    earlier = base.files if base is not None else ()
    catalog = Catalog.from_sections(
        loaded.sections, files=earlier + sources, warnings=tuple(loaded.warnings)
    )
    return catalog.index()


def catalog_files(overlays: Sequence[str] = (), bundled: bool = True) -> list[CatalogFile]:
    """Every file the catalog is made of, bundled first, in the documented order."""
    files = [CatalogFile(name, BUNDLED, data) for name, data in bundled_files()] if bundled else []
    limit = max_file_bytes()
    files += [read_overlay(path, layer, limit) for path, layer in overlay_paths(overlays)]
    return files


def load_catalog(
    files: Sequence[CatalogFile] | Sequence[tuple[str, bytes]] | None = None,
    *,
    use_cache: bool = True,
) -> Catalog:
    """Load the given files (default: the bundled catalog), through the compiled cache.

    User files are compiled over the compiled bundled catalog, so adding one costs the
    parsing of that file only, and the result is cached too."""
    if files is None:
        files = [CatalogFile(name, BUNDLED, data) for name, data in bundled_files()]
    files = _as_catalog_files(files)
    bundled = [f for f in files if f.layer == BUNDLED]
    overlays = [f for f in files if f.layer != BUNDLED]
    if not use_cache:
        return compile_catalog(files)
    if not bundled or not overlays:
        return _cached(files, lambda: compile_catalog(files))
    # the bundled catalog, compiled and cached on its own, is the base user files go over
    return _cached(files, lambda: compile_catalog(overlays, base=load_catalog(bundled)))


def _cached(files: Sequence[CatalogFile], build) -> Catalog:
    path = cache_dir() / f"catalog-{_cache_key(files)}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass  # missing or unreadable: compile and (try to) store it
    catalog = build()
    _store(path, catalog)
    return catalog


def _store(path: Path, catalog: Catalog) -> None:
    """Write the compiled catalog atomically; a cache we cannot write is not an error."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".catalog-", delete=False) as tmp:
            tmp_name = tmp.name
            pickle.dump(catalog, tmp, protocol=_PICKLE_PROTOCOL)
        os.replace(tmp_name, path)
        older = sorted(path.parent.glob("catalog-*.pickle"), key=_modified, reverse=True)
        for stale in older[_CACHES_KEPT:]:
            stale.unlink(missing_ok=True)
    except OSError:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
