"""`fits`' estimates remembered between runs: a card changes only the comparison, so the
one-GPU peaks of every model and recipe are kept in the cache folder, keyed by the catalog,
the estimator's code and the recipes."""

from __future__ import annotations

from collections.abc import Sequence

from llmtrack.catalog import schema
from llmtrack.catalog.store import Catalog
from llmtrack.errors import NotApplicable, UsageError
from llmtrack.memory.fits import Card, estimable, estimate_base
from llmtrack.memory.recipe import Recipe

# every module an estimate's number depends on (a test keeps this the whole package)
ESTIMATOR_MODULES = tuple(
    f"memory/{name}.py"
    for name in (
        "__init__",
        "activations",
        "engines",
        "estimate",
        "fits",
        "generation",
        "gguf_types",
        "gptq_kernels",
        "kvcache",
        "layers",
        "lora",
        "measure",
        "models",
        "performance",
        "precisions",
        "recipe",
        "remembered",
        "reproduce",
        "row_speed",
        "serving",
        "sglang",
        "shapes",
        "speed",
        "stacks",
        "summary",
        "training_time",
        "unified",
        "weights",
        "zero",
    )
)


def _peaks(catalog: Catalog, recipes: Sequence[Recipe]) -> dict[str, list]:
    """model id -> [precision, peak bytes] per recipe, on one GPU, for every estimable model
    (null where the recipe does not apply to the model)."""

    def peak(base: schema.BaseModelEntry, recipe: Recipe) -> list | None:
        try:
            result = estimate_base(base, recipe)
        except NotApplicable:
            return None
        return [result.recipe.precision, result.peak_bytes]

    return {base.id: [peak(base, r) for r in recipes] for base in estimable(catalog)}


def remembered_peaks(
    catalog: Catalog, recipes: Sequence[Recipe], card: Card
) -> dict[str, list] | None:
    """The one-GPU estimates of ``recipes``, remembered in the cache folder per catalog,
    estimator and recipes: a card changes only the comparison, so a later `fits` compares
    numbers instead of estimating some 900 recipes again. None when they cannot be keyed
    (a catalog that did not come through the cache) or the card has several GPUs."""
    if catalog.key is None or card.gpus != 1:
        return None
    from hashlib import sha256

    from llmtrack.catalog import cache

    digest = sha256(catalog.key.encode() + cache.code_digest(ESTIMATOR_MODULES))
    digest.update(repr(list(recipes)).encode())
    return cache.remembered(
        f"estimates-{digest.hexdigest()[:32]}.json", lambda: _peaks(catalog, recipes)
    )


def remembered_steps(
    catalog: Catalog,
    precisions: Sequence[str],
    seq_len: int | None,
    batch: int,
    kv_cache: str | None,
) -> dict[str, dict[str, list]] | None:
    """Every estimable model's decode step (``speed.DecodeStep``) at each of ``precisions``
    and its own format, remembered per catalog, estimator and settings: the half of a
    decode speed that does not depend on the card. None for a catalog without a key."""
    if catalog.key is None:
        return None
    from hashlib import sha256

    from llmtrack.catalog import cache
    from llmtrack.memory.row_speed import step_of

    wanted = sorted(set(precisions))
    digest = sha256(catalog.key.encode() + cache.code_digest(ESTIMATOR_MODULES))
    digest.update(repr((wanted, seq_len, batch, kv_cache)).encode())

    def steps_of(base: schema.BaseModelEntry) -> dict[str, list]:
        found = {}
        for name in {*wanted, *([base.weights_format] if base.weights_format else [])}:
            try:
                step = step_of(base, name, seq_len, batch, kv_cache)
            except (NotApplicable, UsageError):  # worked out, and said, when a row needs it
                continue
            if step is not None:
                found[name] = list(step)
        return found

    return cache.remembered(
        f"steps-{digest.hexdigest()[:32]}.json",
        lambda: {base.id: steps_of(base) for base in estimable(catalog)},
    )
