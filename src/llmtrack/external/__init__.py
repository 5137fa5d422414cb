"""Models from outside the catalog: a local config.json or .gguf file, or a Hugging Face
repo id, made into a base-model entry the estimator takes like any catalog entry.

Each is validated with the catalog's own schema, so a hostile file gets the same bounds
and one-line errors a catalog file does, and nothing in it is ever run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from llmtrack.catalog import schema
from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass

MAX_CONFIG_BYTES = 4 * 2**20  # a config.json is kilobytes; anything larger is not one
HUB_PREFIX = "hf:"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


@lazy_dataclass(frozen=True)
class ExternalModel:
    """A model described by a file or the Hub, as an entry, with what was assumed."""

    entry: schema.BaseModelEntry
    notes: tuple[str, ...]
    weight_bytes: int | None = None  # a GGUF file's tensors: its weights exactly
    precision: str | None = None  # the format those weights are in
    params: int | None = None  # counted from the file's tensors, when it has them
    gptq_kernel: str | None = None  # the kernel its quantization_config has transformers load
    group_size: int | None = None  # its GPTQ or AWQ group size


def is_file_spec(spec: str) -> bool:
    """A path: to a config.json or .gguf file, or a model's folder (which must then exist).
    Anything that exists on disk or is written as a path (./x, /x, ~/x) is one, so a local
    folder named like a catalog model is read, never taken for the catalog's."""
    if spec.lower().endswith((".json", ".gguf")) or spec.startswith(("/", "./", "../", "~")):
        return True
    try:
        return Path(spec).exists()
    except (OSError, ValueError):  # a name too long for a path, or with a NUL: not a file
        return False


def is_hub_spec(spec: str) -> bool:
    return spec.startswith(HUB_PREFIX) or _REPO_ID.fullmatch(spec) is not None


def load_external(spec: str) -> ExternalModel:
    """The model a path or a Hub repo id describes; raises UsageError/NotFoundError."""
    if spec.startswith(HUB_PREFIX) or not is_file_spec(spec):
        from llmtrack.external.hub import fetch_config

        repo_id = spec.removeprefix(HUB_PREFIX)
        if not _REPO_ID.fullmatch(repo_id):
            raise UsageError(f"{repo_id!r} is not a Hugging Face repo id (ORG/NAME)")
        config, url = fetch_config(repo_id)
        return _from_config(config, url, f"{repo_id}'s config.json", repo_id)
    try:
        path = Path(spec).expanduser()
    except RuntimeError:  # "~someone" for a user this machine does not know
        raise UsageError(f"{spec}: no such file (no home folder for that user)") from None
    try:
        if path.is_dir():  # a model's folder: its config.json
            path = path / "config.json"
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        if not path.is_file():
            raise UsageError(f"{path}: not a regular file")
    except (OSError, ValueError) as error:  # a path too long, or with a NUL byte
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"{spec[:60]}...: cannot be read as a path ({reason})") from None
    if path.suffix.lower() == ".gguf":
        from llmtrack.external.gguf_file import read_gguf

        model = read_gguf(path)
        entry = validated(model.entry, str(path))
        return ExternalModel(entry, model.notes, model.weight_bytes, model.precision, model.params)
    folder = path.resolve().parent.name  # ./Qwen3-8B/config.json names the model
    return _from_config(read_config(path), str(path), str(path), folder or None)


def _from_config(config: dict, source: str, label: str, name: str | None) -> ExternalModel:
    from llmtrack.external.hf_config import checkpoint_settings, entry_from_config

    data, notes = entry_from_config(config, source, name)
    entry = validated(data, label)
    kernel, group = checkpoint_settings(config, notes)
    return ExternalModel(
        entry, (f"architecture from {label}", *notes), gptq_kernel=kernel, group_size=group
    )


def entry_with_count(spec: str) -> tuple[schema.BaseModelEntry, tuple[str, ...]]:
    """The catalog entry ``new --from-config`` prints: the architecture, and the parameter
    count from the checkpoint's own tensors where they can be read (else from the shapes,
    said as not exact), with notes on what to fill in by hand."""
    from dataclasses import replace

    from llmtrack.external.weights_count import count_local, count_on_hub
    from llmtrack.memory.shapes import parameter_count

    model = load_external(spec)
    count = model.params
    if count is None and is_file_spec(spec) and not spec.startswith(HUB_PREFIX):
        count = count_local(Path(spec).resolve().parent)
    elif count is None:
        count = count_on_hub(spec.removeprefix(HUB_PREFIX))
    notes = list(model.notes)
    if count:
        notes.append("params: counted from the checkpoint's tensors (with any MTP or vision ones)")
        entry = replace(cast(Any, model.entry), params=count, params_exact=True)
    else:
        arch = model.entry.architecture
        estimate = parameter_count(arch, model.entry.context_length) if arch else None
        notes.append(
            "params: from the shapes without norms and biases (within about 1%); "
            "replace it with the published count"
        )
        entry = replace(cast(Any, model.entry), params=estimate, params_exact=False)
    notes.append("fill in org, released, license, links and sources: the pages you read")
    return entry, tuple(notes)


def validated(data: dict, label: str) -> schema.BaseModelEntry:
    """The entry, checked as a catalog file's would be; the first problem as the error."""
    from pydantic import ValidationError

    from llmtrack.catalog.architecture import Architecture, inconsistencies
    from llmtrack.catalog.validation import adapters, message_of

    try:
        entry = adapters()["base_models"].validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"{label}: {where}: {message_of(first)}") from None
    arch = entry.architecture
    problems = inconsistencies(arch) if isinstance(arch, Architecture) else []
    if problems:
        name, message = problems[0]
        raise UsageError(f"{label}: architecture.{name}: {message}")
    return entry


def read_config(path: Path) -> dict:
    """A config.json, read safely: bounded, UTF-8, JSON, an object."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{path}: over {MAX_CONFIG_BYTES // 2**20} MiB, not a config.json")
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UsageError(f"{path}: not valid JSON ({type(error).__name__})") from None
    if not isinstance(config, dict):
        raise UsageError(f"{path}: not a config.json (a JSON object)")
    return config
