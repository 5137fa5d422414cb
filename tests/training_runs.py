"""Reported fine-tuning runs (tests/fixtures/training_runs.yaml), and llmtrack's training
time held against their wall-clock hours. Shared by tests/test_speed.py and
`benchmarks/speed.py`."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from llmtrack.catalog.store import Catalog
from llmtrack.memory.shapes import shapes
from llmtrack.memory.stacks import STACKS, Stack, stack_named
from llmtrack.memory.training_time import training_time

FIXTURE = Path(__file__).parent / "fixtures" / "training_runs.yaml"
# how the estimator counts a run's recipe: an 8-bit base and LLaMA-Adapter's prompt adapter
# both train through a frozen base, as LoRA does
MODE = {"int8-lora": "lora", "adapter": "lora"}


def load_runs() -> list[dict]:
    return YAML(typ="safe").load(FIXTURE.read_text(encoding="utf-8"))["runs"]


@dataclass(frozen=True)
class Run:
    row: dict
    predicted_hours: float

    @property
    def error(self) -> float:
        return self.predicted_hours / self.row["hours"] - 1


def scored(row: dict) -> bool:
    """A run with its hours, its tokens, its card's throughput and its micro-batch."""
    known_card = row.get("gpu") or row.get("card_tflops")
    return bool(row.get("hours") and row.get("tokens") and known_card and row.get("micro_batch"))


def sequence_tokens(row: dict) -> int:
    """Tokens per sequence: the fixed length when the code pads or packs, else the mean."""
    if row.get("tokens_basis") in ("padded", "packed") or not row.get("examples"):
        return int(row["max_seq_len"])
    return round(row["tokens"] / (row["examples"] * (row.get("epochs") or 1)))


def predict(row: dict, catalog: Catalog, stack: Stack | None = None) -> Run:
    arch = catalog.get(row["model"]).architecture
    tflops = row.get("card_tflops") or catalog.get(row["gpu"]).bf16_tflops
    result = training_time(
        arch,
        shapes(arch),
        MODE.get(row["mode"], row["mode"]),
        int(row["tokens"]),
        sequence_tokens(row),
        bool(row.get("gradient_checkpointing")),
        tflops,
        int(row["gpus"]),
        None,
        stack=stack or stack_named(row.get("stack")),
        micro_batch=int(row["micro_batch"]),
    )
    assert result.hours is not None
    return Run(row, result.hours)


def checked(catalog: Catalog, stacks: dict[str, Stack] | None = None) -> list[Run]:
    stacks = stacks or STACKS
    return [
        predict(row, catalog, stacks[row.get("stack") or "transformers"])
        for row in load_runs()
        if scored(row)
    ]


def median_abs_error(runs: list[Run]) -> float:
    return statistics.median(abs(r.error) for r in runs)
