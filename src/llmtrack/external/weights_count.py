"""A checkpoint's exact parameter count, from its safetensors headers: the tensors' shapes,
never their data. Local folders are read directly; a Hub repo through huggingface_hub."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit on a header


def count_local(folder: Path) -> int | None:
    """Parameters in the folder's ``*.safetensors`` files, or None when there are none or
    one cannot be read."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        counted = _count_file(path)
        if counted is None:
            return None
        total += counted
    return total


def _count_file(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            if size > MAX_HEADER_BYTES:
                return None
            header = json.loads(handle.read(size).decode("utf-8"))
    except (OSError, struct.error, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    total = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        shape = info.get("shape") if isinstance(info, dict) else None
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            return None
        total += math.prod(shape)
    return total


def count_on_hub(repo_id: str) -> int | None:
    """The Hub's count of the repo's safetensors parameters, or None if it cannot say."""
    try:
        from huggingface_hub import get_safetensors_metadata

        metadata = get_safetensors_metadata(repo_id)
        return sum(metadata.parameter_count.values()) or None
    except Exception:  # an optional refinement: any failure leaves the count to the shapes
        return None
