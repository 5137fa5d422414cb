"""llmtrack: query a bundled, sourced catalog of affordable LLMs, and estimate what fits.

The public API (``load_catalog``, ``find``, ``search``, ``estimate``, the filters) lives in
``llmtrack.api`` and is imported from here on first use, so the command line's start-up
does not pay for it."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

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
    "__version__",
    "estimate",
    "find",
    "load_catalog",
    "search",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from llmtrack import api

        return getattr(api, name)
    raise AttributeError(f"module 'llmtrack' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
