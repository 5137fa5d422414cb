"""Which model an estimate is about: a catalog entry (or a project's base model, or a
checkpoint's), a local config.json or .gguf file, or a Hugging Face repo id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from llmtrack.catalog import schema
from llmtrack.catalog.store import Catalog
from llmtrack.errors import NotApplicable, NotFoundError, UsageError
from llmtrack.memory.estimate import Estimate
from llmtrack.memory.fits import (
    MODE_PRECISIONS,
    Card,
    FitRow,
    can_estimate,
    estimate_base,
    estimate_row,
    sorted_rows,
)
from llmtrack.memory.recipe import Recipe
from llmtrack.memory.row_speed import with_speed
from llmtrack.memory.stacks import on_stack


class ModelToEstimate(NamedTuple):
    base: schema.BaseModelEntry
    notes: list[str]  # what to say on stderr: how the name was read
    resolved_from: str | None  # the name given, when it was not the model's own name
    weight_bytes: int | None = None  # a GGUF file's tensors
    file_precision: str | None = None  # the format a GGUF file's weights are in
    # what a config.json's quantization_config sets: the GPTQ kernel transformers loads it
    # on, and the GPTQ or AWQ group size
    gptq_kernel: str | None = None
    group_size: int | None = None

    def estimate(self, recipe: Recipe) -> Estimate:
        """The estimate of ``recipe`` on this model; a GGUF file keeps its own weights, a
        GPTQ or AWQ checkpoint its group size and the kernel its config asks for, unless
        --group-size and --gptq-kernel say otherwise."""
        if self.file_precision is None:
            return self._as_configured(recipe)
        if recipe.mode != "inference":
            raise NotApplicable("a GGUF file is for llama.cpp inference; it cannot be trained")
        if recipe.precision is not None:
            from llmtrack.memory.precisions import precision

            asked = precision(recipe.precision).name
            same = {"fp16": "f16", "float16": "f16", "fp32": "f32"}.get(asked, asked)
            if same != self.file_precision:
                raise UsageError(
                    f"the file's weights are {self.file_precision}; --precision cannot change them"
                )
        recipe = replace(recipe, precision=self.file_precision)
        return estimate_base(self.base, recipe, self.weight_bytes)

    def _as_configured(self, recipe: Recipe) -> Estimate:
        from llmtrack.memory.gptq_kernels import chosen_by_the_checkpoint

        own = self._in_own_format(recipe)
        if own and self.group_size is not None and recipe.group_size is None:
            recipe = replace(recipe, group_size=self.group_size)
        untyped_kernel = own and recipe.mode == "inference" and recipe.gptq_kernel is None
        if untyped_kernel and self.gptq_kernel:
            chosen = replace(recipe, gptq_kernel=self.gptq_kernel)
            return chosen_by_the_checkpoint(estimate_base(self.base, chosen))
        result = estimate_base(self.base, recipe)
        shipped = self.base.weights_format
        if shipped and recipe.training and recipe.precision is None:
            trained = result.recipe.precision
            if _trainable(replace(recipe, precision=shipped)):
                said = f"(--precision {shipped} to train on it as it is)"
            else:
                said = f"(this recipe cannot train on {shipped} itself)"
            result.assumptions.append(
                f"the checkpoint ships in {shipped}; this fine-tune is estimated on {trained} "
                f"weights {said}"
            )
        return result

    def _in_own_format(self, recipe: Recipe) -> bool:
        """Run in the checkpoint's own weights' format: inference by default, or the format
        named (a fine-tune defaults to 16-bit weights)."""
        if recipe.precision is None:
            return recipe.mode == "inference"
        from llmtrack.memory.precisions import precision

        return precision(recipe.precision).name == self.base.weights_format


def model_to_estimate(catalog: Catalog, name: str) -> ModelToEstimate:
    """The base model ``name`` denotes, and the notes to show. A file path or ``hf:ORG/NAME``
    is read from there; otherwise the catalog is asked first, and an ``ORG/NAME`` it does not
    know is fetched from the Hub. A project stands for its base model: the one its name gives
    (``vicuna-13b``), or its only one the estimator can model; a checkpoint's name for the
    model it was made from."""
    from llmtrack.external import HUB_PREFIX, is_file_spec, is_hub_spec
    from llmtrack.match import NameIndex

    if name.startswith(HUB_PREFIX) or is_file_spec(name):
        return _external(name)
    try:
        resolution = NameIndex.build(catalog, ["base_models", "projects"]).resolve(name, "model")
    except NotFoundError:
        if not is_hub_spec(name):
            raise
        return _external(
            name, f"{name!r} is not in the catalog: reading its config.json from the Hub"
        )
    return _in_catalog(catalog, name, resolution)


def _external(spec: str, first_note: str | None = None) -> ModelToEstimate:
    from llmtrack.external import load_external

    model = load_external(spec)
    notes = [first_note] if first_note else []
    notes += model.notes
    return ModelToEstimate(
        model.entry,
        notes,
        spec,
        model.weight_bytes,
        model.precision,
        model.gptq_kernel,
        model.group_size,
    )


def _in_catalog(catalog: Catalog, name: str, resolution) -> ModelToEstimate:
    notes = [resolution.note] if resolution.note else []
    entry = catalog.get(resolution.entry_id)
    exact = resolution.how in ("id", "name") and isinstance(entry, schema.BaseModelEntry)
    if isinstance(entry, schema.Project):
        if resolution.base:
            base = catalog.get(resolution.base)
        else:
            bases = [catalog.get(b) for b in entry.base_models]
            usable = [b for b in bases if can_estimate(b)]
            if len(usable) != 1:
                options = ", ".join(b.id for b in usable) or "none with a published architecture"
                raise NotFoundError(
                    f"{entry.name} is built on several base models; which one: {options}?"
                )
            base = usable[0]
        notes.append(f"estimating {entry.name} on its base model {base.id}")
        entry = base
    assert isinstance(entry, schema.BaseModelEntry)
    if not can_estimate(entry):
        raise NotFoundError(
            f"{entry.name} has no published architecture (access: {entry.access}); "
            "the estimator needs layers, hidden size, heads and vocabulary"
        )
    return ModelToEstimate(entry, notes, None if exact else name)


def fits_of(
    models: Sequence[ModelToEstimate],
    card: Card,
    modes: Sequence[str] = (),
    precisions: Sequence[str] = (),
    seq_len: int | None = None,
    batch: int = 1,
    kv_cache: str | None = None,
    measure: str | None = None,
    stack: str | None = None,
) -> list[FitRow]:
    """``fits --model``: every recipe (each mode at its precisions) of the models named,
    whether it fits or not; a GGUF file only as it is stored."""
    rows = []
    for model in models:
        if model.file_precision is not None:
            if any(m != "inference" for m in modes) or precisions:
                raise UsageError(
                    f"{model.base.name} is a GGUF file: llama.cpp inference at its own "
                    f"{model.file_precision} only, so --mode and --precision do not apply"
                )
            recipes = [Recipe(seq_len=seq_len, batch=batch, kv_cache=kv_cache, measure=measure)]
        else:
            recipes = [
                Recipe(
                    m,
                    p,
                    seq_len=seq_len,
                    batch=batch,
                    kv_cache=kv_cache if m == "inference" else None,
                    measure=measure,
                )
                for m in (modes or MODE_PRECISIONS)
                for p in (precisions or _tried(m, model.base.weights_format))
            ]
            recipes = on_stack(recipes, stack, asked=bool(modes), gpus=card.gpus)
        for recipe in recipes:
            on_card = recipe if card.gpus == 1 else replace(recipe, gpus=card.gpus)
            try:
                result = model.estimate(on_card)
            except NotApplicable:  # a precision that does not apply to this mode or model
                if len(recipes) == 1:
                    raise
                continue
            row = estimate_row(
                model.base, recipe.mode, result.recipe.precision, result.peak_bytes, card
            )
            if model.file_precision is None:  # a GGUF file's speed needs its own weights
                row = with_speed(row, model.base, seq_len, batch, card, kv_cache)
            rows.append(row)
    return sorted_rows(rows)


def _trainable(recipe: Recipe) -> bool:
    """Whether the recipe (its stack included) can train on its --precision at all."""
    from llmtrack.memory.recipe import plan_for

    try:
        plan_for(recipe, None, [])
    except UsageError:  # NotApplicable too
        return False
    return True


def _tried(mode: str, shipped: str | None) -> tuple[str, ...]:
    """The precisions ``fits --model`` tries for a mode: the usual ones, and for inference
    the format the checkpoint ships in, first."""
    usual = MODE_PRECISIONS[mode]
    if mode != "inference" or not shipped or shipped in usual:
        return usual
    return (shipped, *usual)
