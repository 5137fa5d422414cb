"""A project's run on one base model, as a project of its own (a *view*).

A project built on several base models reports different figures for each (Vicuna cost
about $140 on LLaMA-7B and $300 on LLaMA-13B; DeepSpeed-Chat's OPT-175B run is $5,120, its
OPT-13B one $290). Each is a ``ProjectVariant`` of the project. When a listing asks about
some base models (``list --base llama-7b``), every filter, sort and fit is decided on the
view of the matching variant: the project with that variant's base, date, data size,
hardware, cost and checkpoint, and nothing from another variant. A figure the variant does
not give is unknown in the view, never the project's headline figure for another size;
what every variant shares (the data's description, the methods unless the variant says
otherwise, the licenses) comes from the project.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace as _replace
from typing import Any

from llmtrack.catalog import schema


def views(
    project: schema.Project, bases: Collection[str] | None = None
) -> Iterator[schema.Project]:
    """The project as run on each of ``bases`` (every variant when None); the project
    itself when it records no variants."""
    if not project.variants:
        yield project
        return
    for variant in project.variants:
        if bases is None or variant.base_model in bases:
            yield view(project, variant)


def replace(record: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for records (which mypy does not see as dataclasses: the
    ``record`` decorator makes them so lazily)."""
    return _replace(record, **changes)


def view(project: schema.Project, variant: schema.ProjectVariant) -> schema.Project:
    """The project with one variant's figures (see the module)."""
    data = project.data
    if data is not None:
        # the data's size is per variant only where the sources give one per variant
        size = variant.data_size or data.size
        data = replace(data, size=size, examples=variant.data_examples or data.examples)
    links = project.links
    if links is not None:
        links = replace(links, model=variant.model)
    return replace(
        project,
        base_models=(variant.base_model,),
        released=variant.released or project.released,
        data=data,
        methods=variant.methods or project.methods,
        training=variant.training,
        cost=variant.cost,
        links=links,
        variants=(variant,),
    )


def label(project: schema.Project, catalog) -> str | None:
    """'WizardLM-13B V1.2', or the base's name ('LLaMA-7B'): the run a view (or a project on
    one base) is of; None for a project with several, which shows its headline figures."""
    if len(project.variants) > 1 or len(project.base_models) > 1:
        return None
    variant = project.variants[0] if project.variants else None
    if variant is not None and variant.name:
        return variant.name
    base_id = variant.base_model if variant else project.base_models[0]
    base = catalog.get(base_id)
    return base.name if base else base_id
