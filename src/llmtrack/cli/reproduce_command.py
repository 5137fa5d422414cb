"""`llmtrack reproduce`: a catalog project's recipe on your card, beside what it reported."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtrack.cli import session
from llmtrack.cli.estimator_options import MeasureOption, StackOption
from llmtrack.cli.options import (
    DETAIL_FORMATS,
    DetailFormatOption,
    ForceOption,
    GpuOption,
    GpusOption,
    OutputOption,
    ProjectEpochsOption,
    UsdPerHourOption,
    VramOption,
    complete_ids,
)


def reproduce_command(
    project: Annotated[
        str,
        typer.Argument(
            help="A project, or one of its runs: alpaca, vicuna-13b, ...",
            autocompletion=complete_ids("projects"),
        ),
    ],
    gpu: GpuOption = None,
    vram: VramOption = None,
    gpus: GpusOption = 1,
    epochs: ProjectEpochsOption = None,
    stack: StackOption = None,
    measure: MeasureOption = None,
    usd_per_hour: UsdPerHourOption = None,
    fmt: DetailFormatOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
) -> None:
    """What redoing a project's recipe would take on your card: does it fit, how long, for
    how much; beside what the project reported, with its source. Without a card, the
    project's own hardware.

    Examples:

      llmtrack reproduce alpaca --gpu "RTX 4090"

      llmtrack reproduce vicuna-13b --gpu a100-80gb --gpus 8 --epochs 3

      llmtrack reproduce alpaca-lora --gpu rtx-4090 --stack torchtune

      llmtrack reproduce alpaca-lora --format json
    """
    from llmtrack.catalog.schema import Project
    from llmtrack.errors import UsageError
    from llmtrack.match import NameIndex
    from llmtrack.memory.reproduce import reproduce
    from llmtrack.output.reproduce_view import render_reproduction
    from llmtrack.output.write import output_env, write_detail
    from llmtrack.units import parse_positive

    fmt = session.output_format(fmt, output, DETAIL_FORMATS, "text")
    catalog = session.load()
    resolution = NameIndex.build(catalog, ["projects"]).resolve(project, "project")
    if resolution.note:
        session.note(resolution.note)
    entry = catalog.get(resolution.entry_id)
    assert isinstance(entry, Project)
    card = session.card(catalog, vram, gpu, gpus)
    if card is None:  # the project's own hardware, as it reported it
        training = entry.training
        if training is None or training.gpu is None:
            raise UsageError(f"{entry.name} reports no GPU: give --gpu NAME")
        card = session.card(catalog, None, training.gpu, training.gpu_count or 1)
        session.note(
            f"on the hardware {entry.name} reported: {training.gpu_count or 1} x {training.gpu}"
        )
    assert card is not None
    rate = parse_positive(usd_per_hour, "--usd-per-hour", 10**6, "2.49") if usd_per_hour else None
    record = reproduce(catalog, entry, resolution.base, card, epochs, rate, stack, measure)
    env = output_env(session.current().env, output)
    write_detail(fmt, lambda: render_reproduction(record, env), lambda: record, output, force, env)
