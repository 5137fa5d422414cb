"""The compiled catalog: what a run reads instead of parsing YAML and validating it.

Threat model: the cache folder is the one place a run reads from that another user, a
restored CI cache or a careless ``chmod`` could have written. So what is stored there is
plain JSON, read with the standard library: whatever a file holds, reading it builds only
the record classes of ``schema.RECORD_TYPES`` from strings, numbers and lists, and never
runs code. Each file starts with the SHA-256 of the rest, so a flipped byte or a truncated
write is noticed and the catalog compiled again; any failure to read or use a cached file
means compiling again, never an error. The folder is created 0700 and used only while it
belongs to this user and no one else may write to it; otherwise the catalog is compiled in
memory, with one warning.

The key of a compiled catalog covers every input of its bytes: each file's content, layer
and name, the format, and the source of every module whose output is stored (the schema,
the parser, validation, the indexes and this codec). Edit any of them and the key changes.

The bundled catalog's compiled form ships in the package (``data/catalog.json``, made by
``python -m llmtrack.catalog.build`` and proved identical to the YAML by a test), so the
first command after installing is as fast as any other; an editable install whose YAML has
changed since falls back to the user cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import types
import typing
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llmtrack.catalog import schema
from llmtrack.catalog.files import CatalogFile, cache_dir
from llmtrack.catalog.store import Catalog, Entries, SourceFile
from llmtrack.errors import Problem

FORMAT = 2  # 2: a header line, then the entries' bytes (1 held them as strings in the JSON)
PREFIX, SUFFIX = "catalog-", ".json"
KINDS = (PREFIX, "estimates-")  # what `llmtrack cache clear` removes
_TEMPORARY = ".catalog-"  # a file being written, renamed into place when complete
CACHES_KEPT = 8  # compiled catalogs kept, for users who switch between overlay sets
# Modules whose output a compiled catalog holds, relative to the package folder.
STORED_MODULES = (
    "catalog/schema.py",
    "catalog/architecture.py",
    "catalog/records.py",
    "catalog/values.py",
    "catalog/validation.py",
    "catalog/store.py",
    "catalog/load.py",
    "catalog/cache.py",
    "match.py",
    "yamlsafe.py",
    "lazyclass.py",
)
_PACKAGE = Path(__file__).resolve().parent.parent


class CacheWarning(UserWarning):
    """The cache could not be used safely; the catalog was compiled without it."""


class CacheInvalid(ValueError):
    """A compiled file that is corrupt, stale or not ours."""


def code_digest(modules: Sequence[str] = STORED_MODULES) -> bytes:
    """A digest of these modules' source (paths relative to the package folder)."""
    digest = hashlib.sha256()
    for name in modules:
        try:
            digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes())
        except OSError:  # sources not installed: a key no shipped file matches
            digest.update(f"{name} unreadable".encode())
    return digest.digest()


def cache_key(files: Sequence[CatalogFile]) -> str:
    digest = hashlib.sha256(f"llmtrack compiled catalog {FORMAT}\0".encode())
    digest.update(code_digest())
    for item in files:
        digest.update(f"{item.layer}|{item.name}".encode() + b"\0")
        digest.update(hashlib.sha256(item.data).digest())
    return digest.hexdigest()[:32]


# --- encoding ------------------------------------------------------------------------


def _layout() -> dict[str, dict[str, list]]:
    """For each record class, its fields that hold records or lists: what decoding rebuilds."""
    layout: dict[str, dict[str, list]] = {}
    for name, cls in schema.RECORD_TYPES.items():
        hints = typing.get_type_hints(cls)
        spec: dict[str, list] = {}
        for f in schema.fields_of(cls):
            options = _options(hints[f.name])
            record = next((t for t in options if schema.is_record_type(t)), None)
            tuples = [t for t in options if typing.get_origin(t) is tuple]
            if record is not None:
                spec[f.name] = ["record", record.__name__]
            elif tuples:
                inner = typing.get_args(tuples[0])[0]
                if schema.is_record_type(inner):
                    spec[f.name] = ["records", inner.__name__]
                else:
                    spec[f.name] = ["tuple", None]
        layout[name] = spec
    return layout


