"""`llmtrack reproduce PROJECT`: what redoing a catalog project's recipe would take on a
card (does it fit, how long, how much), beside what the project reported, with sources."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from llmtrack.catalog import schema
from llmtrack.catalog.store import Catalog
from llmtrack.errors import UsageError
from llmtrack.memory.fits import Card, can_estimate, estimate_base, project_recipe
from llmtrack.memory.performance import Budget, performance
from llmtrack.memory.recipe import DEFAULT_LORA, TRAINING_SEQ_LEN, Recipe, plan_for
from llmtrack.memory.stacks import DEFAULT_STACK, stack_named


def reproduce(
    catalog: Catalog,
    project: schema.Project,
    base_id: str | None,
    card: Card,
    epochs: float | None = None,
    usd_per_hour: float | None = None,
    stack: str | None = None,
    measure: str | None = None,
) -> dict[str, Any]:
    """The prediction and the report side by side, as one record. ``epochs``: as many as
    the project ran where it says, else one; its token count where a source gives it.
    ``measure``: what the peak counts (memory/measure.py), nvidia-smi's figure by default."""
    recipe = project_recipe(project)
    if recipe is None:
        raise UsageError(f"{project.name} trained nothing llmtrack can model (its methods)")
    if base_id is None:  # the project's first base model the estimator can size
        usable = [b for b in project.base_models if can_estimate(catalog.get(b))]
        if not usable:
            raise UsageError(f"{project.name}: none of its base models has an architecture")
        base_id = usable[0]
    variant = next((v for v in project.variants if v.base_model == base_id), None)
    base = catalog.get(base_id)
    seq_len = (variant.seq_len if variant else None) or recipe.seq_len or TRAINING_SEQ_LEN
    if stack is not None:
        recipe = _on_another_stack(project, recipe, stack, card.gpus)
    recipe = replace(recipe, seq_len=seq_len, gpus=card.gpus, stack=stack, measure=measure)
    if card.gpus > 1 and recipe.zero is None:
        recipe = replace(recipe, zero=3)
    result = estimate_base(base, recipe)
    data = (variant.data_examples if variant else None) or (
        project.data.examples if project.data else None
    )
    notes = list(result.assumptions)
    record: dict[str, Any] = {
        "project": project.id,
        "base_model": base.id,
        "recipe": f"{result.recipe.mode} {result.recipe.precision}, {seq_len} tokens",
        "card": {"name": card.label, "memory_gib": card.memory_gib, "gpus": card.gpus},
        "measure": result.recipe.measure,
        "stack": result.recipe.stack or DEFAULT_STACK,
        "peak_gib": round(result.peak_gib, 2),
        "verdict": result.verdict(card.memory_gib),
    }
    training = (variant.training if variant else None) or project.training
    ran = training.epochs if training else None
    tokens = training.tokens if training else None
    if tokens and epochs is not None:  # the run's tokens, per epoch, times the epochs asked
        tokens = round(tokens / (ran or 1) * epochs)
    if record["verdict"] == "no":
        # a time and a price for a run that cannot start would read like a quote
        notes.append(
            f"no time or cost: the run does not fit {card.gpus} x {card.memory_gib:g} GiB "
            "(more --gpus or a larger --gpu; `llmtrack estimate` sizes a LoRA or QLoRA recipe)"
        )
    elif tokens is None and data is None:
        notes.append(f"{project.name} publishes no example count: the run cannot be sized")
    else:
        chosen_epochs = epochs or ran or 1.0
        budget = Budget(tokens, None if tokens else data, chosen_epochs)
        perf = performance(
            base.architecture, result, card, budget=budget, usd_per_hour=usd_per_hour
        )
        notes += perf.assumptions
        if tokens:
            notes.append(
                f"{tokens:,} tokens: the count the catalog gives for the run (its training notes)"
                + (
                    f", for {epochs:g} epoch(s) instead of {ran or 1:g}"
                    if epochs is not None
                    else ""
                )
            )
        else:
            said = "as the project ran" if epochs is None and ran else "--epochs to change"
            notes.append(
                f"{data:,} examples x {chosen_epochs:g} epoch(s) ({said}), each counted as a full "
                f"{seq_len}-token sequence (an upper bound: most are shorter)"
            )
        train = perf.training
        if train is not None and train.hours is not None:
            record["train_hours"] = round(train.hours, 2)
            record["gpu_hours"] = round(train.gpu_hours or 0, 2)
            if train.usd is not None:
                record["train_usd"] = round(train.usd, 2)
    record["reported"] = _reported(project, variant)
    record["assumptions"] = notes
    return record


def _on_another_stack(project: schema.Project, recipe: Recipe, stack: str, gpus: int) -> Recipe:
    """The project's recipe, as the default stack runs it, on ``stack``: what the project
    did stays (LoRA rank and targets, optimizer, checkpointing), only what the software
    keeps changes; a stack that cannot run it is refused in the project's terms."""
    chosen = stack_named(stack)
    found = chosen.unsupported(recipe.mode, 1, weights=recipe.precision)
    if found:
        raise UsageError(
            f"--stack {chosen.name} {found[0]}; {project.name}'s recipe is {recipe.mode} "
            f"{recipe.precision}: drop --stack"
        )
    if chosen.unsupported(recipe.mode, gpus):  # its recipe runs, on more GPUs than it takes
        raise UsageError(
            f"--stack {chosen.name} trains on one GPU and this run has {gpus}: one card "
            "(--gpu NAME without --gpus), or drop --stack"
        )
    if recipe.mode == "full":
        return recipe
    plan = plan_for(recipe, None, [])
    rank, targets = DEFAULT_LORA[recipe.mode]
    return replace(
        recipe,
        lora_rank=recipe.lora_rank or rank,
        lora_targets=recipe.lora_targets or targets,
        optimizer=recipe.optimizer or plan.optimizer,
        gradient_checkpointing=plan.checkpointing,
    )


def _reported(project: schema.Project, variant) -> dict[str, Any]:
    training = (variant.training if variant else None) or project.training
    cost = (variant.cost if variant else None) or project.cost
    source = (variant.source if variant else None) or project.sources[0]
    return {
        "gpu": training.gpu if training else None,
        "gpu_count": training.gpu_count if training else None,
        "hours": training.hours if training else None,
        "cost_usd": cost.total_usd if cost else None,
        "cost_bound": cost.total_bound if cost else None,
        "source": source,
    }
