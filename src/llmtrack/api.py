"""The Python API: what the command line does, for notebooks and scripts. The CLI calls the
same domain functions; these are their front door. Import them from ``llmtrack``::

    import llmtrack

    catalog = llmtrack.load_catalog()
    vicuna = llmtrack.find("vicuna", catalog)
    cheap = llmtrack.ProjectFilter(bases=["llama-7b"], max_cost_usd=500).select(catalog)
    peak = llmtrack.estimate("llama-2-7b", mode="qlora").peak_gib
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from llmtrack.catalog.schema import Entry
from llmtrack.catalog.store import Catalog
from llmtrack.filters import (
    BaseModelFilter,
    GpuFilter,
    ProjectFilter,
    ReferenceFilter,
    Selection,
    StageFilter,
    TechniqueFilter,
)
from llmtrack.memory.estimate import Estimate
from llmtrack.memory.recipe import Recipe

__all__ = [
    "BaseModelFilter",
    "Catalog",
    "Entry",
    "Estimate",
    "GpuFilter",
    "ProjectFilter",
    "Recipe",
    "ReferenceFilter",
    "Selection",
    "StageFilter",
    "TechniqueFilter",
    "estimate",
    "find",
    "load_catalog",
    "search",
]


def load_catalog(*files: str, bundled: bool = True) -> Catalog:
    """The catalog the command line sees: the bundled one (unless ``bundled=False``), then
    the files in the config folder's ``catalog.d/`` and ``LLMTRACK_CATALOG``, then ``files``."""
    from llmtrack.catalog.files import catalog_files
    from llmtrack.catalog.load import load_catalog as load

    return load(catalog_files(files, bundled=bundled))


def find(name: str, catalog: Catalog | None = None) -> Entry:
    """The one entry ``name`` denotes, forgivingly matched; NotFoundError (with "did you
    mean") for an unknown or ambiguous name. Where the match was a guess, a UserWarning
    says so, as the command line says it on stderr."""
    from llmtrack.match import find as resolve

    entry, resolution = resolve(catalog or load_catalog(), name)
    if resolution.note:
        warnings.warn(resolution.note, UserWarning, stacklevel=2)
    return entry


def search(query: str, catalog: Catalog | None = None, sections: Iterable[str] | None = None):
    """Ranked hits (section, entry id, field, snippet, score) for every word of ``query``.
    Where nothing holds the words and the hits are a guess (a word respelt, close names),
    a UserWarning says so, as the command line says it on stderr."""
    from llmtrack.textsearch import search as run

    found = run(catalog or load_catalog(), query, sections)
    if found.note:
        warnings.warn(found.note, UserWarning, stacklevel=2)
    return found.hits


def estimate(model: str, catalog: Catalog | None = None, **recipe: Any) -> Estimate:
    """Peak GPU memory of running or training ``model`` (a base model, or a project on one),
    by component; ``recipe`` takes ``Recipe``'s fields (mode, precision, seq_len, batch,
    lora_rank, gpus, zero, ...). Every default it picked is in ``.assumptions``."""
    from llmtrack.memory.models import model_to_estimate

    chosen = model_to_estimate(catalog or load_catalog(), model)
    for note in chosen.notes:  # a guessed name, or the base model a project stands for
        warnings.warn(note, UserWarning, stacklevel=2)
    return chosen.estimate(Recipe(**recipe))