def _options(hint) -> tuple:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _plain(value: Any) -> Any:
    """A record as JSON data: every field by name, in the record's order."""
    if isinstance(value, schema.Record):
        return {f.name: _plain(getattr(value, f.name)) for f in schema.fields_of(type(value))}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def encode(catalog: Catalog, key: str) -> bytes:
    """The compiled form: the digest of the rest, a newline; a header (JSON) on one line;
    then every entry's JSON, one after the other. The header gives where each entry's
    bytes end, so a run parses the header and only the entries it uses."""
    catalog.index()
    blob = bytearray()
    ends: dict[str, list[int]] = {}
    for name in schema.SECTIONS:
        ends[name] = []
        for entry in catalog.section(name):
            blob += json.dumps(_plain(entry), ensure_ascii=False, separators=(",", ":")).encode()
            ends[name].append(len(blob))
    offsets: dict[str, list[int]] = {}
    header = {
        "format": FORMAT,
        "key": key,
        "layout": _layout(),
        "sections": ends,
        "indexes": offsets,
        "files": [list(source) for source in catalog.files],
        "warnings": [list(problem) for problem in catalog.warnings],
    }
    # the indexes go after the entries, each parsed only when first used
    for name, index in (
        ("where", catalog._where),
        ("by_base", catalog._by_base),
        ("referrers", catalog._referrers),
        ("families", catalog.families),
        ("names", catalog.names._asdict() | {"allowed": None}),
    ):
        start = len(blob)
        blob += json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode()
        offsets[name] = [start, len(blob)]
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return frame(head + b"\n" + bytes(blob))


def frame(body: bytes) -> bytes:
    """What a cache file holds: the SHA-256 of the body, a newline, the body."""
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def unframe(data: bytes, verify: bool = True) -> memoryview:
    """The body of a cache file, without copying it; CacheInvalid when it is not what was
    written (unless ``verify`` is false: then only its shape is read)."""
    at = data.find(b"\n")
    body = memoryview(data)[at + 1 :]
    if at < 0 or (verify and hashlib.sha256(body).hexdigest().encode() != data[:at]):
        raise CacheInvalid("checksum mismatch")
    return body


# --- decoding ------------------------------------------------------------------------


def decode(
    data: bytes,
    key: str,
    rebuild: Callable[[], Catalog] | None = None,
    *,
    verify: bool = True,
) -> Catalog:
    """The catalog a compiled file holds; CacheInvalid when it is corrupt, stale or odd.

    Entries are decoded when first used; should one fail then, ``rebuild()`` compiles the
    catalog afresh (once) and the entry comes from there. ``verify=False`` skips the digest,
    for the file shipped in the package: no other writer can reach it but whoever installed
    the code beside it, and what does not decode is compiled again all the same."""
    start = len(data) - len(unframe(data, verify))
    try:
        at = data.index(b"\n", start)  # the header's end
        payload = json.loads(data[start:at])
        blob = memoryview(data)[at + 1 :]  # the entries and indexes, never copied whole
        if payload["format"] != FORMAT or payload["key"] != key:
            raise CacheInvalid("stale")
        build = _builder(payload["layout"])
        rebuilt = functools.cache(rebuild) if rebuild else None
        sections = {}
        start = 0
        for name, cls in schema.ENTRY_TYPES.items():
            ends = payload["sections"][name]
            if not all(isinstance(end, int) and end >= start for end in ends):
                raise CacheInvalid("not a compiled catalog")
            encoded = _Slices(blob, start, ends)
            start = ends[-1] if ends else start
            sections[name] = Entries(
                encoded=encoded,
                decode=functools.partial(_decode_entry, build, cls.__name__),
                fallback=functools.partial(_section_of, rebuilt, name) if rebuilt else None,
            )
        catalog = Catalog(
            key=key,
            **sections,
            files=tuple(SourceFile(p, layer, n, tuple(r)) for p, layer, n, r in payload["files"]),
            warnings=tuple(Problem(*problem) for problem in payload["warnings"]),
        )
        offsets = payload["indexes"]
        if set(offsets) != {"where", "by_base", "referrers", "families", "names"}:
            raise CacheInvalid("not a compiled catalog")
        catalog.__dict__["_stored_indexes"] = functools.partial(_index, blob, offsets)
        return catalog
    except CacheInvalid:
        raise
    except Exception as exc:  # any shape we did not write
        raise CacheInvalid(f"not a compiled catalog: {exc}") from None


def _index(blob: memoryview, offsets: dict[str, list[int]], name: str) -> Any:
    """One of the indexes a compiled catalog holds, parsed when the catalog first uses it."""
    start, end = offsets[name]
    index = json.loads(bytes(blob[start:end]))
    if name == "names":
        from llmtrack.match import NameIndex

        return NameIndex(**index)
    return index


class _Slices(Sequence):
    """Entry n of a section is blob[ends[n - 1]:ends[n]]: cut out when it is used."""

    def __init__(self, blob: memoryview, start: int, ends: list[int]):
        self._blob, self._starts, self._ends = blob, [start, *ends[:-1]], ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index):
        return bytes(self._blob[self._starts[index] : self._ends[index]])


