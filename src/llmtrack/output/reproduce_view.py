"""`reproduce`'s text: what redoing a project's recipe takes on a card, beside what the
project reported; wrapped to a terminal (an assumption's later lines under its text, a URL
never broken), as written in a pipe or a file."""

from __future__ import annotations

from typing import Any

from llmtrack.memory.measure import DEFAULT_MEASURE
from llmtrack.output.env import Env
from llmtrack.output.safe_text import safe_text  # catalog text: shown, never obeyed
from llmtrack.output.wrapping import wrap_words
from llmtrack.units import format_cost, format_estimated_usd, format_gpu_hours, format_hours


def render_reproduction(record: dict[str, Any], env: Env) -> str:
    """The comparison for a person, plain lines."""
    card = record["card"]
    counted = "" if record["measure"] == DEFAULT_MEASURE else f" ({record['measure']})"
    lines = [
        f"{record['project']} on {record['base_model']}: {record['recipe']}",
        f"on {card['gpus']} x {card['name']} ({card['memory_gib']:g} GiB): "
        f"{record['verdict']}, peak{counted} {record['peak_gib']:.2f} GiB",
    ]
    if "train_hours" in record:
        cost = f", {format_estimated_usd(record['train_usd'])}" if "train_usd" in record else ""
        lines.append(
            f"would take about {format_hours(record['train_hours'])} "
            f"({format_gpu_hours(record['gpu_hours'])}){cost}"
        )
    elif record["verdict"] == "no":
        lines.append("does not fit, so no time or cost (more --gpus or a larger --gpu)")
    reported = record["reported"]
    hardware = (
        f"{reported['gpu_count'] or '?'} x {reported['gpu'] or 'unknown GPU'}"
        if reported["gpu"] or reported["gpu_count"]
        else "hardware not reported"
    )
    hours = f", {reported['hours']:g} h" if reported["hours"] is not None else ""
    # as the catalog states it: "≤$600" is at most, "~$300" about (units.format_cost)
    spent = format_cost(reported["cost_usd"], reported["cost_bound"])
    cost = f", {spent}" if spent else ""
    lines.append(f"reported: {hardware}{hours}{cost} ({reported['source']})")
    lines += ["", "Assumptions", *(f"- {line}" for line in record["assumptions"])]
    width = env.width if env.is_terminal else None
    shown: list[str] = []
    for line in lines:
        text = safe_text(line, keep_lines=False)
        indent = "  " if text.startswith("- ") else "    "
        shown += wrap_words(text, width, indent, first="") if width and text else [text]
    return "\n".join(shown) + "\n"
