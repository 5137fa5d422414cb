"""Making the catalog: the bundled files and the user's, parsed, validated and merged, or
read in compiled form (``catalog.cache``).

YAML is for people, not for start-up: parsing with ruamel.yaml and validating with pydantic
takes seconds on a small machine. The bundled catalog ships compiled; user files are
compiled over it once and cached, so a later run reads JSON and imports neither ruamel.yaml
nor pydantic.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmtrack.catalog import cache
from llmtrack.catalog.files import BUNDLED, DATA, CatalogFile, as_catalog_files, bundled_files
from llmtrack.catalog.store import Catalog, SourceFile

COMPILED_BUNDLED = "catalog.json"  # in the package's data folder


def compile_catalog(
    files: Sequence[CatalogFile] | Sequence[tuple[str, bytes]],
    base: Catalog | None = None,
    report=None,
) -> Catalog:
    """The slow path: parse, validate and merge files, over ``base`` when given (raises
    CatalogError). Bundled files form one layer; every other file is a layer of its own.
    ``report(label, done, total)`` is called now and then, for a progress bar."""
    from llmtrack.catalog.validation import load_layers

    files = as_catalog_files(files)
    bundled = [(f.name, f.data) for f in files if f.layer == BUNDLED]
    layers = ([bundled] if bundled else []) + [
        [(f.name, f.data)] for f in files if f.layer != BUNDLED
    ]
    trusted = [name for name, _ in bundled]
    loaded = load_layers(layers, base=base, report=report, trusted=trusted)
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


def load_catalog(
    files: Sequence[CatalogFile] | Sequence[tuple[str, bytes]] | None = None,
    *,
    use_cache: bool = True,
    report=None,
) -> Catalog:
    """Load the given files (default: the bundled catalog), compiled.

    User files are compiled over the compiled bundled catalog, so adding one costs the
    parsing of that file only, and the result is cached too."""
    files = as_catalog_files(files if files is not None else bundled_files())
    bundled = [f for f in files if f.layer == BUNDLED]
    overlays = [f for f in files if f.layer != BUNDLED]
    if not use_cache:
        return compile_catalog(files, report=report)
    if not overlays:
        return bundled_catalog(bundled, report)
    if not bundled:
        return cache.cached(files, lambda: compile_catalog(files, report=report))
    return cache.cached(
        files,
        lambda: compile_catalog(overlays, base=bundled_catalog(bundled, report), report=report),
    )


def bundled_catalog(bundled: Sequence[CatalogFile], report=None) -> Catalog:
    """The shipped compiled catalog when it was made from these very files and this code;
    otherwise (an edited checkout) compiled through the user cache."""
    key = cache.cache_key(bundled)
    try:
        shipped = (DATA / COMPILED_BUNDLED).read_bytes()
        rebuild = lambda: compile_catalog(bundled, report=report)  # noqa: E731
        return cache.decode(shipped, key, rebuild, verify=False)
    except (OSError, cache.CacheInvalid):
        return cache.cached(bundled, lambda: compile_catalog(bundled, report=report))


def build_bundled() -> bytes:
    """The compiled form of the bundled catalog, as ``data/catalog.json`` must hold it."""
    bundled = as_catalog_files(bundled_files())
    return cache.encode(compile_catalog(bundled), cache.cache_key(bundled))
