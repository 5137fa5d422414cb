"""The memory estimator: peak GPU memory by component, from an architecture and a recipe.

`precisions` (formats and bits), `shapes` (matrices and parameter counts), `recipe` (what is
run and the defaults it implies), `estimate` (the breakdown), `fits` (models x recipes on a
card, and what projects report)."""

from llmtrack.memory.estimate import GIB, TIGHT_HEADROOM, Estimate, estimate
from llmtrack.memory.precisions import PRECISIONS, Precision, precision
from llmtrack.memory.recipe import MODES, Recipe
from llmtrack.memory.shapes import parameter_count, shapes

__all__ = [
    "GIB",
    "MODES",
    "PRECISIONS",
    "TIGHT_HEADROOM",
    "Estimate",
    "Precision",
    "Recipe",
    "estimate",
    "parameter_count",
    "precision",
    "shapes",
]