def _decode_entry(build, name: str, text: bytes) -> Any:
    return build(name, json.loads(text))


def _section_of(catalog: Callable[[], Catalog], name: str) -> Entries:
    return catalog().section(name)


def _builder(layout: dict[str, dict[str, list]]):
    """A function that turns decoded JSON into records, using only the schema's classes.

    A record is made as unpickling makes one: its fields set without calling ``__init__``
    (which only assigns them), after checking that the data holds exactly those fields."""
    types = schema.RECORD_TYPES
    fields: dict[str, set[str]] = {}  # by class name, for the classes this run meets

    def build(name: str, data: dict) -> Any:
        cls = types[name]  # a KeyError for a class we do not have: the file is not ours
        if name not in fields:
            fields[name] = {f.name for f in schema.fields_of(cls)}
        if data.keys() != fields[name]:
            raise CacheInvalid(f"{name} with other fields")
        for field, (kind, inner) in layout[name].items():
            value = data.get(field)
            if value is None:
                continue
            if kind == "record":
                data[field] = build(inner, value)
            elif kind == "records":
                data[field] = tuple(build(inner, item) for item in value)
            else:
                data[field] = tuple(value)
        record: Any = object.__new__(cls)
        record.__dict__.update(data)
        return record

    return build


# --- the user cache ------------------------------------------------------------------


def private_folder(folder: Path) -> bool:
    """Create the cache folder 0700 if needed; True when it is safe to read and write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return False
    if os.name != "posix":
        return True
    if info.st_uid != os.geteuid():
        _warn(f"cache folder {folder} belongs to another user; compiling in memory")
        return False
    if info.st_mode & 0o022:
        _warn(f"cache folder {folder} is writable by others; compiling in memory")
        return False
    return True


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=3)


def cached(files: Sequence[CatalogFile], build) -> Catalog:
    """The compiled catalog of ``files`` from the user cache, or ``build()`` stored there."""
    folder = cache_dir()
    key = cache_key(files)
    if not private_folder(folder):
        return build().with_key(key)
    path = folder / f"{PREFIX}{key}{SUFFIX}"

    def rebuild() -> Catalog:
        path.unlink(missing_ok=True)  # this file is bad: the next run writes a good one
        return build()

    try:
        return decode(_read_own(path), key, rebuild)
    except (OSError, CacheInvalid):
        pass  # missing, unreadable, corrupt or not ours: compile and store it again
    catalog = build().with_key(key)
    store(path, encode(catalog, key))
    return catalog


def remembered(name: str, compute: Callable[[], Any]) -> Any:
    """JSON data kept in the cache folder under ``name`` (a name its inputs' key is part
    of), or ``compute()`` kept there; as safe and as forgiving as the compiled catalogs."""
    folder = cache_dir()
    if not private_folder(folder):
        return compute()
    path = folder / name
    try:
        return json.loads(bytes(unframe(_read_own(path))))
    except (OSError, ValueError):  # missing, corrupt (CacheInvalid is a ValueError) or odd
        pass
    data = compute()
    store(path, frame(json.dumps(data, separators=(",", ":")).encode()))
    return data


def _read_own(path: Path) -> bytes:
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        if os.name == "posix" and (info.st_uid != os.geteuid() or info.st_mode & 0o022):
            raise CacheInvalid("not written by this user")
        return handle.read()


def store(path: Path, data: bytes) -> None:
    """Write a compiled catalog atomically; a cache we cannot write is not an error."""
    import tempfile

    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=_TEMPORARY, delete=False) as tmp:
            tmp_name = tmp.name
            tmp.write(data)
        os.replace(tmp_name, path)
        tmp_name = None
        kind = path.name.split("-", 1)[0]  # catalog-..., estimates-...: each kind kept apart
        older = sorted(path.parent.glob(f"{kind}-*{SUFFIX}"), key=_modified, reverse=True)
        for stale in older[CACHES_KEPT:]:
            stale.unlink(missing_ok=True)
        # what a write killed before this cleanup could run left behind (an hour old:
        # another llmtrack may be writing its own right now)
        for left in path.parent.glob(f"{_TEMPORARY}*"):
            if time.time() - _modified(left) > 3600:
                left.unlink(missing_ok=True)
    except OSError:
        pass
    finally:  # an interrupt (Ctrl-C) too leaves no temporary file
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)


def cached_files(folder: Path | None = None) -> list[Path]:
    """Every file llmtrack keeps in the cache folder (older pickles included, to clear them)."""
    folder = folder or cache_dir()
    if not folder.is_dir():
        return []
    kinds = (*KINDS, _TEMPORARY)
    return sorted(p for p in folder.iterdir() if p.name.startswith(kinds) and p.is_file())


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
