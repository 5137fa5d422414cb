"""The published-measurements fixture, and the estimator held against it.

Shared by the accuracy tests and by `benchmarks/accuracy.py`, which prints the same rows
beside two common rules of thumb for the README."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from ruamel.yaml import YAML

from llmtrack.catalog.store import Catalog
from llmtrack.memory import GIB, Estimate, Recipe, precision
from llmtrack.memory.fits import estimate_base

FIXTURE = Path(__file__).parent / "fixtures" / "memory_measurements.yaml"
_RECIPE_KEYS = (
    "mode",
    "precision",
    "seq_len",
    "batch",
    "gradient_checkpointing",
    "lora_rank",
    "lora_targets",
    "optimizer",
    "flash_attention",
    "all_logits",
    "gpus",
    "zero",
    "fsdp",
    "group_size",
    "packed",
    "reduce_bucket_size",
    "overlap_comm",
    "unquantized",
    "new_tokens",
    "legacy_cache",
    "fuse_layers",
    "half_logits",
)
# what a row's figure counts, as --measure names it: the fixture's `compare` field, and for
# memory right after loading its `measure` (nvidia-smi's figure unless PyTorch's own)
MEASURE_OF_COMPARE = {"allocated": "allocated", "reserved": "reserved", "peak": "nvidia-smi"}
# the fixture's names for a training stack, as the estimator's --stack knows them
STACK_OF = {"torchtune": "torchtune", "torchtune-fsdp": "torchtune", "unsloth": "unsloth"}
_TO_GIB = {
    "GB": 1.0,
    "G": 1.0,
    "GiB": 1.0,
    "MB": 1 / 1024,
    "MiB": 1 / 1024,
    "decimal GB": 1e9 / GIB,
    "decimal MB": 1e6 / GIB,  # optimum-benchmark divides bytes by 1e6
    "bytes": 1 / GIB,
}


# Settings of a row that the estimator has no option for yet (issue 17): torch.compile's
# fused kernels, torchtune's chunked cross-entropy and its optimizer step inside the backward
# pass each cut the peak by a share the estimator cannot say. Such rows stay in the fixture,
# are printed by benchmarks/accuracy.py and are held to nothing until the option exists.
UNMODELLED = ("compile", "chunked_cross_entropy", "optimizer_in_backward")


def pending(row: dict) -> bool:
    # pure bf16 training (no fp32 master copy) is modelled as torchtune's: llama-recipes'
    # pure_bf16 mode does the same, but the estimator has no stack named for it yet
    pure_elsewhere = row.get("optimizer_state_dtype") == "bf16" and row.get("stack") not in STACK_OF
    return pure_elsewhere or any(row.get(key) for key in UNMODELLED)


def all_rows() -> list[dict]:
    return YAML(typ="safe").load(FIXTURE.read_text(encoding="utf-8"))["measurements"]


def load_rows() -> list[dict]:
    """The rows the estimator is held to: all but those with a setting it cannot model."""
    return [row for row in all_rows() if not pending(row)]


def pending_rows() -> list[dict]:
    return [row for row in all_rows() if pending(row)]


def recipe_of(row: dict) -> Recipe:
    settings = {key: row[key] for key in _RECIPE_KEYS if key in row and row[key] is not None}
    if not str(row.get("precision", "")).startswith(("gptq", "awq")):
        # torchao's int4 rows state its group size; the estimator reads int4 as NF4, whose
        # blocks are fixed, so --group-size (GPTQ's and AWQ's) does not apply
        settings.pop("group_size", None)
    if str(row.get("precision", "")).startswith("gptq") and row.get("kernel"):
        settings["gptq_kernel"] = row["kernel"]  # (an AWQ row's kernel is AutoAWQ's)
    if row.get("cuda_context_mib") is not None:  # the context the source itself measured
        settings["cuda_context"] = round(row["cuda_context_mib"] * 2**20)
    return Recipe(**settings, stack=STACK_OF.get(row.get("stack", "")))


@dataclass(frozen=True)
class Checked:
    row: dict
    estimate: Estimate
    measured_gib: float | None
    estimated_gib: float

    @property
    def error(self) -> float | None:
        """Relative error of the estimate, e.g. +0.05 for 5 % over."""
        if self.measured_gib is None:
            return None
        return self.estimated_gib / self.measured_gib - 1

    @property
    def training(self) -> bool:
        return self.row["mode"] != "inference"


def measure_of(row: dict) -> str:
    held_to = row.get("compare", "peak")
    if held_to in MEASURE_OF_COMPARE:
        return MEASURE_OF_COMPARE[held_to]
    said = str(row.get("measure", ""))
    return "reserved" if "reserved" in said else "allocated" if said else "nvidia-smi"


def check(catalog: Catalog, row: dict) -> Checked:
    base = catalog.get(row["model"])
    result = estimate_base(base, replace(recipe_of(row), measure=measure_of(row)))
    parts = result.components
    held_to = row.get("compare", "peak")
    if held_to == "weights":
        estimated = parts["weights"]
    elif held_to == "loaded":  # right after loading: no activations, cache or logits yet
        estimated = parts["weights"] + parts.get("cuda_context", 0)
    else:
        estimated = result.peak_bytes
    measured = row["measured"] * _TO_GIB[row["unit"]] if row.get("measured") is not None else None
    return Checked(row, result, measured, estimated / GIB)


def median_abs_error(checked: list[Checked]) -> float:
    return statistics.median(abs(c.error) for c in checked)


def weights_gib(catalog: Catalog, row: dict) -> float:
    """Parameters x bytes per parameter: what Accelerate's estimate-memory reports for a
    model's size in a dtype (it knows no 3-, 5- or ggml block formats, so the same bits)."""
    base = catalog.get(row["model"])
    bits = precision(row["precision"], row.get("group_size", 128)).bits
    return base.params * bits / 8 / GIB


def accelerate_gib(catalog: Catalog, row: dict) -> float:
    """Accelerate's estimate-memory: the model size to load it, about 4x that to train it
    with Adam."""
    size = weights_gib(catalog, row)
    return size if row["mode"] == "inference" or row.get("compare") == "weights" else 4 * size


def rule_of_thumb_gib(catalog: Catalog, row: dict) -> float:
    """The common 'weights x 1.2' rule."""
    return (
        1.2 * weights_gib(catalog, row)
        if row.get("compare") != "weights"
        else weights_gib(catalog, row)
    )
